/**
 * The take loop of one worker: scan the lease table, judge expiry by counters
 * ({@link observeLeases}), decide what to take and what to ask for ({@link assignLeases}), then take
 * each chosen lease with a write conditional on what the scan saw, and ask the holder of each lease
 * to steal for a graceful handoff. The coordinator holds what is taken.
 *
 * Rounds follow one another: the first at once, the second half a take interval after it (the
 * first counted an unseen peer, and the table confirms or refutes that), then `takeIntervalMillis`
 * after each round ends, or a quarter of it after a take lost a race for a free lease. A throttled
 * scan skips the round, as the KCL's does; a throttled write is tried {@link TAKE_ATTEMPTS} times.
 * @packageDocumentation
 */
import {
  EMPTY,
  catchError,
  concatMap,
  defer,
  expand,
  from,
  map,
  merge,
  mergeMap,
  of,
  tap,
  throwError,
  timer,
  toArray,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { Lease } from '../../model/lease';
import type { LeaseStorePort, LeaseUpdate, LeaseWriteResult } from '../../ports/lease-store-port';
import { assignLeases } from './assignment';
import { NO_OBSERVATIONS, observeLeases, type LeaseObservations } from './lease-observations';
import { TAKE_ATTEMPTS, type ResolvedLeaseSettings } from './lease-settings';
import { requestHandoffUpdate, showsHandoffRequest, showsTake, takeUpdate } from './lease-updates';
import { isRetryable, retryStoreCall } from './store-retry';

/** What the take loop needs from the coordinator. */
export interface TakeRoundContext<E> {
  readonly store: LeaseStorePort;
  readonly scheduler: SchedulerLike;
  readonly conf: ResolvedLeaseSettings;
  /** The leases this worker holds now. */
  readonly held: () => ReadonlySet<string>;
  /** Leases this worker gave up lately and must not take back yet. */
  readonly excluded: (nowMillis: number) => ReadonlySet<string>;
  /**
   * Holds a lease just taken, `since` being the earliest moment the take may have landed; emits
   * what the coordinator tells the consumer about it.
   */
  readonly hold: (lease: Lease, since: number, observations: LeaseObservations) => Observable<E>;
  /**
   * A handoff request of this worker is about to be sent: the lease as it will be written. Told
   * before the write, so that a request still on its way when the loop stops can be withdrawn.
   */
  readonly requested: (lease: Lease) => void;
  /** The request did not land. */
  readonly unrequested: (leaseKey: string) => void;
}

/** Marks a take lost to another worker's take of the same free lease. */
const CONTENDED = { _tag: 'Contended' } as const;

/** A handoff this worker asked for, as written. */
interface HandoffStarted {
  readonly _tag: 'HandoffStarted';
  readonly lease: Lease;
  /** When the write was sent: the handoff's timeout counts from here. */
  readonly at: number;
}

type Outcome<E> = E | typeof CONTENDED | HandoffStarted;

/** What one round did. */
interface TakeRound<E> {
  readonly observations: LeaseObservations;
  /** No round has scanned the table yet: the next one is the first (a failed scan does not count). */
  readonly first: boolean;
  readonly events: readonly E[];
  /** Pause before the next round. */
  readonly pauseMillis: number;
}

/** A write of a take round that landed: the lease as stored, and the earliest it can have landed. */
interface Landed {
  readonly lease: Lease;
  readonly since: number;
}

/**
 * The take loop: every round's events, forever. Unsubscribing stops it.
 * @typeParam E what {@link TakeRoundContext.hold} emits
 */
export function takeLoop<E>(context: TakeRoundContext<E>): Observable<E> {
  const { store, scheduler, conf } = context;
  const { tableName, workerId } = conf;
  const retryTake = retryStoreCall<LeaseWriteResult>(TAKE_ATTEMPTS, conf, scheduler);

  /**
   * One conditional write, tried {@link TAKE_ATTEMPTS} times. When the condition fails after an
   * attempt whose outcome is unknown (it errored, or the client retried it), the lease is read back
   * and `landed` says whether that attempt went through after all. Emits `undefined` when it did not land.
   */
  const write = (leaseKey: string, update: LeaseUpdate, landed: (stored: Lease) => boolean): Observable<Landed | undefined> =>
    defer(() => {
      const firstStartedAt = scheduler.now();
      let startedAt = firstStartedAt;
      let uncertain = false;
      return defer(() => {
        startedAt = scheduler.now();
        return store.updateLease(tableName, leaseKey, update);
      }).pipe(
        tap({ error: () => (uncertain = true) }),
        retryTake,
        concatMap((result) => {
          if (result._tag === 'Written') return of<Landed>({ lease: result.lease, since: startedAt });
          if (!uncertain && result.maybeApplied !== true) return of(undefined);
          // An attempt that was read back may have landed as early as the first one began.
          return store.getLease(tableName, leaseKey).pipe(map((stored) => (stored !== undefined && landed(stored) ? { lease: stored, since: firstStartedAt } : undefined)));
        }),
      );
    });

  /** A store fault ends only this write: the next round looks again. */
  const orNothing = <T>(write$: Observable<T>): Observable<T> => write$.pipe(catchError((error: unknown) => (isRetryable(error) ? EMPTY : throwError(() => error))));

  const take = (lease: Lease, observations: LeaseObservations): Observable<Outcome<E>> =>
    orNothing(
      write(lease.leaseKey, takeUpdate(lease, workerId), (stored) => showsTake(lease, workerId, stored)).pipe(
        concatMap((taken): Observable<Outcome<E>> => (taken === undefined ? of(CONTENDED) : context.hold(taken.lease, taken.since, observations))),
      ),
    );

  const requestHandoff = (lease: Lease): Observable<Outcome<E>> =>
    defer(() => {
      const update = requestHandoffUpdate(lease, workerId);
      if (update === undefined) return EMPTY;
      context.requested({ ...lease, leaseOwner: workerId, checkpointOwner: lease.leaseOwner! });
      return orNothing(
        write(lease.leaseKey, update, (stored) => showsHandoffRequest(lease, workerId, stored)).pipe(
          concatMap((written) => {
            if (written === undefined) {
              context.unrequested(lease.leaseKey);
              return EMPTY;
            }
            context.requested(written.lease);
            return of<HandoffStarted>({ _tag: 'HandoffStarted', lease: written.lease, at: written.since });
          }),
        ),
      );
    });

  const round = (previous: LeaseObservations, first: boolean): Observable<TakeRound<E>> =>
    defer(() => store.listLeases(tableName)).pipe(
      concatMap((scanned) => {
        const at = scheduler.now();
        const observations = observeLeases(previous, scanned, at);
        const plan = assignLeases({
          observations,
          workerId,
          nowMillis: at,
          held: context.held(),
          excluded: context.excluded(at),
          assumeUnseenWorker: first,
          settings: conf,
        });
        return merge(
          from(plan.take).pipe(mergeMap((lease) => take(lease, observations))),
          from(plan.steal).pipe(mergeMap((lease) => requestHandoff(lease))),
        ).pipe(
          toArray(),
          map((outcomes): TakeRound<E> => ({
            observations: withHandoffs(observations, outcomes),
            first: false,
            events: outcomes.filter((o): o is E => o !== CONTENDED && !isHandoffStarted(o)),
            pauseMillis: outcomes.includes(CONTENDED) ? conf.contendedTakeIntervalMillis : first ? conf.confirmTakeIntervalMillis : conf.takeIntervalMillis,
          })),
        );
      }),
      catchError((error: unknown) =>
        isRetryable(error) ? of<TakeRound<E>>({ observations: previous, first, events: [], pauseMillis: conf.takeIntervalMillis }) : throwError(() => error),
      ),
    );

  // A worker that lost a race for a free lease looks again soon: the winner now shows in the table,
  // so the next round sees the real number of workers. Without this, two workers that start
  // together and pick the same leases first leave the loser owning nothing, hence invisible, and
  // the winner's next round takes the rest. The first round is checked soon too: it counted a
  // peer it could not see, and a worker that is really alone should not leave half the shards
  // unread for a whole take interval (12 s with failover 60 s) before it finds out. That check
  // comes after the loser's second look, so that it sees the loser's share.
  return round(NO_OBSERVATIONS, true).pipe(
    expand(({ observations, first, pauseMillis }) => timer(pauseMillis, scheduler).pipe(concatMap(() => round(observations, first)))),
    concatMap(({ events }) => events),
  );
}

function isHandoffStarted(outcome: unknown): outcome is HandoffStarted {
  return typeof outcome === 'object' && outcome !== null && (outcome as { _tag?: unknown })._tag === 'HandoffStarted';
}

/** The observations with the handoffs just started: the next scan then keeps their start time. */
function withHandoffs(observations: LeaseObservations, outcomes: readonly unknown[]): LeaseObservations {
  const started = outcomes.filter(isHandoffStarted);
  if (started.length === 0) return observations;
  const next = new Map(observations);
  for (const { lease, at } of started) {
    const before = observations.get(lease.leaseKey);
    next.set(lease.leaseKey, { lease, counterChangedAtMillis: before?.counterChangedAtMillis ?? at, handoffSinceMillis: at });
  }
  return next;
}
