/**
 * The settings of a lease coordinator, their defaults and their checks. Times are milliseconds of
 * the injected scheduler.
 *
 * From the consumer configuration (`ConsumerConf`): `tableName` ← `leaseTableName`;
 * `workerId` ← `kcl.workerId`; `failoverTimeMillis`, `maxLeasesForWorker`,
 * `maxLeasesToStealAtOneTime` ← `lease.*`; `gracefulLeaseHandoffTimeoutMillis` ←
 * `lease.gracefulHandoffTimeoutMillis` (the KCL 3.x key `kcl.gracefulLeaseHandoffTimeoutMillis`);
 * `shardSyncIntervalMillis`, `cleanupLeasesUponShardCompletion`, `parentShardPollIntervalMillis`,
 * `skipShardSyncAtStartupIfLeasesExist` (`skipAtStartupIfLeasesExist`) ← `shardSync.*`;
 * `initialPosition` ← `initialPosition`. `epsilonMillis`, `takeIntervalMillis` and
 * `storeBackoffMillis` have no configuration key and default as below.
 * @packageDocumentation
 */
import { ConfigError, type ConfigIssue } from '../../model/errors';
import type { InitialPosition } from '../../config/consumer-config';

/** What a lease coordinator is told. */
export interface LeaseCoordinatorSettings {
  /** The lease table (`<application-name>-<stream-name>` unless configured). */
  readonly tableName: string;
  readonly streamName: string;
  /** This worker's identity in `leaseOwner`; unique per running consumer. */
  readonly workerId: string;
  /** A lease not renewed for this long may be taken by another worker (KCL default 10000). */
  readonly failoverTimeMillis: number;
  /**
   * Safety margin (KCL default 25): renewals run every failover / 3 − epsilon, and a held lease
   * counts as lost epsilon before a full failover period has passed since its last write began.
   */
  readonly epsilonMillis?: number;
  /**
   * Pause between the end of one take round (scan, take, steal) and the start of the next.
   * Default failover / 5 (2 s with the default failover). See {@link defaultTakeIntervalMillis}.
   */
  readonly takeIntervalMillis?: number;
  /** Period of shard sync after the one at start (seed default 60000). */
  readonly shardSyncIntervalMillis: number;
  /** The most leases this worker holds (seed default 2^31 − 1). */
  readonly maxLeasesForWorker: number;
  /** The most leases stolen in one take round (seed default 1); 0 never steals. */
  readonly maxLeasesToStealAtOneTime: number;
  /** Where the leases of new shards start. */
  readonly initialPosition: InitialPosition;
  /** Delete a finished shard's lease once its children have made progress (seed default true). */
  readonly cleanupLeasesUponShardCompletion: boolean;
  /** How often a held lease whose parents are not finished checks them again (seed default 10000). */
  readonly parentShardPollIntervalMillis: number;
  /**
   * Skip the shard sync at start when the table already has leases (the first periodic sync
   * catches up); a faster start for a large fleet. Default false.
   */
  readonly skipShardSyncAtStartupIfLeasesExist?: boolean;
  /**
   * First delay before retrying a throttled or failed store call, doubled on each retry up to the
   * renew interval. Default 200.
   */
  readonly storeBackoffMillis?: number;
  /**
   * How long the old owner of a lease in a graceful handoff may take to checkpoint and hand it
   * over (the KCL 3.x `gracefulLeaseHandoffTimeoutMillis`, default 30000): the old owner then
   * hands it over without its final checkpoint, and the new owner takes it by itself failover
   * later.
   */
  readonly gracefulLeaseHandoffTimeoutMillis?: number;
}

/** The settings with defaults filled in and derived periods computed. */
export interface ResolvedLeaseSettings extends Required<LeaseCoordinatorSettings> {
  /** failover / 3 − epsilon (3308 with the defaults), the KCL's renewer period. */
  readonly renewIntervalMillis: number;
  /** Pause before the next take round after losing a race for a free lease: take interval / 4. */
  readonly contendedTakeIntervalMillis: number;
  /**
   * Pause after the first take round, which counted a peer it could not see: take interval / 2.
   * Longer than the pause after a lost race, so that a peer whose first takes all lost a race (and
   * so owns nothing and cannot be seen) has taken its share when this worker looks again.
   */
  readonly confirmTakeIntervalMillis: number;
}

/** The KCL's epsilon. */
export const DEFAULT_EPSILON_MILLIS = 25;
/** The KCL 3.x default of `gracefulLeaseHandoffTimeoutMillis`. */
export const DEFAULT_GRACEFUL_LEASE_HANDOFF_TIMEOUT_MILLIS = 30_000;
/** Default first retry delay of a store call. */
export const DEFAULT_STORE_BACKOFF_MILLIS = 200;
/** Attempts of a store or Kinesis call at start-up (ensure table, first shard sync) before giving up. */
export const STARTUP_ATTEMPTS = 10;
/** Attempts of one take write (the KCL's `TAKE_RETRIES`). */
export const TAKE_ATTEMPTS = 3;

/**
 * The default pause between take rounds: failover / 5.
 *
 * The KCL waits (failover + epsilon) × 2, 20 s by default, so a worker that joins needs 20 s per
 * stolen lease and a released lease waits up to 20 s for a taker. A round costs one consistent
 * Scan of the table (one read unit per 4 KiB, about ten leases), which is cheap next to what slow
 * rebalancing costs. With failover / 5 (2 s by default) a released lease is taken within 2 s, a
 * dead worker's leases within failover + 2 s, and a worker that joins a pair holding 4 shards
 * reaches its share of 2 in two rounds, about 4 s.
 */
