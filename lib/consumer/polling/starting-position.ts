/**
 * Where a shard pipeline starts reading, from its lease's checkpoint and the configured initial
 * position, as the KCL decides it (`IteratorBuilder`, `ProcessTask`):
 *
 * - a real checkpoint (sequence, sub-sequence) opens the iterator AT_SEQUENCE_NUMBER of that
 *   sequence, so the record holding the checkpoint is read again, and every user record at or
 *   before the checkpoint is then dropped. That is how a consumer restarted in the middle of a KPL
 *   aggregate resumes at the right sub-record;
 * - TRIM_HORIZON and LATEST open an iterator of that type;
 * - AT_TIMESTAMP opens an iterator at the *configured* timestamp (the lease does not store it);
 * - SHARD_END means the shard was read to its end already: there is nothing to read;
 * - no checkpoint at all (a lease not yet initialised) means the configured initial position.
 * @packageDocumentation
 */
import type { InitialPosition } from '../../config/consumer-config';
import { ConfigError } from '../../model/errors';
import { CompoundSequenceNumber } from '../../model/sequence-number';
import type { IteratorPosition } from '../../ports/kinesis-port';

/** How to start reading a shard. */
export type StartingPosition =
  /** The lease is checkpointed SHARD_END: the shard has been read to its end. */
  | { readonly _tag: 'ShardFinished' }
  | {
      readonly _tag: 'Read';
      /** The position of the first GetShardIterator call. */
      readonly iterator: IteratorPosition;
      /**
       * User records at or before this position are dropped: the checkpoint itself, or a sentinel
       * (which sorts below every real position, so nothing is dropped).
       */
      readonly skipThrough: CompoundSequenceNumber;
    };

/**
 * Decides where to start reading a shard.
 * @param checkpoint the lease's checkpoint and sub-sequence number; `undefined` when it has none
 * @param initial the configured initial position, used for a missing checkpoint and for the
 *   timestamp of an AT_TIMESTAMP checkpoint
 * @throws ConfigError when the checkpoint is AT_TIMESTAMP but no timestamp is configured, or the
 *   configured timestamp is not a valid date
 */
export function startingPosition(checkpoint: CompoundSequenceNumber | undefined, initial: InitialPosition): StartingPosition {
  const from = checkpoint ?? sentinelOf(initial);
  switch (from.sequenceNumber) {
    case 'SHARD_END':
      return { _tag: 'ShardFinished' };
    case 'TRIM_HORIZON':
      return { _tag: 'Read', iterator: { type: 'TRIM_HORIZON' }, skipThrough: from };
    case 'LATEST':
      return { _tag: 'Read', iterator: { type: 'LATEST' }, skipThrough: from };
    case 'AT_TIMESTAMP':
      return { _tag: 'Read', iterator: { type: 'AT_TIMESTAMP', timestamp: timestampOf(initial) }, skipThrough: from };
    default:
      return { _tag: 'Read', iterator: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: from.sequenceNumber }, skipThrough: from };
  }
}

function sentinelOf(initial: InitialPosition): CompoundSequenceNumber {
  switch (initial.type) {
    case 'TRIM_HORIZON':
      return CompoundSequenceNumber.TRIM_HORIZON;
    case 'LATEST':
      return CompoundSequenceNumber.LATEST;
    case 'AT_TIMESTAMP':
      return CompoundSequenceNumber.AT_TIMESTAMP;
  }
}

function timestampOf(initial: InitialPosition): Date {
  if (initial.type !== 'AT_TIMESTAMP') {
    throw new ConfigError([
      {
        path: 'kcl.timestampAtInitialPositionInStream',
        message:
          'a lease is checkpointed AT_TIMESTAMP, which reads from the configured timestamp, but the initial position is ' +
          `${initial.type}; configure initialPositionInStream AT_TIMESTAMP with its timestamp`,
      },
    ]);
  }
  if (!(initial.timestamp instanceof Date) || Number.isNaN(initial.timestamp.getTime())) {
    throw new ConfigError([{ path: 'kcl.timestampAtInitialPositionInStream', message: `not a valid date: ${String(initial.timestamp)}` }]);
  }
  return initial.timestamp;
}
