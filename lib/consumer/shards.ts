/**
 * `shards$`: the shards this worker holds a lease on, each as its own Observable of committable
 * events. It is where the lease coordinator and the shard pipelines meet:
 *
 * ```
 * lease coordinator ── LeaseAcquired(shard) ──▶ { shardId, events$: shardPipeline(shard) ⧺ release }
 *                   ├─ LeaseHandoff(shard) ────▶ stops that shard as its stop() does
 *                   └─ LeaseLost(shard) ───────▶ ends that shard's pipeline only
 * ```
 *
 * One coordinator per subscription (its own take, renew and sync timers), so two subscriptions
 * are two workers. A shard's `events$` ends when:
 * - another worker asks for its lease (a graceful handoff, how workers rebalance): as on `stop()`,
 *   reading stops and the committed prefix is checkpointed, then the release hands the lease to
 *   that worker, which reads on from that checkpoint;
 * - its lease is lost (its holder fell silent, or a handoff timed out): at once, writing nothing more;
 * - the shard has been read to its end: after every event is committed, the last checkpoint and
 *   SHARD_END are written, and the children become readable (by whichever worker takes them);
 * - `stop$` emits, or `stop()` is called on that shard alone: reading stops, the committed prefix
 *   is checkpointed, the lease is released;
 * - its reads keep failing: the committed prefix is checkpointed, the failure is reported as a
 *   `ShardFailed` diagnostic (not an error, so the other shards go on), and the lease is released so
 *   the shard is read again, here after a failover period or by another worker sooner;
 * - it is unsubscribed: the final checkpoint and release then run on their own, bounded by
 *   `worker.shutdownTimeoutMillis`, and the subscription's clients are destroyed after them.
 * @packageDocumentation
 */
import {
  EMPTY,
  NEVER,
  ReplaySubject,
  catchError,
  concat,
  concatMap,
  connect,
  defer,
  filter,
  finalize,
  ignoreElements,
  map,
  merge,
  of,
  retry,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
  type Observable,
} from 'rxjs';
import type { ConsumerConf } from '../config/consumer-config';
import type { ConsumerEvent } from '../model/consumer-event';
import { ConfigError } from '../model/errors';
import { CompoundSequenceNumber } from '../model/sequence-number';
import type { CommittableEvent } from './committable-event';
import { consumerEnvironment, type ConsumerDeps, type ConsumerEnvironment } from './consumer-deps';
import { consumerSettings, type ConsumeOptions, type ConsumerSettings } from './consumer-settings';
import { leaseCoordinator, type LeaseCoordinator, type LeaseEvent } from './lease/lease-coordinator';
import { isRetryable } from './lease/store-retry';
import { backoff } from './polling/backoff';
import { fanOutPort } from './fan-out/subscribe-shard';
import { shardPipeline } from './shard-pipeline';
import { SubscriptionLifetime } from './subscription-lifetime';

/** One shard this worker holds a lease on. */
export interface LeasedShard {
  readonly shardId: string;
  /**
   * This tenure's fencing token: the lease counter when the shard was handed to the consumer (at
   * its take, or at the renewal after which its parent shards were found finished), also on
   * every event ({@link CommittableEvent.fencingToken}). Any later tenure of the shard, here or on
   * another worker, has a greater one.
   */
  readonly fencingToken: number;
  /**
   * The shard's events, in sequence order, from its checkpoint on. Subscribe to it once, when it
   * is emitted (as `mergeMap` does): the lease is renewed whether or not anyone reads the shard,
   * and a second subscription errors. Completes when the lease is lost, the shard ends, or the
   * consumer or this shard is stopped; unsubscribing stops the shard gracefully too, but then the
   * final checkpoint and release run on their own and nobody can wait for them.
   */
  readonly events$: Observable<CommittableEvent<ConsumerEvent>>;
  /**
   * Stops this shard gracefully, as `stop$` stops them all, while the other shards go on: reading
   * stops and no further event is emitted, the committed prefix is checkpointed, the lease is
   * released (each write bounded by `worker.shutdownTimeoutMillis`), then `events$` completes, so
   * a subscriber that waits for its completion knows the lease is free. The shard is then read
   * again, from that checkpoint, here after a failover period or by another worker sooner.
   *
   * Idempotent, and never throws. Called before `events$` is subscribed, it takes effect on the
   * subscription (which then reads nothing); called after `events$` ended, it does nothing.
   */
  stop(): void;
  /**
   * How far behind the tip of the shard this worker is, as Kinesis said in the last GetRecords
   * answer or fan-out event (0: caught up); `undefined` before the first answer. A gauge for lag alarms and
   * autoscaling: the most of it over the shards a worker holds is that worker's lag.
   */
  readonly millisBehindLatest: number | undefined;
}

type Acquired = Extract<LeaseEvent, { readonly _tag: 'LeaseAcquired' }>;

