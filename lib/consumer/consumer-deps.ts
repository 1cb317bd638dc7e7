/**
 * What a consumer talks to and where it reports: the `Deps` every entry point takes (all optional;
 * the defaults come from the configuration and the environment), and their resolution into ports
 * for one subscription.
 * @packageDocumentation
 */
import type { SchedulerLike } from 'rxjs';
import type { ConsumerConf } from '../config/consumer-config';
import { resolveKinesisPort, resolveLeaseStorePort } from '../ports/aws/clients';
import { boundedKinesis, boundedLeaseStore, type CallTimeouts } from '../ports/bounded-calls';
import type { KinesisFanOutPort, KinesisPort } from '../ports/kinesis-port';
import type { LeaseStorePort } from '../ports/lease-store-port';
import type { Deps, Logger } from '../ports/deps';
import { monotonicScheduler } from './monotonic-scheduler';
import type { ShardDiagnostic } from './shard-pipeline';

export type { Deps, KinesisInput, LeaseStoreInput, Logger } from '../ports/deps';

/** What happened on the side of a consumer, for logs and metrics. */
export type ConsumerDiagnostic =
  | ShardDiagnostic
  /** A shard's pipeline failed (its reads kept failing): the shard stops here and its lease is released, so it is read again, by any worker. */
  | { readonly _tag: 'ShardFailed'; readonly shardId: string; readonly error: unknown }
  /** Giving a lease up failed; it expires after the failover time instead. */
  | { readonly _tag: 'ReleaseFailed'; readonly shardId: string; readonly error: unknown };

/** {@link Deps} of `consume$` and `shards$`. */
export interface ConsumerDeps extends Deps {
  /** Told about every page, checkpoint and failure; must not throw. */
  readonly onDiagnostic?: (diagnostic: ConsumerDiagnostic) => void;
}

/** The ports of one consumer subscription. @internal */
export interface ConsumerEnvironment {
  /**
   * Every call bounded by the subscription's call timeouts. Fan-out methods are there when the
   * port has them (the AWS port and `InMemoryKinesis` do).
   */
  readonly kinesis: KinesisPort & Partial<KinesisFanOutPort>;
  /** Every call bounded by the subscription's call timeouts. */
  readonly leases: LeaseStorePort;
  /** `deps.scheduler`, else {@link monotonicScheduler}. */
  readonly scheduler: SchedulerLike;
  /** Destroys the clients built for this subscription; a no-op for those handed in. */
  readonly release: () => void;
  readonly report: (diagnostic: ConsumerDiagnostic) => void;
}

/**
 * Resolves `deps` for one subscription, building the clients `deps` does not provide, and bounds
 * every call of both ports by `timeouts`, on the subscription's scheduler, whatever the ports
 * are (built here, handed in as clients, or handed in as ports). The default scheduler reads the
 * monotonic clock: lease expiry and validity must not move when the wall clock is stepped.
 * @internal
 */
export function consumerEnvironment(conf: ConsumerConf, deps: ConsumerDeps, timeouts: CallTimeouts): ConsumerEnvironment {
  const { region, kinesisEndpoint, dynamoDBEndpoint, userAgent } = conf.aws;
  const regionOption = { userAgent, ...(region === undefined ? {} : { region }) };
  const kinesis = resolveKinesisPort(deps.kinesis, { ...regionOption, ...(kinesisEndpoint === undefined ? {} : { endpoint: kinesisEndpoint }) });
  let leases: ReturnType<typeof resolveLeaseStorePort>;
  try {
    leases = resolveLeaseStorePort(deps.leases, { ...regionOption, ...(dynamoDBEndpoint === undefined ? {} : { endpoint: dynamoDBEndpoint }) });
  } catch (error) {
    kinesis.release();
    throw error;
  }
  const { logger, onDiagnostic } = deps;
  const firstTime = firstTimeOf();
  const scheduler = deps.scheduler ?? monotonicScheduler;
  return {
    kinesis: boundedKinesis(kinesis.port, timeouts, scheduler),
    leases: boundedLeaseStore(leases.port, timeouts, scheduler),
    scheduler,
    release: () => {
      kinesis.release();
      leases.release();
    },
    report: (diagnostic) => {
      onDiagnostic?.(diagnostic);
      if (logger !== undefined) warn(logger, diagnostic, firstTime);
    },
  };
}

/**
 * Whether a key is seen for the first time. Keys are kept for the life of one subscription: two
 * per shard it has read at most.
 */
function firstTimeOf(): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

/**
 * Logs the diagnostics that tell of something going wrong: a loss every time; a producer's habit,
 * which would show in every aggregate, once per shard (the diagnostics count every one).
 */
function warn(logger: Logger, diagnostic: ConsumerDiagnostic, firstTime: (key: string) => boolean): void {
  switch (diagnostic._tag) {
    case 'ShardFailed':
      logger.warn('shard stopped after a failure; its lease is released for another attempt', { shardId: diagnostic.shardId, error: diagnostic.error });
      return;
    case 'ReleaseFailed':
      logger.warn('could not release a lease; it will expire instead', { shardId: diagnostic.shardId, error: diagnostic.error });
      return;
    case 'FinalCheckpointFailed':
      logger.warn('final checkpoint failed; events after the last checkpoint will be delivered again', { shardId: diagnostic.shardId, error: diagnostic.error });
      return;
    case 'Checkpoint':
      if (diagnostic.outcome._tag === 'CheckpointFailed') {
        logger.warn('checkpoint failed; retrying after the backoff', { shardId: diagnostic.shardId, position: diagnostic.outcome.position.toString(), error: diagnostic.outcome.error });
      }
      return;
    case 'AggregateOutOfRange': {
      const context = {
        shardId: diagnostic.shardId,
        sequenceNumber: diagnostic.sequenceNumber,
        outOfRange: diagnostic.outOfRange,
        userRecords: diagnostic.userRecords,
      };
      if (diagnostic.outcome === 'dropped') {
        logger.warn("dropped an aggregate with user records outside the shard's hash-key range, as the KCL does (outOfRangeRecords: 'drop')", context);
      } else if (firstTime(`${diagnostic._tag} ${diagnostic.shardId}`)) {
        logger.warn(
          "delivering user records outside the shard's hash-key range (a producer aggregating across shards, or a KPL re-sending after a reshard: then duplicates); logged once per shard, each such aggregate is an AggregateOutOfRange diagnostic",
          context,
        );
      }
      return;
    }
    case 'UnreadableExplicitHashKey':
      if (firstTime(`${diagnostic._tag} ${diagnostic.shardId}`)) {
        logger.warn('delivering user records whose explicit hash key is not a 128-bit decimal; logged once per shard, each such aggregate is an UnreadableExplicitHashKey diagnostic', {
          shardId: diagnostic.shardId,
          sequenceNumber: diagnostic.sequenceNumber,
          explicitHashKey: diagnostic.explicitHashKey.slice(0, 64),
        });
      }
      return;
    case 'SubscriptionSilent':
      logger.warn('enhanced fan-out subscription silent; resubscribing from the last continuation', {
        shardId: diagnostic.shardId,
        silentMillis: diagnostic.silentMillis,
      });
      return;
    case 'Polled':
      return;
  }
}
