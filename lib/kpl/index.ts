/**
 * The KPL aggregation format and hash keys, shared by the consumer and the producer.
 * @packageDocumentation
 */
export type { UserRecord } from './user-record';
export { decodeAggregatedRecord, encodeAggregatedRecord } from './aggregated-record';
export { AGGREGATE_PARTITION_KEY, AggregateBuilder } from './aggregate-builder';
export type { KinesisEntry } from './aggregate-builder';
export { effectiveHashKey, hashKeyOf, MAX_HASH_KEY, parseExplicitHashKey } from './hash-key';