/** What is known of one acquisition between `LeaseAcquired` and the end of its pipeline. */
interface Acquisition {
  /** `LeaseLost` has come: nothing may be read or written for this acquisition any more. */
  lost: boolean;
  subscribed: boolean;
  /** The shard's `stop()`. */
  readonly stop: () => void;
  /** From the last GetRecords answer or fan-out event of this acquisition. */
  millisBehindLatest: number | undefined;
}

/**
 * The shards this worker holds, one {@link LeasedShard} per acquired lease, read in parallel.
 *
 * Cold: nothing happens until subscribed; each subscription is a worker of its own. Errors only
 * when the lease table or the stream cannot be used at all (access denied, a table that cannot be
 * created, the stream missing at start-up) or on a configuration error met while reading (a lease
 * checkpointed AT_TIMESTAMP with no timestamp configured); one shard's failure ends only that shard.
 * Completes after `options.stop$` has emitted and every shard has been checkpointed and released.
 *
 * @param conf the consumer configuration (`consumerConf(config, name)`)
 * @param deps Kinesis, the lease table, scheduler, logger; all optional
 * @param options graceful stop and backpressure
 * @throws ConfigError or TypeError, when called, when a setting is out of range
 */
export function shards$(conf: ConsumerConf, deps: ConsumerDeps = {}, options: ConsumeOptions = {}): Observable<LeasedShard> {
  const settings = consumerSettings(conf, options);
  const stop$ = options.stop$ ?? NEVER;
  return defer(() => {
    const env = consumerEnvironment(conf, deps, settings.calls);
    const lifetime = new SubscriptionLifetime(env.release);
    return stop$.pipe(
      take(1),
      // One stop signal per subscription, replayed: every pipeline (including one subscribed late)
      // sees it, and the coordinator, subscribed first, stops taking leases before any shard stops.
      connect(
        (stopping$) =>
          readSettings(conf, env, settings).pipe(
            // A stop while the stream consumer is being registered ends the start-up there.
            // eslint-disable-next-line rxjs-x/no-unsafe-takeuntil
            takeUntil(stopping$),
            concatMap((resolved) => {
              const coordinator = leaseCoordinator({ leases: env.leases, kinesis: env.kinesis, scheduler: env.scheduler }, resolved.lease);
              const wiring: Wiring = { env, settings: resolved, coordinator, lifetime };
              // A stopping worker takes back the handoffs it asked for, so that their holders keep
              // reading instead of handing shards to a worker that is gone.
              const withdrawals$ = stopping$.pipe(
                take(1),
                concatMap(() => coordinator.withdrawRequests().pipe(takeUntil(timer(resolved.pipeline.shutdownTimeoutMillis, env.scheduler)))),
              );
              return merge(
                // Ending the lease events is what ends the outer stream; the shards' own events$ stop
                // through `stopping$` and are owned by whoever subscribed to them.
                coordinator.events$.pipe(takeUntil(stopping$)),
                withdrawals$,
              ).pipe(connect((lease$) => leasedShards(wiring, lease$, stopping$)));
            }),
          ),
        { connector: () => new ReplaySubject<unknown>(1) },
      ),
      finalize(() => lifetime.end()),
    );
  });
}

/**
 * The settings shards are read with: as configured for polling; for enhanced fan-out, once the
 * stream consumer is registered and ACTIVE (before any lease is taken, so that no lease is held
 * by a worker that cannot read yet), with its ARN. A registration that runs out of time or meets
 * a transient fault is tried again after the read backoff, as often as a read would be.
 */
function readSettings(conf: ConsumerConf, env: ConsumerEnvironment, settings: ConsumerSettings): Observable<ConsumerSettings> {
  const { fanOut } = conf;
  if (fanOut === undefined) return of(settings);
  const retries = backoff(settings.pipeline.backoff, 'consume$');
  return defer(() => fanOutPort(env.kinesis).ensureStreamConsumer(settings.streamName, fanOut.consumerName)).pipe(
    take(1),
    retry({
      count: retries.maxRetries,
      delay: (error: unknown, attempt) => (isRetryable(error) ? timer(retries.delay(attempt), env.scheduler) : throwError(() => error)),
    }),
    map((consumerArn) => ({ ...settings, pipeline: { ...settings.pipeline, fanOut: { consumerArn } } })),
  );
}

/** The parts of one subscription. */
interface Wiring {
  readonly env: ConsumerEnvironment;
  readonly settings: ConsumerSettings;
  readonly coordinator: LeaseCoordinator;
  readonly lifetime: SubscriptionLifetime;
}

