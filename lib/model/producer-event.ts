/**
 * What an application hands to a producer: one user record.
 * @packageDocumentation
 */

/** One user record to put. */
export interface ProducerEvent {
  /** 1 to 256 characters; its MD5 picks the shard unless `explicitHashKey` is set. */
  readonly partitionKey: string;
  /** Bytes, or text sent as UTF-8. */
  readonly payload: Uint8Array | string;
  /** Decimal 128-bit hash key that overrides the partition key for routing. */
  readonly explicitHashKey?: string;
}

/** Builds a `ProducerEvent`. */
export function producerEvent(partitionKey: string, payload: Uint8Array | string, explicitHashKey?: string): ProducerEvent {
  return explicitHashKey === undefined ? { partitionKey, payload } : { partitionKey, payload, explicitHashKey };
}

const encoder = new TextEncoder();

/** The bytes of a producer event's payload. */
export function payloadBytes(event: ProducerEvent): Uint8Array {
  return typeof event.payload === 'string' ? encoder.encode(event.payload) : event.payload;
}
