/**
 * reactive-kinesis: Amazon Kinesis Data Streams for RxJS. The public surface, named re-exports only.
 * @packageDocumentation
 */

// Configuration
export {
  DEFAULT_APPLICATION_NAME,
  DEFAULT_CONSUMER_SECTION,
  DEFAULT_PRODUCER_SECTION,
  consumerConf,
  decodeKinesisConfig,
  producerConf,
} from './config';
export type {
  AggregationConf,
  CheckpointerConf,
  CollectionConf,
  ConsumerAwsConf,
  ConsumerConf,
  ConsumerWorkerConf,
  InitialPosition,
  KinesisConfig,
  LeaseConf,
  PollingConf,
  PrefetchConf,
  ProducerAwsConf,
  ProducerConf,
  ShardSyncConf,
} from './config';

// Models
export {
  CompoundSequenceNumber,
  ConfigError,
  CorruptAggregateError,
  ExpiredIteratorError,
  InvalidRecordError,
  KinesisCallError,
  KinesisThrottledError,
  LeaseStoreError,
  LeaseStoreThrottledError,
  LeaseTableNotFoundError,
  ReactiveKinesisError,
  RecordExpiredError,
  StreamNotFoundError,
  consumerEvent,
  consumerShutdown,
  consumerWorkerFailure,
  eventProcessed,
  isCheckpointSentinel,
  isSendFailed,
  isSendSuccessful,
  payloadBytes,
  producerEvent,
} from './model';
export type {
  Attempt,
  CheckpointSentinel,
  ConfigIssue,
  ConsumerEvent,
  ConsumerNotification,
  ConsumerShutdown,
  ConsumerWorkerFailure,
  EventProcessed,
  Lease,
  ProducerEvent,
  SendFailed,
  SendResult,
  SendSuccessful,
} from './model';

// KPL aggregation format
export {
  AGGREGATE_PARTITION_KEY,
  AggregateBuilder,
  MAX_HASH_KEY,
  decodeAggregatedRecord,
  effectiveHashKey,
  encodeAggregatedRecord,
  hashKeyOf,
  parseExplicitHashKey,
} from './kpl';
export type { KinesisEntry, UserRecord } from './kpl';

// Ports and their AWS implementations
export type {
  ChildShard,
  GetRecordsOutput,
  HashKeyRange,
  IteratorPosition,
  KinesisAdminPort,
  KinesisFanOutPort,
  KinesisPort,
  KinesisRecord,
  LeaseConditionFailed,
  LeaseDeleteResult,
  LeaseStoreAdminPort,
  LeaseStorePort,
  LeaseUpdate,
  LeaseWriteResult,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
  ShardSubscriptionEvent,
} from './ports';
export { awsKinesisPort, awsLeaseStorePort, dynamoDbClient, kinesisClient, KinesisJsonProtocol } from './ports/aws';
export type { AwsClientOptions, AwsKinesisPortOptions, AwsLeaseStorePortOptions } from './ports/aws';
export type { Deps, KinesisInput, LeaseStoreInput, Logger } from './ports/deps';

// Consumer
export {
  ConsumerStoppedError,
  KinesisConsumer,
  allowedFailures,
  batchOptions,
  consume$,
  mapPayload,
  mapPayloadAsync,
  processBatch,
  shards$,
} from './consumer';
export type {
  BatchDiagnostic,
  CallTimeouts,
  CheckpointerEvent,
  CommittableEvent,
  ConfiguredBatchOptions,
  ConsumeOptions,
  ConsumerDeps,
  ConsumerDiagnostic,
  DeaggregationDiagnostic,
  EventHandler,
  EventProcessor,
  KinesisConsumerDeps,
  KinesisConsumerOptions,
  LeasedShard,
  OutOfRangeRecords,
  ProcessBatchOptions,
  Processor,
  ProcessorAnswer,
  ProcessorResult,
  ShardDiagnostic,
  SignalSource,
} from './consumer';

// Producer
export { KinesisProducer, NoOpenShardsError, ProducerClosedError, ProducerOverflowError, RecordRefusedError, kinesisSink, produce, pullable } from './producer';
export type { BackoffOptions, ProduceOptions, ProducerDeps, ProducerEventSource, Pullable } from './producer';
