/**
 * The typed consumer configuration the consumer modules take, and `consumerConf`, which builds it
 * from a named section of a decoded {@link KinesisConfig}. Fields are grouped by concern and use
 * milliseconds throughout; each names the seed key it comes from and its default.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { ConfigIssue } from '../model/errors';
import { ConsumerSection, type RawConsumerSection, tableName as tableNameCodec } from './consumer-codec';
import type { KinesisConfig } from './kinesis-config';
import { frozenCopy } from './merge';
import { check, invalid, orThrow, valid, type Checked } from './report';
import { resolveSection, sectionPath, streamNameMissing } from './sections';

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

/** Where a shard with no checkpoint starts (`kcl.initialPositionInStream`, default TRIM_HORIZON). */
export type InitialPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  /** `kcl.timestampAtInitialPositionInStream` is required with AT_TIMESTAMP. */
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date };

/** Batch processing by the `KinesisConsumer` (`worker.*`). */
export interface ConsumerWorkerConf {
  /** `worker.batchTimeoutSeconds` × 1000; default 10 s. Time allowed for each attempt at a batch. */
  readonly batchTimeoutMillis: number;
  /** `worker.failedMessageRetries`, default 1: re-sends of unacknowledged events after a batch timeout. */
  readonly failedMessageRetries: number;
  /**
   * `worker.failureTolerancePercentage`, default 0.25, in **percent** (0..100): a batch of n events
   * may leave floor(value / 100 × n) unacknowledged after the last retry and still succeed.
   */
  readonly failureTolerancePercentage: number;
  /** `worker.gracefulShutdownHook`, default true: `start()` stops the consumer on SIGTERM/SIGINT. */
  readonly gracefulShutdownHook: boolean;
  /** `worker.shutdownTimeoutSeconds` × 1000; default 25 s. Bounds each step of a graceful stop. */
  readonly shutdownTimeoutMillis: number;
  /** `kcl.shutdownGraceMillis`, default 5000: grace before a forced shutdown. */
  readonly shutdownGraceMillis: number;
  /** `kcl.taskBackoffTimeMillis`, default 500: wait after a failed step of a shard pipeline. */
  readonly taskBackoffMillis: number;
  /** `kcl.logWarningForTaskAfterMillis`, default unset: warn when one step runs longer. */
  readonly logWarningForTaskAfterMillis?: number;
}

/** Checkpoint pacing (`checkpointer.*`, `kcl.validateSequenceNumberBeforeCheckpointing`). */
export interface CheckpointerConf {
  /** `checkpointer.backoffMillis`, default 3000: wait after a failed checkpoint. */
  readonly backoffMillis: number;
  /** `checkpointer.intervalMillis`, default 2000: wait after a successful checkpoint. */
  readonly intervalMillis: number;
  /** `checkpointer.notificationDelayMillis`, default 1000: period of "ready to checkpoint". */
  readonly notificationDelayMillis: number;
  /** `kcl.validateSequenceNumberBeforeCheckpointing`, default true: check a sequence number with Kinesis first. */
  readonly validateSequenceNumber: boolean;
}

/** Background reading ahead of the processor (`kcl.dataFetchingStrategy` and the cache keys). */
export interface PrefetchConf {
  /** `kcl.dataFetchingStrategy` is `PREFETCH_CACHED` (the seed's default) rather than `DEFAULT`. */
  readonly enabled: boolean;
  /** `kcl.maxPendingProcessRecordsInput`, default 3: batches read ahead. */
  readonly maxPendingBatches: number;
  /** `kcl.maxCacheByteSize`, default 8 MiB: bytes read ahead. */
  readonly maxBytes: number;
  /** `kcl.maxRecordsCount`, default 30000: records read ahead. */
  readonly maxRecords: number;
  /** `kcl.idleMillisBetweenCalls`, default 1500: pause between read-ahead calls. */
  readonly idleMillisBetweenCalls: number;
}

