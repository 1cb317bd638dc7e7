/**
 * From a `ConsumerConf` (and the few options without a configuration key) to the settings of the
 * lease coordinator and of the shard pipelines, checked once, when `consume$` or `shards$` is
 * called.
 *
 * Mapping: lease table ← `leaseTableName`; worker id ← `workerId`; failover, lease limits ←
 * `leases.*`; shard sync period, cleanup, parent poll, skip at start-up ← `shardSync.*` (the
 * coordinator syncs periodically whatever `shardSync.strategy` says: a sync is one ListShards);
 * initial position ← `initialPosition`; GetRecords size and pause ← `polling.maxRecords`,
 * `polling.idleTimeBetweenReadsMillis`; retry backoff ← `worker.taskBackoffMillis`; checkpoint pacing
 * ← `checkpointer.intervalMillis`, `checkpointer.backoffMillis`; bound on each step of a stop ←
 * `worker.shutdownTimeoutMillis`; limits of Kinesis and lease-table calls ← the failover time
 * (`call-timeouts`), unless `options.callTimeouts` sets them.
 * @packageDocumentation
 */
import type { Observable } from 'rxjs';
import type { ConsumerConf } from '../config/consumer-config';
import type { OutOfRangeRecords } from './deaggregate/deaggregate';
import type { CallTimeouts } from '../ports/bounded-calls';
import { callTimeouts } from './call-timeouts';
import { resolveLeaseSettings, type LeaseCoordinatorSettings } from './lease/lease-settings';
import { requireMillis } from './polling/backoff';
import { checkPollOptions } from './polling/poll-shard';
import type { ShardPipelineSettings } from './shard-pipeline';

/** What `consume$` and `shards$` take besides the configuration and the deps. */
export interface ConsumeOptions {
  /**
   * Emits to stop gracefully: no lease is taken any more, every shard stops reading, checkpoints
   * its committed prefix, then releases its lease so another worker takes it at once. The
   * Observable completes when all of that is done (each step bounded by
   * `worker.shutdownTimeoutMillis`), so `await lastValueFrom(...)` resolves after the final
   * checkpoints and releases. Only its first value counts.
   */
  readonly stop$?: Observable<unknown>;
  /**
   * A shard stops emitting and fetching while more of its events than this are delivered and not
   * yet committed (an event committed out of order counts until every earlier one is committed).
   * A page's events are emitted in chunks of at most `polling.maxRecords`, each only while no more
   * than this are outstanding, so at most `maxUncommitted + polling.maxRecords` events of a shard
   * wait for a commit, however slow the subscriber and however many user records the page's KPL
   * aggregates hold; the rest of the page (at most 10 MiB of raw records) waits undecoded, and the
   * next page is fetched only once this one is all emitted. Default `polling.maxRecords`; 0
   * emits the next chunk, and fetches the next page, only once the last chunk is all committed
   * (for plain records a chunk is a whole page, as in the seed).
   */
  readonly maxUncommitted?: number;
  /** Checkpoint at once after this many commits of a shard, not only every `checkpointer.intervalMillis`. */
  readonly checkpointAfterCommits?: number;
  /**
   * What becomes of a KPL aggregate read from a shard whose hash-key range some of its user records
   * are outside of. `'deliver'` (the default) delivers every user record: nothing is lost when the
   * producer aggregates across shards (as `aws-kinesis-agg` does), and a KPL that sent some of them
   * again after a reshard makes duplicates. `'drop'` drops the whole aggregate, as the KCL does:
   * fewer duplicates with a KPL that predicts shards and re-sends, data lost with any other
   * producer. Either way each such aggregate is an `AggregateOutOfRange` diagnostic.
   */
  readonly outOfRangeRecords?: OutOfRangeRecords;
  /**
   * How long a Kinesis or lease-table call may go unanswered before it is given up and retried,
   * in milliseconds. By default derived from the failover time: `requestMillis` (lease-table
   * calls, ListShards, GetShardIterator) the renew interval, failover / 3 − epsilon, at least 1 s;
   * `readMillis` (GetRecords, the first event of a fan-out subscription) the failover time, from
   * 10 s to 30 s; `setUpMillis` (creating the table, registering the stream consumer) 60 s.
   * Raise `requestMillis` for a lease table of many tens of thousands of leases, whose Scan takes
   * longer, or `readMillis` for a slow link.
   */
  readonly callTimeouts?: Partial<CallTimeouts>;
}

