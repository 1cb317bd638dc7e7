/**
 * The producer: KPL-compatible aggregation, collection, per-shard rate limiting and retries, as an
 * RxJS operator (`produce`, which pulls from a `pullable` source), an imperative producer
 * (`KinesisProducer`) and a sink (`kinesisSink`).
 * @packageDocumentation
 */
export { produce } from './produce';
export { pullable } from './pullable';
export type { Pullable } from './pullable';
export type { ProducerDeps, ProducerLogger } from './produce';
export { KinesisProducer } from './kinesis-producer';
export { kinesisSink } from './sink';
export type { ProducerEventSource } from './sink';
export type { ProduceOptions } from './settings';
export type { BackoffOptions } from './backoff';
export { ProducerClosedError, ProducerOverflowError, RecordRefusedError } from './errors';
export { NoOpenShardsError } from './shard-map';
