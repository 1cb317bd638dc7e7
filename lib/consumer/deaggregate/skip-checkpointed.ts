/**
 * Drops what a shard pipeline has already processed before a restart. The iterator starts
 * AT_SEQUENCE_NUMBER of the checkpoint, so the record holding it is read again; comparing the
 * extended sequence numbers (sequence, then sub-sequence) drops that record's user records up to
 * and including the checkpoint and keeps the rest, as the KCL's `ProcessTask` does.
 * @packageDocumentation
 */
import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { CompoundSequenceNumber } from '../../model/sequence-number';

/** Anything with an extended sequence number. */
export interface Positioned {
  readonly sequenceNumber: CompoundSequenceNumber;
}

/**
 * The records strictly after `position`, in their order.
 * @param position a checkpoint; a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP) keeps everything
 */
export function recordsAfter<T extends Positioned>(records: readonly T[], position: CompoundSequenceNumber): T[] {
  return records.filter((r) => r.sequenceNumber.isAfter(position));
}

/**
 * Drops every value at or before `position`.
 * @param position a checkpoint; a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP) keeps everything
 */
export function skipCheckpointed<T extends Positioned>(position: CompoundSequenceNumber): MonoTypeOperatorFunction<T> {
  return filter((r) => r.sequenceNumber.isAfter(position));
}