/** GetRecords polling of one shard. */
export interface PollingConf {
  /** `kcl.maxRecords`, default 10000 (1..10000): GetRecords limit, the largest batch. */
  readonly maxRecords: number;
  /** `kcl.idleTimeBetweenReadsInMillis`, default 1000: pause between GetRecords calls. */
  readonly idleTimeBetweenReadsMillis: number;
  /** `kcl.callProcessRecordsEvenForEmptyRecordList`, default false: deliver empty batches. */
  readonly deliverEmptyBatches: boolean;
  readonly prefetch: PrefetchConf;
  /**
   * `kcl.retryGetRecordsInSeconds` × 1000 and `kcl.maxGetRecordsThreadPool` (both or neither):
   * start another GetRecords when one has not answered within `afterMillis`, up to `maxConcurrent`.
   */
  readonly getRecordsRetry?: { readonly afterMillis: number; readonly maxConcurrent: number };
}

/**
 * Enhanced fan-out (`kcl.retrievalMode` FANOUT): each shard is read through SubscribeToShard as a
 * registered stream consumer, with 2 MiB/s of its own per shard, instead of GetRecords.
 */
export interface FanOutConf {
  /** `kcl.consumerName`, default `<application-name>-<stream-name>` (the KCL application name). */
  readonly consumerName: string;
}

/** Lease ownership (`kcl.*`). The table name is {@link ConsumerConf.leaseTableName}. */
export interface LeaseConf {
  /** `kcl.failoverTimeMillis`, default 10000: a lease not renewed for this long may be taken. */
  readonly failoverTimeMillis: number;
  /** `kcl.maxLeasesForWorker`, default 2^31 − 1. */
  readonly maxLeasesForWorker: number;
  /** `kcl.maxLeasesToStealAtOneTime`, default 1. */
  readonly maxLeasesToStealAtOneTime: number;
  /**
   * `kcl.gracefulLeaseHandoffTimeoutMillis` (the KCL 3.x key), default 30000: how long a worker
   * asked for a lease may take to checkpoint and hand it over before the lease is taken anyway.
   */
  readonly gracefulHandoffTimeoutMillis: number;
  /** `kcl.initialLeaseTableReadCapacity`, default 10, used when creating the table. */
  readonly initialReadCapacity: number;
  /** `kcl.initialLeaseTableWriteCapacity`, default 10, used when creating the table. */
  readonly initialWriteCapacity: number;
}

/** Shard discovery and the lease lifecycle around resharding (`kcl.*`). */
export interface ShardSyncConf {
  /** `kcl.shardSyncIntervalMillis`, default 60000. */
  readonly intervalMillis: number;
  /** `kcl.shardSyncStrategyType`, default SHARD_END: sync at shard end only, or also periodically. */
  readonly strategy: 'SHARD_END' | 'PERIODIC';
  /** `kcl.skipShardSyncAtStartupIfLeasesExist`, default false. */
  readonly skipAtStartupIfLeasesExist: boolean;
  /** `kcl.cleanupLeasesUponShardCompletion`, default true: delete a finished shard's lease. */
  readonly cleanupLeasesUponShardCompletion: boolean;
  /** `kcl.ignoreUnexpectedChildShards`, default false. */
  readonly ignoreUnexpectedChildShards: boolean;
  /** `kcl.parentShardPollIntervalMillis`, default 10000: poll while a child waits for its parents. */
  readonly parentShardPollIntervalMillis: number;
  /** `kcl.listShardsBackoffTimeInMillis`, default 1500: wait after a throttled ListShards. */
  readonly listShardsBackoffMillis: number;
  /** `kcl.maxListShardsRetryAttempts`, default 50. */
  readonly maxListShardsRetryAttempts: number;
}

/** Where the AWS clients built from configuration point (injected clients ignore this). */
export interface ConsumerAwsConf {
  /** `kcl.regionName`; default unset: the SDK's region resolution applies. */
  readonly region?: string;
  /** `kcl.kinesisEndpoint` as a URL (a bare host means HTTPS); default unset. */
  readonly kinesisEndpoint?: string;
  /** `kcl.dynamoDBEndpoint` as a URL (a bare host means HTTPS); default unset. */
  readonly dynamoDBEndpoint?: string;
  /** `kcl.userAgent`, default `<application-name>-<stream-name>`. */
  readonly userAgent: string;
}

/**
 * Everything a consumer needs, typed. Built by {@link consumerConf}.
 *
 * Seed keys accepted but without effect: `akka.dispatcher` (schedulers are injected), the
 * `kcl.AWSCredentialsProvider*` keys (every accepted name means the SDK's default credential
 * chain; inject credentials or clients otherwise), `kcl.metrics*`, `kcl.maxLeaseRenewalThreads`
 * and `kcl.timeoutInSeconds`.
 */
