/**
 * What a shard pipeline asks of the lease coordinator when it checkpoints: one conditional write of
 * a position on the shard's lease. A lost lease is an expected outcome, so it is a value; throttling
 * and other store faults arrive on the error channel as `LeaseStoreThrottledError` / `LeaseStoreError`.
 * @packageDocumentation
 */
import type { Observable } from 'rxjs';
import type { CompoundSequenceNumber } from '../../model/sequence-number';

/** The outcome of one checkpoint write. */
export type CheckpointWriteResult =
  | { readonly _tag: 'Checkpointed'; readonly position: CompoundSequenceNumber }
  | { readonly _tag: 'LeaseLost'; readonly shardId: string };

/**
 * Writes `position` as the checkpoint of one shard's lease. The returned Observable is cold: it
 * performs the write when subscribed and emits once.
 */
export type CheckpointWriter = (position: CompoundSequenceNumber) => Observable<CheckpointWriteResult>;
