/**
 * Configuration: the seed's `kinesis` object decoded with io-ts into typed consumer and producer
 * configurations, or a {@link ConfigError} listing every bad path.
 * @packageDocumentation
 */
export { DEFAULT_APPLICATION_NAME, decodeKinesisConfig } from './kinesis-config';
export type { KinesisConfig } from './kinesis-config';
export { DEFAULT_CONSUMER_SECTION, checkConsumerConf, consumerConf } from './consumer-config';
export type {
  CheckpointerConf,
  ConsumerAwsConf,
  ConsumerConf,
  ConsumerWorkerConf,
  InitialPosition,
  LeaseConf,
  PollingConf,
  PrefetchConf,
  ShardSyncConf,
} from './consumer-config';
export { DEFAULT_PRODUCER_SECTION, checkProducerConf, producerConf } from './producer-config';
export type { AggregationConf, CollectionConf, ProducerAwsConf, ProducerConf } from './producer-config';
export type { RawConsumerSection } from './consumer-codec';
export type { RawProducerSection } from './producer-codec';
export type { Checked } from './report';
