/**
 * The raw consumer section, keyed exactly as the seed's `kinesis.default-consumer` /
 * `kinesis.<consumer-name>` (seed-spec §1.3), with the seed's defaults, and the KCL 1.11 defaults
 * where the seed left a key commented out. This codec is the single source of truth for which keys
 * exist, their types, ranges and defaults; `consumer-config.ts` maps its output to
 * {@link ConsumerConf}.
 *
 * Keys accepted for compatibility but without effect here are marked *ignored*.
 * @packageDocumentation
 */
import * as t from 'io-ts';
import {
  MAX_TIMER_MILLIS,
  MAX_TIMER_SECONDS,
  bool,
  endpoint,
  intInRange,
  matching,
  nonEmptyString,
  numberInRange,
  oneOf,
  optional,
  str,
  strictObject,
  timestamp,
  withDefault,
} from './codecs';

const ms = (min: number, fallback: number) => withDefault(intInRange(min, MAX_TIMER_MILLIS, { unit: 'milliseconds' }), fallback as t.Int);
const count = (min: number, max: number | undefined, fallback: number) => withDefault(intInRange(min, max), fallback as t.Int);

/** A Kinesis stream name as the service accepts it (1–128 of a-z A-Z 0-9 _ . -). */
export const streamName = matching(/^[a-zA-Z0-9_.-]{1,128}$/, 'a stream name (1-128 of a-z A-Z 0-9 _ . -)');

/** A DynamoDB table name as the service accepts it (3–255 of a-z A-Z 0-9 _ . -). */
export const tableName = matching(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)');

/** `akka.*` of a consumer: only the dispatcher, which has no meaning outside Akka (*ignored*). */
const ConsumerAkka = strictObject(
  'consumer akka',
  {
    /** *Ignored*: an Akka dispatcher path; `null` or `""` meant "system default". Schedulers are injected instead. */
    dispatcher: withDefault(str, 'kinesis.akka.default-dispatcher'),
  },
  {
    'max-outstanding-requests': 'a producer key: this section is read as a consumer',
    'throttling-retry-millis': 'a producer key: this section is read as a consumer',
  },
);

/** `worker.*`: batch processing by the actor-style `KinesisConsumer`. */
const Worker = strictObject('worker', {
  batchTimeoutSeconds: withDefault(intInRange(1, MAX_TIMER_SECONDS, { unit: 'seconds' }), 10 as t.Int),
  failedMessageRetries: count(0, undefined, 1),
  /** Percent: 0.25 allows floor(0.25 / 100 × batch size) unacknowledged events. */
  failureTolerancePercentage: withDefault(numberInRange(0, 100, 'percent'), 0.25),
  gracefulShutdownHook: withDefault(bool, true),
  shutdownTimeoutSeconds: withDefault(intInRange(1, MAX_TIMER_SECONDS, { unit: 'seconds' }), 25 as t.Int),
});

/** `checkpointer.*`: pacing of checkpoint writes. */
const Checkpointer = strictObject('checkpointer', {
  backoffMillis: ms(0, 3000),
  intervalMillis: ms(0, 2000),
  notificationDelayMillis: ms(1, 1000),
});

/** Credential provider names of the JVM SDK that the JavaScript SDK's default chain covers. */
export const CREDENTIALS_PROVIDERS = [
  'DefaultAWSCredentialsProviderChain',
  'EnvironmentVariableCredentialsProvider',
  'SystemPropertiesCredentialsProvider',
  'ProfileCredentialsProvider',
  'WebIdentityTokenCredentialsProvider',
  'ContainerCredentialsProvider',
  'EC2ContainerCredentialsProviderWrapper',
  'InstanceProfileCredentialsProvider',
] as const;

const credentialsProviders = matching(
  new RegExp(`^\\s*((com\\.amazonaws\\.auth\\.)?(${CREDENTIALS_PROVIDERS.join('|')})\\s*(,\\s*|$))+$`),
  `a comma-separated list of ${CREDENTIALS_PROVIDERS.join(', ')} (custom JVM provider classes cannot be ` +
    'loaded: pass credentials or clients in deps instead)',
);

/**
 * `kcl.*`: the KCL 1.11 options that still mean something without the KCL, with the KCL's names
 * (exact case: the seed's first-letter case-insensitivity is not reproduced) and defaults.
 */