/** Everything a consumer subscription runs with. */
export interface ConsumerSettings {
  readonly streamName: string;
  readonly lease: LeaseCoordinatorSettings;
  readonly pipeline: ShardPipelineSettings;
  /** Limits of every call to Kinesis and the lease table. */
  readonly calls: CallTimeouts;
}

/**
 * Builds and checks the settings.
 * @throws ConfigError when a lease setting is out of range
 * @throws TypeError when an option or a polling setting is out of range
 */
export function consumerSettings(conf: ConsumerConf, options: ConsumeOptions = {}): ConsumerSettings {
  const lease: LeaseCoordinatorSettings = {
    tableName: conf.leaseTableName,
    streamName: conf.streamName,
    workerId: conf.workerId,
    failoverTimeMillis: conf.leases.failoverTimeMillis,
    shardSyncIntervalMillis: conf.shardSync.intervalMillis,
    maxLeasesForWorker: conf.leases.maxLeasesForWorker,
    maxLeasesToStealAtOneTime: conf.leases.maxLeasesToStealAtOneTime,
    gracefulLeaseHandoffTimeoutMillis: conf.leases.gracefulHandoffTimeoutMillis,
    initialPosition: conf.initialPosition,
    cleanupLeasesUponShardCompletion: conf.shardSync.cleanupLeasesUponShardCompletion,
    parentShardPollIntervalMillis: conf.shardSync.parentShardPollIntervalMillis,
    skipShardSyncAtStartupIfLeasesExist: conf.shardSync.skipAtStartupIfLeasesExist,
  };
  const calls = callTimeouts(resolveLeaseSettings(lease), options.callTimeouts);

  const { maxUncommitted, checkpointAfterCommits, outOfRangeRecords } = options;
  if (maxUncommitted !== undefined && !(Number.isSafeInteger(maxUncommitted) && maxUncommitted >= 0)) {
    throw new TypeError(`consume$: maxUncommitted must be a non-negative integer, got ${String(maxUncommitted)}`);
  }
  if (checkpointAfterCommits !== undefined && !(Number.isSafeInteger(checkpointAfterCommits) && checkpointAfterCommits >= 1)) {
    throw new TypeError(`consume$: checkpointAfterCommits must be a positive integer, got ${String(checkpointAfterCommits)}`);
  }
  if (outOfRangeRecords !== undefined && outOfRangeRecords !== 'deliver' && outOfRangeRecords !== 'drop') {
    throw new TypeError(`consume$: outOfRangeRecords must be 'deliver' or 'drop', got ${JSON.stringify(outOfRangeRecords)}`);
  }
  const pipeline: ShardPipelineSettings = {
    initialPosition: conf.initialPosition,
    maxRecords: conf.polling.maxRecords,
    idleTimeBetweenReadsMillis: conf.polling.idleTimeBetweenReadsMillis,
    ...(maxUncommitted === undefined ? {} : { maxUncommitted }),
    backoff: { initialMillis: conf.worker.taskBackoffMillis, maxMillis: Math.max(10_000, conf.worker.taskBackoffMillis) },
    checkpoint: {
      intervalMillis: conf.checkpointer.intervalMillis,
      backoffMillis: conf.checkpointer.backoffMillis,
      ...(checkpointAfterCommits === undefined ? {} : { maxCommits: checkpointAfterCommits }),
    },
    shutdownTimeoutMillis: conf.worker.shutdownTimeoutMillis,
    ...(outOfRangeRecords === undefined ? {} : { outOfRangeRecords }),
  };
  checkPollOptions(pipeline);
  requireMillis(pipeline.shutdownTimeoutMillis, 'consume$: worker.shutdownTimeoutMillis');
  requireMillis(pipeline.checkpoint.intervalMillis, 'consume$: checkpointer.intervalMillis');
  requireMillis(pipeline.checkpoint.backoffMillis, 'consume$: checkpointer.backoffMillis');

  return { streamName: conf.streamName, lease, pipeline, calls };
}
