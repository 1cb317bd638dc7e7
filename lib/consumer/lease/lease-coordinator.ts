/**
 * The lease coordinator of one consumer: it keeps the lease table in step with the stream's
 * shards, takes, renews and hands over leases in a KCL-compatible way, and tells the consumer which
 * shards it may read (`LeaseAcquired`), which it must give up after a final checkpoint
 * (`LeaseHandoff`) and which it must stop reading at once (`LeaseLost`).
 *
 * Subscribing to {@link LeaseCoordinator.events$} runs, on the injected scheduler:
 * 1. start-up: the table is created unless it exists, then one shard sync (ListShards, every page;
 *    missing leases created; skipped when the table has leases and
 *    `skipShardSyncAtStartupIfLeasesExist` is set). Throttling and other retryable faults are retried with backoff up to
 *    {@link STARTUP_ATTEMPTS} times; anything else errors `events$`.
 * 2. the take loop ({@link takeLoop}): rounds that scan the table, judge expiry by counters, take
 *    free and expired leases and ask the holders of leases to steal for a handoff.
 * 3. renewals every failover / 3 − epsilon: each held lease gets a write conditional on its counter
 *    and on `checkpointOwner` being absent (KCL 3.x). A throttled or failed renewal is retried with
 *    backoff for as long as the lease is still valid here; a failed condition that is not a
 *    handoff, or no successful write for failover − epsilon since the last one began, loses the
 *    lease (`LeaseLost`). A locally expired lease is never renewed, so a worker cut off from the
 *    table stops reading before anyone else may take its shards.
 * 4. shard sync every `shardSyncIntervalMillis` (and cleanup of finished leases, when enabled).
 * 5. every `parentShardPollIntervalMillis`, held leases whose parents are not finished are checked
 *    again; `LeaseAcquired` is emitted only once a shard may be read (`shard-readiness`).
 *
 * Handoffs (the KCL 3.x graceful handoff, kcl-kpl-spec §4.7), how leases move between live workers:
 * - the thief asks: owner := thief, `checkpointOwner` := victim, the counter left alone,
 *   conditional on the counter seen and on no `checkpointOwner`. The thief neither holds nor reads
 *   the lease yet; it counts it as its own when it balances.
 * - the victim's next write fails its `checkpointOwner` condition; reading the lease back shows
 *   `checkpointOwner` = this worker on our counter, so it is a handoff, not a loss: the write is
 *   done again conditional on the counter and on `checkpointOwner` = this worker (the fence of
 *   every later write of the victim, since the lease names the thief now), and `LeaseHandoff` is
 *   emitted. The pipeline stops, checkpoints what was committed, and calls `release`, which
 *   completes the handoff: `checkpointOwner` removed, counter + 1, owner still the thief. A lease
 *   not yet announced is handed over at once.
 * - the thief takes the lease at its next round, as a lease that names it but that it does not hold.
 * - timeouts: the victim hands the lease over by itself, without a final checkpoint (`LeaseLost`),
 *   at its first renewal `gracefulLeaseHandoffTimeoutMillis` after it noticed. The thief takes the
 *   lease by itself (a take, so the counter moves and the old owner's writes fail) once
 *   `gracefulLeaseHandoffTimeoutMillis` + failover have passed since it asked, and anybody takes it
 *   once its counter has stood still for the failover time (the victim died).
 * - a release (or a shard's end) that meets a request on its way completes the handoff instead.
 * - a thief that stops before it took the lease withdraws its request
 *   ({@link LeaseCoordinator.withdrawRequests}): the lease goes back to the victim, which keeps
 *   reading; one already handed over to it is given up, free for any worker.
 *
 * Interop: a KCL 3.x worker answers our request as ours answer its leader's; a lease its leader
 * assigns to us is taken at our next round, and one it hands to us once the handoff is over. A KCL
 * 2.x worker does not know `checkpointOwner`: its renewals, conditional on the counter only, go on
 * succeeding, so it keeps reading while the table names the thief, until the thief's overdue take
 * moves the counter and the 2.x worker's next write fails: a steal, 40 s late, with the
 * redelivery a steal brings. A KCL 2.x taker that steals or takes a lease in a handoff leaves
 * `checkpointOwner` in place; our workers then leave that lease to its owner until it expires.
 *
 * {@link LeaseCoordinator.checkpoint}, {@link LeaseCoordinator.shardEnded} and
 * {@link LeaseCoordinator.release} write to held leases on behalf of the shard pipelines. All writes
 * to one lease go one at a time ({@link writeLanes}), so a renewal never makes a checkpoint fail
 * its condition, and a write once sent is waited for even when its caller has gone. A failed
 * condition is judged from the lease read back ({@link judgeReadBack}): a handoff request, our
 * own earlier write whose answer was lost (it errored, or the client sent it twice), a withdrawn
 * request, or a loss.
 *
 * The parts: every write as a pure function of the lease seen (`lease-updates`), the verdict on a
 * failed write (`read-back`), the take loop (`take-round`), one write at a time per lease
 * (`write-lanes`). This module keeps the held leases, the timers and the calls from the pipelines.
 *
 * Failures that retrying cannot cure (access denied, a missing table or stream) error `events$`;
 * lost leases are values and end only their shard.
 *
 * One Subject is used, at the one imperative edge: `checkpoint`, `shardEnded` and `release` are
 * called by the shard pipelines, and a lease they find lost or asked for must also appear on
 * `events$` (a renewal's handoff goes the same way).
 * Everything else is timers and per-instance state.
 * @packageDocumentation
 */
