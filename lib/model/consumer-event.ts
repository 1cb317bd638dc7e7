/**
 * What a consumer hands to the application: one user record, after deaggregation.
 * @packageDocumentation
 */
import type { CompoundSequenceNumber } from './sequence-number';

/** One user record read from a shard. */
export interface ConsumerEvent {
  readonly shardId: string;
  readonly partitionKey: string;
  /** Present when the producer set one inside a KPL aggregate. */
  readonly explicitHashKey?: string;
  /** The Kinesis sequence number and, inside an aggregate, the record's index (sub-sequence). */
  readonly sequenceNumber: CompoundSequenceNumber;
  /** Exactly the record's bytes; may be a view into a larger buffer. */
  readonly payload: Uint8Array;
  /** Kinesis' approximate arrival time of the (outer) record. */
  readonly arrivalTime: Date;
  /** The payload decoded as text (UTF-8 unless told otherwise), from exactly the bytes of the view. */
  payloadAsString(encoding?: string): string;
}

/** Builds a `ConsumerEvent`. */
export function consumerEvent(fields: Omit<ConsumerEvent, 'payloadAsString'>): ConsumerEvent {
  return {
    ...fields,
    payloadAsString(encoding = 'utf-8'): string {
      return new TextDecoder(encoding).decode(fields.payload);
    },
  };
}