const Kcl = strictObject(
  'kcl',
  {
    /**
     * Accepted names all resolve to the AWS SDK's default credential chain (environment, shared
     * profile, web identity, container, instance metadata), which covers what each of them did;
     * pass `credentials` or whole clients in deps for anything else.
     */
    AWSCredentialsProvider: withDefault(credentialsProviders, 'DefaultAWSCredentialsProviderChain'),
    AWSCredentialsProviderDynamoDB: optional(credentialsProviders),
    AWSCredentialsProviderCloudWatch: optional(credentialsProviders),
    workerId: optional(str),
    initialPositionInStream: withDefault(oneOf(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']), 'TRIM_HORIZON'),
    timestampAtInitialPositionInStream: optional(timestamp),
    maxRecords: count(1, 10000, 10000),
    idleTimeBetweenReadsInMillis: ms(0, 1000),
    /** KCL 2.x: read with GetRecords (`POLLING`) or through enhanced fan-out subscriptions (`FANOUT`). */
    retrievalMode: withDefault(oneOf(['POLLING', 'FANOUT']), 'POLLING'),
    /** KCL 2.x: the stream consumer fan-out reads as; registered when missing. */
    consumerName: optional(nonEmptyString),
    failoverTimeMillis: ms(100, 10000),
    shardSyncIntervalMillis: ms(1, 60000),
    shardSyncStrategyType: withDefault(oneOf(['SHARD_END', 'PERIODIC']), 'SHARD_END'),
    cleanupLeasesUponShardCompletion: withDefault(bool, true),
    validateSequenceNumberBeforeCheckpointing: withDefault(bool, true),
    regionName: optional(nonEmptyString),
    kinesisEndpoint: optional(endpoint),
    dynamoDBEndpoint: optional(endpoint),
    callProcessRecordsEvenForEmptyRecordList: withDefault(bool, false),
    parentShardPollIntervalMillis: ms(1, 10000),
    taskBackoffTimeMillis: ms(0, 500),
    /** *Ignored*: CloudWatch metrics are not published. */
    metricsBufferTimeMillis: ms(0, 10000),
    /** *Ignored*. */
    metricsMaxQueueSize: count(0, undefined, 10000),
    /** *Ignored*. */
    metricsLevel: withDefault(oneOf(['NONE', 'SUMMARY', 'DETAILED']), 'DETAILED'),
    /** *Ignored*. */
    metricsEnabledDimensions: withDefault(str, 'Operation,ShardId'),
    /** *Ignored*: lease renewals are asynchronous calls, not a thread pool. */
    maxLeaseRenewalThreads: count(1, undefined, 20),
    maxLeasesForWorker: count(1, 2147483647, 2147483647),
    maxLeasesToStealAtOneTime: count(1, undefined, 1),
    gracefulLeaseHandoffTimeoutMillis: ms(1, 30000),
    initialLeaseTableReadCapacity: count(1, undefined, 10),
    initialLeaseTableWriteCapacity: count(1, undefined, 10),
    skipShardSyncAtStartupIfLeasesExist: withDefault(bool, false),
    userAgent: optional(nonEmptyString),
    tableName: optional(tableName),
    /** *Ignored*: a MultiLang daemon setting. */
    timeoutInSeconds: optional(intInRange(1)),
    shutdownGraceMillis: ms(0, 5000),
    retryGetRecordsInSeconds: optional(intInRange(1, MAX_TIMER_SECONDS, { unit: 'seconds' })),
    maxGetRecordsThreadPool: optional(intInRange(1)),
    dataFetchingStrategy: withDefault(oneOf(['PREFETCH_CACHED', 'DEFAULT']), 'PREFETCH_CACHED'),
    maxPendingProcessRecordsInput: count(1, undefined, 3),
    maxCacheByteSize: count(1, undefined, 8 * 1024 * 1024),
    maxRecordsCount: count(1, undefined, 30000),
    idleMillisBetweenCalls: ms(0, 1500),
    logWarningForTaskAfterMillis: optional(intInRange(1, MAX_TIMER_MILLIS, { unit: 'milliseconds' })),
    ignoreUnexpectedChildShards: withDefault(bool, false),
    listShardsBackoffTimeInMillis: ms(0, 1500),
    maxListShardsRetryAttempts: count(1, undefined, 50),
  },
  {
    streamName: 'not settable in kcl: the stream is the section\'s "stream-name"',
    applicationName: 'not settable in kcl: it is "<kinesis.application-name>-<stream-name>"',
  },
);

const PRODUCER_KEY = 'a producer key: this section is read as a consumer';

/** A consumer section (`kinesis.default-consumer` or `kinesis.<consumer-name>`). */
export const ConsumerSection = strictObject(
  'consumer section',
  {
    /** Required once the section is merged over `default-consumer`. */
    'stream-name': optional(streamName),
    akka: ConsumerAkka,
    worker: Worker,
    checkpointer: Checkpointer,
    kcl: Kcl,
  },
  { kpl: PRODUCER_KEY },
);

/** A decoded consumer section, defaults applied, keyed as in the file. */
export type RawConsumerSection = t.TypeOf<typeof ConsumerSection>;

/** Keys whose presence marks a section as a consumer. */
export const CONSUMER_ONLY_KEYS: readonly string[] = ['worker', 'checkpointer', 'kcl'];
