/**
 * The consumer: KCL-compatible leases, polling, deaggregation and checkpointing as Observables.
 * @packageDocumentation
 */
export { consume$ } from './consume';
export { shards$ } from './shards';
export type { LeasedShard } from './shards';
export { mapPayload, mapPayloadAsync } from './committable-event';
export type { CommittableEvent } from './committable-event';
export type { ConsumerDeps, ConsumerDiagnostic, Deps, KinesisInput, LeaseStoreInput, Logger } from './consumer-deps';
export type { ConsumeOptions } from './consumer-settings';
export type { CallTimeouts } from '../ports/bounded-calls';
export type { ShardDiagnostic } from './shard-pipeline';
export type { CheckpointerEvent } from './checkpoint/checkpointer';
export type { DeaggregationDiagnostic } from './deaggregate/deaggregate';
export { KinesisConsumer, ConsumerStoppedError } from './kinesis-consumer';
export type { KinesisConsumerDeps, KinesisConsumerOptions, SignalSource } from './kinesis-consumer';
export { allowedFailures, batchOptions, processBatch } from './process-batch';
export type {
  BatchDiagnostic,
  ConfiguredBatchOptions,
  EventHandler,
  EventProcessor,
  ProcessBatchOptions,
  Processor,
  ProcessorAnswer,
  ProcessorResult,
} from './process-batch';
export type { OutOfRangeRecords } from './deaggregate/deaggregate';