export function defaultTakeIntervalMillis(failoverTimeMillis: number): number {
  return Math.max(1, Math.round(failoverTimeMillis / 5));
}

/**
 * Fills in the defaults and checks every setting.
 * @throws ConfigError listing every setting that is missing or out of range
 */
export function resolveLeaseSettings(settings: LeaseCoordinatorSettings): ResolvedLeaseSettings {
  const issues: ConfigIssue[] = [];
  const text = (name: keyof LeaseCoordinatorSettings): void => {
    const value = settings[name];
    if (typeof value !== 'string' || value.length === 0) issues.push({ path: name, message: `must be a non-empty string, got ${JSON.stringify(value)}` });
  };
  const positive = (name: keyof LeaseCoordinatorSettings, value: unknown): void => {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) issues.push({ path: name, message: `must be a positive number of milliseconds, got ${String(value)}` });
  };
  const count = (name: keyof LeaseCoordinatorSettings, min: number): void => {
    const value = settings[name];
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) issues.push({ path: name, message: `must be an integer ≥ ${min}, got ${String(value)}` });
  };

  text('tableName');
  text('streamName');
  text('workerId');
  const epsilonMillis = settings.epsilonMillis ?? DEFAULT_EPSILON_MILLIS;
  if (!(typeof epsilonMillis === 'number' && Number.isFinite(epsilonMillis) && epsilonMillis >= 0)) {
    issues.push({ path: 'epsilonMillis', message: `must be a non-negative number of milliseconds, got ${String(epsilonMillis)}` });
  }
  positive('failoverTimeMillis', settings.failoverTimeMillis);
  const renewIntervalMillis = settings.failoverTimeMillis / 3 - epsilonMillis;
  if (Number.isFinite(renewIntervalMillis) && settings.failoverTimeMillis > 0 && !(renewIntervalMillis >= 1)) {
    issues.push({ path: 'failoverTimeMillis', message: `must leave a renew interval (failover / 3 − epsilon) of at least 1 ms, got failover ${settings.failoverTimeMillis} with epsilon ${epsilonMillis}` });
  }
  const takeIntervalMillis = settings.takeIntervalMillis ?? defaultTakeIntervalMillis(settings.failoverTimeMillis);
  positive('takeIntervalMillis', takeIntervalMillis);
  positive('shardSyncIntervalMillis', settings.shardSyncIntervalMillis);
  positive('parentShardPollIntervalMillis', settings.parentShardPollIntervalMillis);
  const storeBackoffMillis = settings.storeBackoffMillis ?? DEFAULT_STORE_BACKOFF_MILLIS;
  positive('storeBackoffMillis', storeBackoffMillis);
  const gracefulLeaseHandoffTimeoutMillis = settings.gracefulLeaseHandoffTimeoutMillis ?? DEFAULT_GRACEFUL_LEASE_HANDOFF_TIMEOUT_MILLIS;
  positive('gracefulLeaseHandoffTimeoutMillis', gracefulLeaseHandoffTimeoutMillis);
  count('maxLeasesForWorker', 1);
  count('maxLeasesToStealAtOneTime', 0);
  const skipShardSyncAtStartupIfLeasesExist = settings.skipShardSyncAtStartupIfLeasesExist ?? false;
  if (typeof skipShardSyncAtStartupIfLeasesExist !== 'boolean') {
    issues.push({ path: 'skipShardSyncAtStartupIfLeasesExist', message: `must be true or false, got ${String(skipShardSyncAtStartupIfLeasesExist)}` });
  }
  if (typeof settings.cleanupLeasesUponShardCompletion !== 'boolean') {
    issues.push({ path: 'cleanupLeasesUponShardCompletion', message: `must be true or false, got ${String(settings.cleanupLeasesUponShardCompletion)}` });
  }
  checkInitialPosition(settings.initialPosition, issues);
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    ...settings,
    epsilonMillis,
    takeIntervalMillis,
    storeBackoffMillis,
    gracefulLeaseHandoffTimeoutMillis,
    skipShardSyncAtStartupIfLeasesExist,
    renewIntervalMillis: Math.floor(renewIntervalMillis),
    contendedTakeIntervalMillis: Math.max(1, Math.ceil(takeIntervalMillis / 4)),
    confirmTakeIntervalMillis: Math.max(1, Math.ceil(takeIntervalMillis / 2)),
  };
}

function checkInitialPosition(initial: InitialPosition | undefined, issues: ConfigIssue[]): void {
  const type: unknown = (initial as { type?: unknown } | undefined)?.type;
  if (type === 'TRIM_HORIZON' || type === 'LATEST') return;
  if (type === 'AT_TIMESTAMP') {
    const timestamp: unknown = (initial as { timestamp?: unknown }).timestamp;
    if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
      issues.push({ path: 'initialPosition.timestamp', message: `AT_TIMESTAMP needs a valid Date, got ${String(timestamp)}` });
    }
    return;
  }
  issues.push({ path: 'initialPosition', message: `must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, got ${JSON.stringify(initial)}` });
}
