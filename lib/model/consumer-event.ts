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

/**
 * The events deaggregation builds by the million: fields in one fixed order, so every event has the
 * same shape, and `payloadAsString` on the prototype rather than a closure per event.
 * @internal
 */
export class UserRecordEvent implements ConsumerEvent {
  readonly shardId: string;
  readonly partitionKey: string;
  declare readonly explicitHashKey?: string;
  readonly sequenceNumber: CompoundSequenceNumber;
  readonly payload: Uint8Array;
  readonly arrivalTime: Date;

  constructor(
    shardId: string,
    partitionKey: string,
    explicitHashKey: string | undefined,
    sequenceNumber: CompoundSequenceNumber,
    payload: Uint8Array,
    arrivalTime: Date,
  ) {
    this.shardId = shardId;
    this.partitionKey = partitionKey;
    // Absent rather than undefined, as on the records the producer sent.
    if (explicitHashKey !== undefined) (this as { explicitHashKey?: string }).explicitHashKey = explicitHashKey;
    this.sequenceNumber = sequenceNumber;
    this.payload = payload;
    this.arrivalTime = arrivalTime;
  }

  payloadAsString(encoding = 'utf-8'): string {
    return new TextDecoder(encoding).decode(this.payload);
  }
}

/** Builds a `ConsumerEvent`. */
export function consumerEvent(fields: Omit<ConsumerEvent, 'payloadAsString'>): ConsumerEvent {
  return new UserRecordEvent(fields.shardId, fields.partitionKey, fields.explicitHashKey, fields.sequenceNumber, fields.payload, fields.arrivalTime);
}