/** Turns the coordinator's events (multicast as `lease$`) into one `LeasedShard` per acquisition. */
function leasedShards(wiring: Wiring, lease$: Observable<LeaseEvent>, stopping$: Observable<unknown>): Observable<LeasedShard> {
  return defer(() => {
    // The coordinator announces a shard again only after its last pipeline here has ended (a loss
    // ends it at once; after a release it waits a failover period), so one entry per shard suffices.
    const current = new Map<string, Acquisition>();
    return lease$.pipe(
      tap((event) => {
        // Seen here before the pipeline's own `lost$` sees it, and also when nobody reads the shard yet.
        const acquisition = current.get(event.shardId);
        if (event._tag === 'LeaseHandoff') {
          // Another worker asked for the lease: stop as `stop()` does, whose release then hands the
          // lease over after the final checkpoint, so the other worker reads nothing twice.
          acquisition?.stop();
        } else if (event._tag === 'LeaseLost') {
          if (acquisition !== undefined) acquisition.lost = true;
          current.delete(event.shardId);
        }
      }),
      filter((event): event is Acquired => event._tag === 'LeaseAcquired'),
      map((acquired) => {
        // `stop()` is an imperative edge: its request is replayed, so a pipeline subscribed after
        // it stops at once, and completed, so a second call adds nothing.
        const stopRequest = new ReplaySubject<void>(1);
        const stop = (): void => {
          stopRequest.next();
          stopRequest.complete();
        };
        const acquisition: Acquisition = { lost: false, subscribed: false, stop, millisBehindLatest: undefined };
        current.set(acquired.shardId, acquisition);
        const lost$ = lease$.pipe(filter((event) => event._tag === 'LeaseLost' && event.shardId === acquired.shardId));
        const events$ = readShard(wiring, acquired, acquisition, lost$, merge(stopping$, stopRequest)).pipe(
          finalize(() => {
            if (current.get(acquired.shardId) === acquisition) current.delete(acquired.shardId);
          }),
        );
        return {
          shardId: acquired.shardId,
          fencingToken: acquired.lease.leaseCounter,
          events$,
          stop,
          get millisBehindLatest() {
            return acquisition.millisBehindLatest;
          },
        };
      }),
    );
  });
}

/** The events of one acquired shard, then the release of its lease unless it was lost; `stop$` stops this shard. */
function readShard(
  wiring: Wiring,
  acquired: Acquired,
  acquisition: Acquisition,
  lost$: Observable<unknown>,
  stop$: Observable<unknown>,
): Observable<CommittableEvent<ConsumerEvent>> {
  const { env, settings, coordinator, lifetime } = wiring;
  const { shardId, lease, hashKeyRange } = acquired;
  const { shutdownTimeoutMillis } = settings.pipeline;

  // Bounded like the final checkpoint; a release that does not land lets the lease expire instead.
  const release$: Observable<never> = defer(() => coordinator.release(shardId)).pipe(
    ignoreElements(),
    catchError((error: unknown) => {
      env.report({ _tag: 'ReleaseFailed', shardId, error });
      return EMPTY;
    }),
    takeUntil(timer(shutdownTimeoutMillis, env.scheduler)),
  );

  const pipeline$ = defer(() =>
    shardPipeline(
      {
        kinesis: env.kinesis,
        scheduler: env.scheduler,
        onDiagnostic: (diagnostic) => {
          if (diagnostic._tag === 'Polled') acquisition.millisBehindLatest = diagnostic.millisBehindLatest;
          env.report(diagnostic);
        },
      },
      {
        streamName: settings.streamName,
        shardId,
        checkpoint: new CompoundSequenceNumber(lease.checkpoint, lease.checkpointSubSequenceNumber),
        ...(hashKeyRange === undefined ? {} : { hashKeyRange }),
        fencingToken: lease.leaseCounter,
      },
      settings.pipeline,
      {
        writeCheckpoint: (position) => coordinator.checkpoint(shardId, position),
        shardEnded: (childShards) => coordinator.shardEnded(shardId, childShards),
        lost$,
        leaseValid: () => coordinator.holds(shardId),
        stop$,
        onUnsubscribe: (finalCheckpoint$) => lifetime.runDetached(concat(finalCheckpoint$, release$)),
      },
    ),
  ).pipe(
    catchError((error: unknown) => {
      // A configuration error fails every shard alike: retrying cannot help, so it ends the consumer.
      if (error instanceof ConfigError) return throwError(() => error);
      env.report({ _tag: 'ShardFailed', shardId, error });
      return EMPTY;
    }),
  );

  return defer(() => {
    if (acquisition.subscribed) {
      return throwError(() => new Error(`shards$: the events$ of ${shardId} was subscribed twice; subscribe to it once, when it is emitted`));
    }
    acquisition.subscribed = true;
    if (acquisition.lost) return EMPTY;
    // After a loss the lease is someone else's; after the shard's end the coordinator has given it
    // up already (the release is then a no-op); otherwise (stop, failure) it is released now.
    return lifetime.holdWhile(concat(pipeline$, defer(() => (acquisition.lost ? EMPTY : release$))));
  });
}