export interface ConsumerConf {
  /** `kinesis.application-name`, default `"KinesisProducer"` (the seed's default; set your own). */
  readonly applicationName: string;
  /** `stream-name`, required. */
  readonly streamName: string;
  /** `kcl.tableName`, default `<application-name>-<stream-name>` (the KCL application name). */
  readonly leaseTableName: string;
  /** `kcl.workerId`, default a random UUID generated by each {@link consumerConf} call. */
  readonly workerId: string;
  readonly initialPosition: InitialPosition;
  readonly worker: ConsumerWorkerConf;
  readonly checkpointer: CheckpointerConf;
  readonly polling: PollingConf;
  /** Present when `kcl.retrievalMode` is FANOUT: shards are read through enhanced fan-out. */
  readonly fanOut?: FanOutConf;
  readonly leases: LeaseConf;
  readonly shardSync: ShardSyncConf;
  readonly aws: ConsumerAwsConf;
}

// -------------------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------------------

/** The built-in consumer defaults, keyed as in a `default-consumer` section (no `stream-name`). */
export const DEFAULT_CONSUMER_SECTION: RawConsumerSection = frozenCopy(orThrow(check(ConsumerSection, {}, sectionPath('default-consumer'))));

/** The start position, or undefined when AT_TIMESTAMP lacks its timestamp. */
function initialPositionOf(kcl: RawConsumerSection['kcl']): InitialPosition | undefined {
  const position = kcl.initialPositionInStream;
  if (position !== 'AT_TIMESTAMP') return { type: position };
  const timestamp = kcl.timestampAtInitialPositionInStream;
  return timestamp === undefined ? undefined : { type: 'AT_TIMESTAMP', timestamp };
}

