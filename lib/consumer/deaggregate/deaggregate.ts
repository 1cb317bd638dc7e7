/**
 * Kinesis records → user records, exactly as the KCL deaggregates (`AggregatorUtil.deaggregate`):
 *
 * - a record that is not a valid KPL aggregate (no magic, bad MD5, unparsable) is one user record
 *   with sub-sequence 0, whatever its hash key: plain records are never range-filtered;
 * - the user records of an aggregate share its sequence number and arrival time and are numbered
 *   by sub-sequence from 0;
 * - if any user record of an aggregate routes outside the shard's hash-key range, the whole
 *   aggregate is dropped (an aggregator that mixed shards produced it; the KCL loses it the same way);
 * - a user record with an unreadable explicit hash key ends its aggregate there: the user records
 *   before it are kept, it and the rest are dropped, as the KCL's exception handler does.
 *
 * Every drop is reported to the optional diagnostics callback.
 * @packageDocumentation
 */
import { decodeAggregatedRecord } from '../../kpl/aggregated-record';
import { MAX_HASH_KEY, hashKeyOf, parseExplicitHashKey } from '../../kpl/hash-key';
import { consumerEvent, type ConsumerEvent } from '../../model/consumer-event';
import { CompoundSequenceNumber } from '../../model/sequence-number';
import type { HashKeyRange, KinesisRecord } from '../../ports/kinesis-port';

/** Something deaggregation dropped. */
export type DeaggregationDiagnostic =
  /** A user record routes outside the shard, so its whole aggregate was dropped. */
  | {
      readonly _tag: 'AggregateOutOfRange';
      readonly shardId: string;
      readonly sequenceNumber: string;
      /** Index of the first user record found outside the range. */
      readonly subSequenceNumber: number;
      readonly hashKey: bigint;
      /** User records in the dropped aggregate. */
      readonly userRecords: number;
    }
  /** A user record's explicit hash key is not a 128-bit decimal; it and the rest of its aggregate were dropped. */
  | {
      readonly _tag: 'AggregateTruncated';
      readonly shardId: string;
      readonly sequenceNumber: string;
      readonly subSequenceNumber: number;
      readonly explicitHashKey: string;
      /** User records dropped (the bad one and those after it). */
      readonly dropped: number;
    };

/** The shard the records were read from. */
export interface DeaggregationShard {
  readonly shardId: string;
  /** The shard's hash-key range; without it nothing is range-filtered (the KCL's unknown-shard case). */
  readonly hashKeyRange?: HashKeyRange;
}

/**
 * Deaggregates the records of one GetRecords page, keeping their order.
 * @param records Kinesis records of one shard, in sequence order
 * @param shard the shard, and its hash-key range for the KCL's filter
 * @param onDiagnostic told about every aggregate dropped or cut short
 * @returns the user records as consumer events; payloads are views into the records' data
 */
export function deaggregate(
  records: readonly KinesisRecord[],
  shard: DeaggregationShard,
  onDiagnostic?: (diagnostic: DeaggregationDiagnostic) => void,
): ConsumerEvent[] {
  const { shardId, hashKeyRange } = shard;
  // Skip the MD5 of every partition key when no range can exclude anything.
  const range = hashKeyRange === undefined || (hashKeyRange.startingHashKey <= 0n && hashKeyRange.endingHashKey >= MAX_HASH_KEY) ? undefined : hashKeyRange;
  const events: ConsumerEvent[] = [];
  for (const record of records) {
    const userRecords = decodeAggregatedRecord(record.data);
    if (userRecords === undefined) {
      events.push(
        consumerEvent({
          shardId,
          partitionKey: record.partitionKey,
          sequenceNumber: new CompoundSequenceNumber(record.sequenceNumber, 0),
          payload: record.data,
          arrivalTime: record.approximateArrivalTimestamp,
        }),
      );
      continue;
    }
    const kept = events.length;
    for (const [sub, user] of userRecords.entries()) {
      const explicit = user.explicitHashKey === undefined ? undefined : parseExplicitHashKey(user.explicitHashKey);
      if (user.explicitHashKey !== undefined && explicit === undefined) {
        onDiagnostic?.({
          _tag: 'AggregateTruncated',
          shardId,
          sequenceNumber: record.sequenceNumber,
          subSequenceNumber: sub,
          explicitHashKey: user.explicitHashKey,
          dropped: userRecords.length - sub,
        });
        break;
      }
      if (range !== undefined) {
        const hashKey = explicit ?? hashKeyOf(user.partitionKey);
        if (hashKey < range.startingHashKey || hashKey > range.endingHashKey) {
          events.length = kept;
          onDiagnostic?.({
            _tag: 'AggregateOutOfRange',
            shardId,
            sequenceNumber: record.sequenceNumber,
            subSequenceNumber: sub,
            hashKey,
            userRecords: userRecords.length,
          });
          break;
        }
      }
      events.push(
        consumerEvent({
          shardId,
          partitionKey: user.partitionKey,
          ...(user.explicitHashKey === undefined ? {} : { explicitHashKey: user.explicitHashKey }),
          sequenceNumber: new CompoundSequenceNumber(record.sequenceNumber, sub),
          payload: user.data,
          arrivalTime: record.approximateArrivalTimestamp,
        }),
      );
    }
  }
  return events;
}
