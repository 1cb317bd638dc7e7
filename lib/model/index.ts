export { CompoundSequenceNumber, isCheckpointSentinel } from './sequence-number';
export type { CheckpointSentinel } from './sequence-number';
export { consumerEvent } from './consumer-event';
export type { ConsumerEvent } from './consumer-event';
export { payloadBytes, producerEvent } from './producer-event';
export type { ProducerEvent } from './producer-event';
export { isSendFailed, isSendSuccessful } from './send-result';
export type { Attempt, SendFailed, SendResult, SendSuccessful } from './send-result';
export { consumerShutdown, consumerWorkerFailure, eventProcessed } from './notifications';
export type { ConsumerNotification, ConsumerShutdown, ConsumerWorkerFailure, EventProcessed } from './notifications';
export type { Lease, LeaseChanges, RemovableLeaseAttribute } from './lease';
export {
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
} from './errors';
export type { ConfigIssue } from './errors';
