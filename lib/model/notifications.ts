/**
 * Messages between a consumer and the application's event processor.
 * @packageDocumentation
 */
import type { ConsumerEvent } from './consumer-event';
import type { CompoundSequenceNumber } from './sequence-number';

/** The processor's answer for one event; `successful = false` skips the event (it is still checkpointed past). */
export interface EventProcessed {
  readonly _tag: 'EventProcessed';
  readonly sequenceNumber: CompoundSequenceNumber;
  readonly successful: boolean;
}

/** A batch of a shard failed beyond the tolerance: these events were never acknowledged. */
export interface ConsumerWorkerFailure {
  readonly _tag: 'ConsumerWorkerFailure';
  readonly failedEvents: readonly ConsumerEvent[];
  readonly shardId: string;
}

/** A shard's processing has stopped (graceful stop, lease lost or shard end). Sent once per shard. */
export interface ConsumerShutdown {
  readonly _tag: 'ConsumerShutdown';
  readonly shardId: string;
}

export type ConsumerNotification = ConsumerWorkerFailure | ConsumerShutdown;

export function eventProcessed(sequenceNumber: CompoundSequenceNumber, successful = true): EventProcessed {
  return { _tag: 'EventProcessed', sequenceNumber, successful };
}
export function consumerWorkerFailure(failedEvents: readonly ConsumerEvent[], shardId: string): ConsumerWorkerFailure {
  return { _tag: 'ConsumerWorkerFailure', failedEvents, shardId };
}
export function consumerShutdown(shardId: string): ConsumerShutdown {
  return { _tag: 'ConsumerShutdown', shardId };
}