import {
  EMPTY,
  Subject,
  catchError,
  concat,
  concatMap,
  defaultIfEmpty,
  defer,
  exhaustMap,
  filter,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  repeat,
  retry,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
  toArray,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { Lease } from '../../model/lease';
import { LeaseStoreThrottledError } from '../../model/errors';
import { CompoundSequenceNumber } from '../../model/sequence-number';
import { boundedLeaseStore } from '../../ports/bounded-calls';
import type { ChildShard, HashKeyRange, KinesisPort, Shard } from '../../ports/kinesis-port';
import type { LeaseStorePort, LeaseUpdate, LeaseWriteResult } from '../../ports/lease-store-port';
import type { CheckpointWriteResult } from '../checkpoint/checkpoint-write';
import { newLease } from '../shard-sync/plan-leases';
import { isReadyToConsume } from '../shard-sync/shard-readiness';
import { syncShards } from '../shard-sync/sync-shards';
import type { LeaseObservations } from './lease-observations';
import { STARTUP_ATTEMPTS, TAKE_ATTEMPTS, resolveLeaseSettings, type LeaseCoordinatorSettings, type ResolvedLeaseSettings } from './lease-settings';
import {
  checkpointUpdate,
  heldConditions,
  releaseUpdate,
  renewUpdate,
  shardEndUpdate,
  showsRelease,
  withdrawHandoffUpdate,
} from './lease-updates';
import { judgeReadBack } from './read-back';
import { backoffDelay, isRetryable, retryStoreCall } from './store-retry';
import { takeLoop } from './take-round';
import { writeLanes } from './write-lanes';

/** What the coordinator tells the consumer. */
export type LeaseEvent =
  /** This worker holds the lease and the shard may be read now, from `lease.checkpoint`. */
  | {
      readonly _tag: 'LeaseAcquired';
      readonly shardId: string;
      readonly lease: Lease;
      /** The shard's hash-key range, from the lease or else from ListShards, when known. */
      readonly hashKeyRange?: HashKeyRange;
    }
  /** This worker no longer holds the lease: stop reading the shard, and do not checkpoint it. */
  | { readonly _tag: 'LeaseLost'; readonly shardId: string }
  /**
   * Another worker asked for the lease (a KCL 3.x graceful handoff): stop reading the shard,
   * checkpoint what is done, then call {@link LeaseCoordinator.release}, which hands the lease over.
   * The lease stays valid here until then, or until the handoff times out (`LeaseLost` then).
   */
  | { readonly _tag: 'LeaseHandoff'; readonly shardId: string };

/** The per-consumer lease coordinator. */
export interface LeaseCoordinator {
  /**
   * Cold: subscribing starts the table, shard sync, take, renew and readiness timers, and
   * unsubscribing stops them (held leases are then neither renewed nor released: they expire
   * after the failover time unless released). Subscribe once at a time; a second concurrent
   * subscription errors. A new subscription starts afresh from the table, taking back leases that
   * still name this worker.
   */
  readonly events$: Observable<LeaseEvent>;
  /**
   * Writes `position` (a record position, not a sentinel) as the shard's checkpoint, conditional on
   * the held counter and owner (during a handoff: on `checkpointOwner` being this worker); resets
   * `ownerSwitchesSinceCheckpoint` and removes any pending checkpoint. A success counts as a
   * renewal. A failed condition, or a lease no longer valid here, gives `LeaseLost` (also emitted
   * on `events$`). Throttling and other store faults arrive on the
   * error channel; the caller retries. Works while `events$` is not subscribed, as long as the lease
   * is still valid.
   */
  checkpoint(shardId: string, position: CompoundSequenceNumber): Observable<CheckpointWriteResult>;
  /**
   * The shard has been read to its end: creates the children's leases (at TRIM_HORIZON, waiting for
   * their parents; one that exists already is left alone), then, in one conditional write, sets
   * `childShardIds`, checkpoints SHARD_END and gives the lease up (no owner), so a finished shard
   * counts for no worker. Child shards become readable at their next readiness check.
   */
  shardEnded(shardId: string, childShards: readonly ChildShard[]): Observable<CheckpointWriteResult>;
  /**
   * Gives a held lease up after the final checkpoint: removes the owner (counter + 1) conditional
   * on the held counter, so another worker can take it at its next take round instead of waiting
   * for it to expire (the KCL drops the lease and lets it expire). After `LeaseHandoff` it
   * completes the handoff instead: removes `checkpointOwner` (counter + 1), leaving the lease to
   * the worker that asked for it. This worker will not take it back for a failover period.
   * Completes without writing when the lease is not held; a throttled write is retried while the
   * lease is valid, then given up (the lease then expires by itself).
   */
  release(shardId: string): Observable<void>;
  /**
   * Whether this worker holds the lease and it is still valid on the lease clock: the fence every
   * event of the shard passes before it is emitted. False once the lease has been lost, released or
   * handed over, or once no write has succeeded for the failover time (less epsilon) since the
   * last successful one began, whatever the timers have noticed yet.
   */
  holds(shardId: string): boolean;
  /**
   * Takes back the handoff requests this worker made and has not taken up, for a worker that
   * stops, instead of leaving the leases to a worker that is gone until they expire: each lease
   * goes back to the worker asked, which keeps reading it when it has not noticed the request yet,
   * and otherwise gives it up after its final checkpoint, free for any worker (itself included). A
   * lease already handed over and not taken is given up. Faults are ignored (a request then times
   * out as it would have). Unsubscribing from `events$` withdraws nothing.
   */
  withdrawRequests(): Observable<never>;
}

/** What the coordinator talks to. */
export interface LeaseCoordinatorDeps {
  readonly leases: LeaseStorePort;
  readonly kinesis: KinesisPort;
  /** Every timer, retry and expiry judgement runs on this clock. */
  readonly scheduler: SchedulerLike;
}

/** A lease this worker holds. */
interface HeldLease {
  /** As last written (or read back) by this worker. */
  lease: Lease;
  /** From this scheduler time on the lease counts as lost: failover − epsilon after the last successful write began. */
  validUntil: number;
  /** `LeaseAcquired` has been emitted (its parents were finished). */
  announced: boolean;
  /**
   * A write that may have been applied although no answer said so (it timed out or lost its answer,
   * or the client sent it twice): the checkpoint it would leave. Cleared once the table has told.
   */
  inDoubt?: { readonly checkpoint: string };
  /** A handoff request on this lease was withdrawn while this worker was giving the lease up. */
  withdrawn?: boolean;
  /** A renewal (with its retries) is under way. */
  renewing: boolean;
  /**
   * Set once another worker has asked for the lease (`checkpointOwner` is this worker): the
   * scheduler time by which the lease is handed over, checkpointed or not.
   */
  handoffUntil?: number;
}

/** The outcome of one write to a held lease. */
type HeldWrite = { readonly _tag: 'Written'; readonly lease: Lease } | { readonly _tag: 'Lost' };

const LOST: HeldWrite = { _tag: 'Lost' };

/**
 * How many times one write to a held lease reads the lease back and writes again before the lease
 * counts as lost: each time, another writer changed the lease between the write and the read.
 */
const MAX_READ_BACKS = 3;

/**
 * Builds a coordinator. Nothing happens until {@link LeaseCoordinator.events$} is subscribed.
 * @throws ConfigError when a setting is missing or out of range
 */
export function leaseCoordinator(deps: LeaseCoordinatorDeps, settings: LeaseCoordinatorSettings): LeaseCoordinator {
  const conf: ResolvedLeaseSettings = resolveLeaseSettings(settings);
  const { leases: store, scheduler } = deps;
  const { tableName, workerId } = conf;
  const now = (): number => scheduler.now();

  // Per-instance state.
  const held = new Map<string, HeldLease>();
  const releasedAt = new Map<string, number>();
  const shardRanges = new Map<string, HashKeyRange>();
  /** Handoff requests of this worker not yet taken up, by lease key, as written. */
  const requested = new Map<string, Lease>();
  const lanes = writeLanes();
  // The ports the consumer builds bound every call more tightly; this keeps a lane from waiting
  // forever on a port that does not, with the same retryable TimedOut (a write then in doubt).
  const failover = conf.failoverTimeMillis;
  const heldWrites = boundedLeaseStore(store, { requestMillis: failover, readMillis: failover, setUpMillis: failover }, scheduler);
  const notices = new Subject<LeaseEvent>();
  let running = false;

  // ------------------------------------------------------------------ events

  const acquired = (shardId: string, entry: HeldLease): LeaseEvent => {
    const hashKeyRange = rangeOf(entry.lease) ?? shardRanges.get(shardId);
    return { _tag: 'LeaseAcquired', shardId, lease: entry.lease, ...(hashKeyRange === undefined ? {} : { hashKeyRange }) };
  };

  /** Forgets `entry` if it is still the held one; the event is for a lease the consumer was told about. */
  const drop = (shardId: string, entry: HeldLease): LeaseEvent | undefined => {
    if (held.get(shardId) !== entry) return undefined;
    held.delete(shardId);
    return entry.announced ? { _tag: 'LeaseLost', shardId } : undefined;
  };

  const lose = (shardId: string, entry: HeldLease): Observable<LeaseEvent> =>
    defer(() => {
      const event = drop(shardId, entry);
      return event === undefined ? EMPTY : of(event);
    });

  /** For losses found by the pipelines' own calls. */
  const loseNoticed = (shardId: string, entry: HeldLease): void => {
    const event = drop(shardId, entry);
    if (event !== undefined) notices.next(event);
  };

  // ------------------------------------------------------------------ writes to held leases

  const validFor = (startedAt: number): number => startedAt + conf.failoverTimeMillis - conf.epsilonMillis;

  /** Another worker asked for the lease: tell the pipeline, which checkpoints and then calls `release`. */
  const startHandoff = (shardId: string, entry: HeldLease): void => {
    entry.handoffUntil = now() + conf.gracefulLeaseHandoffTimeoutMillis;
    if (entry.announced && held.get(shardId) === entry) notices.next({ _tag: 'LeaseHandoff', shardId });
  };

  /**
   * One conditional write to a held lease, in its lane, bounded by the lease's validity. The call,
   * once sent, runs to its answer even if this write is unsubscribed (see {@link writeLanes}); a
   * failed condition is judged by reading the lease back ({@link judgeReadBack}).
   * @param build the update, from the lease as currently held and whether it is in a handoff
   *   (evaluated when the lane is free, and again for each write after a read-back)
   * @param options.requireHeld lose rather than write when the entry is no longer the held one
   * @param options.done whether a read-back lease already shows this very write applied
   */
  const writeHeld = (
    shardId: string,
    entry: HeldLease,
    build: (lease: Lease, inHandoff: boolean) => LeaseUpdate,
    options: { readonly requireHeld: boolean; readonly done?: (stored: Lease, inHandoff: boolean) => boolean },
  ): Observable<HeldWrite> => {
    const attempt = (readBacks: number): Observable<HeldWrite> =>
      defer(() => {
        if ((options.requireHeld && held.get(shardId) !== entry) || now() >= entry.validUntil) return of(LOST);
        const startedAt = now();
        const inHandoff = entry.handoffUntil !== undefined;
        const update = heldConditions(build(entry.lease, inHandoff), workerId, inHandoff);
        const doubt = { checkpoint: update.set?.checkpoint ?? entry.lease.checkpoint };
        const sent$ = defer(() => heldWrites.updateLease(tableName, shardId, update)).pipe(
          // Applied here, not downstream: a sent write's answer counts even after its caller left.
          tap({
            next: (result) => {
              if (result._tag === 'Written') {
                entry.lease = result.lease;
                entry.validUntil = Math.max(entry.validUntil, validFor(startedAt));
                delete entry.inDoubt;
              } else if (result.maybeApplied === true) {
                entry.inDoubt = doubt;
              }
            },
            error: (error: unknown) => {
              if (mayHaveLanded(error)) entry.inDoubt = doubt;
            },
          }),
        );
        return lanes.sent(shardId, sent$).pipe(
          concatMap((result): Observable<HeldWrite> => {
            if (result._tag === 'Written') return of(result);
            if (readBacks >= MAX_READ_BACKS) return of(LOST);
            return store.getLease(tableName, shardId).pipe(
              concatMap((stored) => {
                const verdict = judgeReadBack(
                  workerId,
                  {
                    expectedCounter: update.expectedCounter,
                    inDoubt: entry.inDoubt,
                    inHandoff,
                    known: entry.lease,
                    ...(options.done === undefined ? {} : { done: (s: Lease) => options.done!(s, inHandoff) }),
                  },
                  stored,
                );
                // Our writes to this lease are all answered now (one lane), and the table says what landed.
                delete entry.inDoubt;
                switch (verdict._tag) {
                  case 'Lost':
                    return of(LOST);
                  case 'Written':
                    entry.lease = verdict.lease;
                    return of<HeldWrite>(verdict);
                  case 'Handoff':
                    entry.lease = verdict.lease;
                    startHandoff(shardId, entry);
                    return attempt(readBacks + 1);
                  case 'Withdrawn':
                    entry.lease = verdict.lease;
                    entry.withdrawn = true;
                    delete entry.handoffUntil;
                    return attempt(readBacks + 1);
                  case 'Retry':
                    entry.lease = verdict.lease;
                    return attempt(readBacks + 1);
                }
              }),
            );
          }),
        );
      });
    // The deadline follows the lease's validity, which a write ahead in the lane may extend.
    const expired$ = defer(() => timer(Math.max(0, entry.validUntil - now()), scheduler)).pipe(
      repeat(),
      filter(() => now() >= entry.validUntil),
      take(1),
    );
    return defer(() => lanes.run(shardId, attempt(0)).pipe(takeUntil(expired$), defaultIfEmpty(LOST)));
  };

  /**
   * Retry policy for writes that may go on while the lease is valid: exponential backoff, the last
   * try fitted into what is left of the lease's validity (less epsilon, for the answer to come).
   */
  const retryWhileValid = (entry: HeldLease) => (error: unknown, attempt: number): Observable<unknown> => {
    const left = entry.validUntil - now() - conf.epsilonMillis;
    if (!isRetryable(error) || left <= 0) return throwError(() => error);
    return timer(Math.min(backoffDelay(attempt, conf.storeBackoffMillis, conf.renewIntervalMillis), left), scheduler);
  };

  /**
   * Gives a lease up, held or not any more ({@link releaseUpdate}: no owner, or during a handoff the
   * handoff completed), retried while the lease is valid, then dropped (the lease then expires by
   * itself). A handoff request that lands while this write is on its way turns it into the
   * handoff's completion, so the worker that asked gets the lease at once.
   */
  const giveUp = (shardId: string, entry: HeldLease): Observable<never> =>
    defer(() => {
      releasedAt.set(shardId, now());
      return writeHeld(shardId, entry, (lease, inHandoff) => releaseUpdate(lease, workerId, inHandoff), {
        requireHeld: false,
        done: (stored, inHandoff) => showsRelease(workerId, stored, inHandoff),
      }).pipe(
        retry({ delay: retryWhileValid(entry) }),
        // The request was taken back: the lease is free now, for this worker as for any other.
        tap(() => {
          if (entry.withdrawn === true) releasedAt.delete(shardId);
        }),
        catchError((error: unknown) => (isRetryable(error) ? EMPTY : throwError(() => error))),
        ignoreElements(),
      );
    });

  // ------------------------------------------------------------------ renewals

  /** Gives a lease in a handoff up at once: unannounced (nothing to checkpoint), or overdue (`LeaseLost`). */
  const handOver = (shardId: string, entry: HeldLease): Observable<LeaseEvent> => concat(lose(shardId, entry), giveUp(shardId, entry));

  const renew = (shardId: string, entry: HeldLease): Observable<LeaseEvent> =>
    defer(() => {
      if (held.get(shardId) !== entry) return EMPTY;
      if (now() >= entry.validUntil) return lose(shardId, entry);
      if (entry.handoffUntil !== undefined && now() >= entry.handoffUntil) return handOver(shardId, entry);
      // A renewal still retrying, or another write on its way (which renews when it succeeds), is enough.
      if (entry.renewing || lanes.isBusy(shardId)) return EMPTY;
      entry.renewing = true;
      return writeHeld(shardId, entry, renewUpdate, { requireHeld: true }).pipe(
        retry({ delay: retryWhileValid(entry) }),
        concatMap((result) => {
          if (result._tag !== 'Written') return lose(shardId, entry);
          return entry.handoffUntil !== undefined && !entry.announced ? handOver(shardId, entry) : EMPTY;
        }),
        catchError((error: unknown) => (isRetryable(error) ? lose(shardId, entry) : throwError(() => error))),
        finalize(() => (entry.renewing = false)),
      );
    });

  const renewals$ = timer(conf.renewIntervalMillis, conf.renewIntervalMillis, scheduler).pipe(
    mergeMap(() => from([...held]).pipe(mergeMap(([shardId, entry]) => renew(shardId, entry)))),
  );

  // ------------------------------------------------------------------ take rounds

  /** Leases this worker released less than a failover period ago. */
  const recentlyReleased = (at: number): Set<string> => {
    for (const [key, when] of releasedAt) if (at - when >= conf.failoverTimeMillis) releasedAt.delete(key);
    return new Set(releasedAt.keys());
  };

  /** Holds a lease just taken; announces it when its parents are finished. */
  const hold = (lease: Lease, since: number, observations: LeaseObservations): Observable<LeaseEvent> =>
    defer(() => {
      const entry: HeldLease = { lease, validUntil: validFor(since), announced: false, renewing: false };
      held.set(lease.leaseKey, entry);
      releasedAt.delete(lease.leaseKey);
      requested.delete(lease.leaseKey);
      // The scan is older than the take, but parents only ever become more finished.
      if (!isReadyToConsume(lease, (key) => observations.get(key)?.lease)) return EMPTY;
      entry.announced = true;
      return of(acquired(lease.leaseKey, entry));
    });

  const takes$ = takeLoop<LeaseEvent>({
    store,
    scheduler,
    conf,
    held: () => new Set(held.keys()),
    excluded: recentlyReleased,
    hold,
    requested: (lease) => requested.set(lease.leaseKey, lease),
    unrequested: (leaseKey) => requested.delete(leaseKey),
  });

  // ------------------------------------------------------------------ readiness

  const checkReadiness = (shardId: string, entry: HeldLease): Observable<LeaseEvent> =>
    from(entry.lease.parentShardIds).pipe(
      mergeMap((parentId) => store.getLease(tableName, parentId).pipe(map((parent) => [parentId, parent] as const))),
      toArray(),
      concatMap((parents) => {
        const byId = new Map(parents);
        if (held.get(shardId) !== entry || entry.announced || entry.handoffUntil !== undefined || !isReadyToConsume(entry.lease, (key) => byId.get(key))) {
          return EMPTY;
        }
        entry.announced = true;
        return of(acquired(shardId, entry));
      }),
      catchError((error: unknown) => (isRetryable(error) ? EMPTY : throwError(() => error))),
    );

  const readiness$ = timer(conf.parentShardPollIntervalMillis, conf.parentShardPollIntervalMillis, scheduler).pipe(
    exhaustMap(() =>
      from([...held].filter(([, entry]) => !entry.announced)).pipe(mergeMap(([shardId, entry]) => checkReadiness(shardId, entry))),
    ),
  );

  // ------------------------------------------------------------------ shard sync

  const sync = (): Observable<never> =>
    syncShards({ leases: store, kinesis: deps.kinesis }, conf).pipe(
      tap(({ shards }) => rememberRanges(shardRanges, shards)),
      ignoreElements(),
    );

  const syncs$ = timer(conf.shardSyncIntervalMillis, conf.shardSyncIntervalMillis, scheduler).pipe(
    exhaustMap(() => sync().pipe(catchError((error: unknown) => (isRetryable(error) ? EMPTY : throwError(() => error))))),
  );

  // ------------------------------------------------------------------ start-up

  const retryAtStart = retryStoreCall<never>(STARTUP_ATTEMPTS, conf, scheduler);

  const firstSync$: Observable<never> = conf.skipShardSyncAtStartupIfLeasesExist
    ? defer(() => store.listLeases(tableName)).pipe(concatMap((leases) => (leases.length > 0 ? EMPTY : sync())))
    : sync();

  const startup$ = concat(defer(() => store.ensureTable(tableName)).pipe(ignoreElements(), retryAtStart), firstSync$.pipe(retryAtStart));

  const events$ = defer(() => {
    if (running) {
      return throwError(() => new Error(`leaseCoordinator(${workerId}): events$ is already subscribed; subscribe to it once at a time`));
    }
    running = true;
    held.clear();
    requested.clear();
    return merge(concat(startup$, merge(takes$, renewals$, readiness$, syncs$)), notices.asObservable()).pipe(
      finalize(() => {
        running = false;
      }),
    );
  });

  // ------------------------------------------------------------------ calls from the shard pipelines

  const leaseLost = (shardId: string): CheckpointWriteResult => ({ _tag: 'LeaseLost', shardId });

  const checkpoint = (shardId: string, position: CompoundSequenceNumber): Observable<CheckpointWriteResult> =>
    defer(() => {
      if (position.isSentinel) {
        return throwError(() => new TypeError(`checkpoint(${shardId}): ${position.toString()} is not a record position; a shard's end is recorded by shardEnded`));
      }
      const entry = held.get(shardId);
      if (entry === undefined) return of(leaseLost(shardId));
      return writeHeld(shardId, entry, (lease) => checkpointUpdate(lease, workerId, position), { requireHeld: true }).pipe(
        map((result): CheckpointWriteResult => {
          if (result._tag === 'Written') return { _tag: 'Checkpointed', position };
          loseNoticed(shardId, entry);
          return leaseLost(shardId);
        }),
      );
    });

  const shardEnded = (shardId: string, childShards: readonly ChildShard[]): Observable<CheckpointWriteResult> =>
    defer(() => {
      const entry = held.get(shardId);
      if (entry === undefined) return of(leaseLost(shardId));
      const createChildren$ = from(childShards).pipe(
        concatMap((child) => store.createLease(tableName, newLease(child.shardId, 'TRIM_HORIZON', child.parentShards, child.hashKeyRange))),
        ignoreElements(),
      );
      const childShardIds = childShards.map((c) => c.shardId);
      const end$ = writeHeld(shardId, entry, (lease) => shardEndUpdate(lease, workerId, childShardIds), {
        requireHeld: true,
        done: (stored) => stored.checkpoint === 'SHARD_END',
      }).pipe(
        map((result): CheckpointWriteResult => {
          if (result._tag === 'Written') {
            if (held.get(shardId) === entry) held.delete(shardId);
            return { _tag: 'Checkpointed', position: CompoundSequenceNumber.SHARD_END };
          }
          loseNoticed(shardId, entry);
          return leaseLost(shardId);
        }),
      );
      return concat(createChildren$, end$);
    });

  const release = (shardId: string): Observable<void> =>
    defer(() => {
      const entry = held.get(shardId);
      if (entry === undefined) return EMPTY;
      held.delete(shardId);
      return giveUp(shardId, entry);
    });

  /**
   * Takes back one handoff request: the lease goes back to the worker asked while the request
   * stands (even once the holder has noticed it and moved the counter: the lease read back shows
   * it); a lease already handed over to this worker, and not taken, is given up instead. A few
   * rounds at most; any failure leaves the request to time out as it would have.
   */
  const withdraw = (asked: Lease): Observable<never> => {
    const undo = (lease: Lease): LeaseUpdate | undefined => {
      if (lease.leaseOwner !== workerId || held.has(lease.leaseKey)) return undefined;
      return withdrawHandoffUpdate(lease, workerId) ?? heldConditions(releaseUpdate(lease, workerId, false), workerId, false);
    };
    const attempt = (lease: Lease, readBacks: number): Observable<unknown> =>
      defer(() => {
        const update = undo(lease);
        if (update === undefined) return EMPTY;
        return store.updateLease(tableName, lease.leaseKey, update).pipe(
          retryStoreCall<LeaseWriteResult>(TAKE_ATTEMPTS, conf, scheduler),
          concatMap((result) =>
            result._tag === 'Written' || readBacks >= MAX_READ_BACKS
              ? EMPTY
              : store.getLease(tableName, lease.leaseKey).pipe(concatMap((stored) => (stored === undefined ? EMPTY : attempt(stored, readBacks + 1)))),
          ),
        );
      });
    return attempt(asked, 0).pipe(
      catchError(() => EMPTY),
      ignoreElements(),
    );
  };

  const withdrawRequests = (): Observable<never> =>
    defer(() => {
      const asked = [...requested.values()];
      requested.clear();
      return from(asked).pipe(mergeMap(withdraw));
    });

  const holds = (shardId: string): boolean => {
    const entry = held.get(shardId);
    return entry !== undefined && now() < entry.validUntil;
  };

  return { events$, checkpoint, shardEnded, release, withdrawRequests, holds };
}

/**
 * Whether a write that failed with `error` may have been applied all the same: a timeout, a lost
 * connection or a 5xx may come after the table applied it; throttling and refusals (access denied,
 * a malformed request) come before.
 */
function mayHaveLanded(error: unknown): boolean {
  return isRetryable(error) && !(error instanceof LeaseStoreThrottledError);
}

/** The hash range a lease records, when it has a valid one. */
function rangeOf(lease: Lease): HashKeyRange | undefined {
  const { startingHashKey, endingHashKey } = lease;
  if (startingHashKey === undefined || endingHashKey === undefined) return undefined;
  if (!/^\d+$/.test(startingHashKey) || !/^\d+$/.test(endingHashKey)) return undefined;
  return { startingHashKey: BigInt(startingHashKey), endingHashKey: BigInt(endingHashKey) };
}

function rememberRanges(ranges: Map<string, HashKeyRange>, shards: readonly Shard[]): void {
  for (const shard of shards) ranges.set(shard.shardId, shard.hashKeyRange);
}
