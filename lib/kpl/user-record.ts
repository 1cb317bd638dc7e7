/**
 * A user record: what a producer hands in and what a consumer gets back, whether it travelled alone
 * or inside a KPL aggregate.
 * @packageDocumentation
 */

/** One user record, in the shape shared by the aggregation format, the producer and the consumer. */
export interface UserRecord {
  /** Unicode partition key; its MD5 picks the shard unless `explicitHashKey` is given. */
  readonly partitionKey: string;
  /** Decimal 128-bit hash key that overrides the partition key's hash for routing. */
  readonly explicitHashKey?: string;
  /** The payload. */
  readonly data: Uint8Array;
}