/** The one place the raw, seed-keyed section becomes a {@link ConsumerConf}, with cross-key checks. */
export function toConsumerConf(raw: RawConsumerSection, applicationName: string, name: string): Checked<ConsumerConf> {
  const path = sectionPath(name);
  const { worker, checkpointer, kcl } = raw;
  const streamName = raw['stream-name'];
  if (streamName === undefined) return invalid([streamNameMissing(name)]);

  const issues: ConfigIssue[] = [];
  const kclApplicationName = `${applicationName}-${streamName}`;
  if (kcl.tableName === undefined && !tableNameCodec.is(kclApplicationName)) {
    issues.push({
      path: `${path}.kcl.tableName`,
      message:
        `the default lease table name "${kclApplicationName}" (<application-name>-<stream-name>) is not ` +
        `${tableNameCodec.name}; set kcl.tableName or change kinesis.application-name`,
    });
  }
  const initialPosition = initialPositionOf(kcl);
  if (initialPosition === undefined) {
    issues.push({
      path: `${path}.kcl.timestampAtInitialPositionInStream`,
      message: 'required when initialPositionInStream is "AT_TIMESTAMP"',
    });
  }
  const retryAfter = kcl.retryGetRecordsInSeconds;
  const retryPool = kcl.maxGetRecordsThreadPool;
  if ((retryAfter === undefined) !== (retryPool === undefined)) {
    const [missing, present] =
      retryAfter === undefined ? ['retryGetRecordsInSeconds', 'maxGetRecordsThreadPool'] : ['maxGetRecordsThreadPool', 'retryGetRecordsInSeconds'];
    issues.push({ path: `${path}.kcl.${missing}`, message: `required when ${present} is set` });
  }
  if (issues.length > 0 || initialPosition === undefined) return invalid(issues);

  const workerId = kcl.workerId !== undefined && kcl.workerId.trim() !== '' ? kcl.workerId : randomUUID();
  return valid(
    frozenCopy<ConsumerConf>({
      applicationName,
      streamName,
      leaseTableName: kcl.tableName ?? kclApplicationName,
      workerId,
      initialPosition,
      worker: {
        batchTimeoutMillis: worker.batchTimeoutSeconds * 1000,
        failedMessageRetries: worker.failedMessageRetries,
        failureTolerancePercentage: worker.failureTolerancePercentage,
        gracefulShutdownHook: worker.gracefulShutdownHook,
        shutdownTimeoutMillis: worker.shutdownTimeoutSeconds * 1000,
        shutdownGraceMillis: kcl.shutdownGraceMillis,
        taskBackoffMillis: kcl.taskBackoffTimeMillis,
        ...(kcl.logWarningForTaskAfterMillis === undefined ? {} : { logWarningForTaskAfterMillis: kcl.logWarningForTaskAfterMillis }),
      },
      checkpointer: {
        backoffMillis: checkpointer.backoffMillis,
        intervalMillis: checkpointer.intervalMillis,
        notificationDelayMillis: checkpointer.notificationDelayMillis,
        validateSequenceNumber: kcl.validateSequenceNumberBeforeCheckpointing,
      },
      polling: {
        maxRecords: kcl.maxRecords,
        idleTimeBetweenReadsMillis: kcl.idleTimeBetweenReadsInMillis,
        deliverEmptyBatches: kcl.callProcessRecordsEvenForEmptyRecordList,
        prefetch: {
          enabled: kcl.dataFetchingStrategy === 'PREFETCH_CACHED',
          maxPendingBatches: kcl.maxPendingProcessRecordsInput,
          maxBytes: kcl.maxCacheByteSize,
          maxRecords: kcl.maxRecordsCount,
          idleMillisBetweenCalls: kcl.idleMillisBetweenCalls,
        },
        ...(retryAfter === undefined || retryPool === undefined
          ? {}
          : { getRecordsRetry: { afterMillis: retryAfter * 1000, maxConcurrent: retryPool } }),
      },
      ...(kcl.retrievalMode === 'FANOUT' ? { fanOut: { consumerName: kcl.consumerName ?? kclApplicationName } } : {}),
      leases: {
        failoverTimeMillis: kcl.failoverTimeMillis,
        maxLeasesForWorker: kcl.maxLeasesForWorker,
        maxLeasesToStealAtOneTime: kcl.maxLeasesToStealAtOneTime,
        gracefulHandoffTimeoutMillis: kcl.gracefulLeaseHandoffTimeoutMillis,
        initialReadCapacity: kcl.initialLeaseTableReadCapacity,
        initialWriteCapacity: kcl.initialLeaseTableWriteCapacity,
      },
      shardSync: {
        intervalMillis: kcl.shardSyncIntervalMillis,
        strategy: kcl.shardSyncStrategyType,
        skipAtStartupIfLeasesExist: kcl.skipShardSyncAtStartupIfLeasesExist,
        cleanupLeasesUponShardCompletion: kcl.cleanupLeasesUponShardCompletion,
        ignoreUnexpectedChildShards: kcl.ignoreUnexpectedChildShards,
        parentShardPollIntervalMillis: kcl.parentShardPollIntervalMillis,
        listShardsBackoffMillis: kcl.listShardsBackoffTimeInMillis,
        maxListShardsRetryAttempts: kcl.maxListShardsRetryAttempts,
      },
      aws: {
        ...(kcl.regionName === undefined ? {} : { region: kcl.regionName }),
        ...(kcl.kinesisEndpoint === undefined ? {} : { kinesisEndpoint: kcl.kinesisEndpoint }),
        ...(kcl.dynamoDBEndpoint === undefined ? {} : { dynamoDBEndpoint: kcl.dynamoDBEndpoint }),
        userAgent: kcl.userAgent ?? kclApplicationName,
      },
    }),
  );
}

/** {@link consumerConf} without throwing: the conf, or every issue. */
export function checkConsumerConf(config: KinesisConfig, name: string): Checked<ConsumerConf> {
  const raw = resolveSection(ConsumerSection, config.source, 'default-consumer', name, 'consumer');
  return raw.ok ? toConsumerConf(raw.value, config.applicationName, name) : raw;
}

/**
 * The consumer named `name`: section `kinesis.<name>` deep-merged over `kinesis.default-consumer`
 * (nested objects key by key), then over the built-in defaults ({@link DEFAULT_CONSUMER_SECTION}).
 *
 * @example
 * consumerConf(decodeKinesisConfig({ 'application-name': 'app', 'my-consumer': { 'stream-name': 's' } }), 'my-consumer')
 * @throws {ConfigError} when the section is missing, `stream-name` is missing or empty, the section
 *   holds producer keys, or a cross-key rule fails (AT_TIMESTAMP without a timestamp…).
 */
export function consumerConf(config: KinesisConfig, name: string): ConsumerConf {
  return orThrow(checkConsumerConf(config, name));
}
