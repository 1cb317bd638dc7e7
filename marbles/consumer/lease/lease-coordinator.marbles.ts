/**
 * Timing of the lease coordinator on virtual time: renew cadence, take rounds, expiry judged by
 * counters, graceful handoffs and their timeouts, loss on a failed condition, and renewals under
 * throttling.
 *
 * Each test diagrams what the coordinator emits and, where the timing of store calls is the point,
 * the calls themselves (a probe around the in-memory store reports each call as it is made).
 */
import { expect } from 'chai';
import { Subject, concat, concatMap, defer, filter, ignoreElements, interval, map, merge, mergeMap, of, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Lease } from '../../../lib/model/lease';
import { CompoundSequenceNumber } from '../../../lib/model/sequence-number';
import type { LeaseStorePort, LeaseUpdate } from '../../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { leaseCoordinator, type LeaseCoordinator, type LeaseEvent } from '../../../lib/consumer/lease/lease-coordinator';
import type { LeaseCoordinatorSettings } from '../../../lib/consumer/lease/lease-settings';
import { preference } from '../../../lib/consumer/lease/assignment';

const TABLE = 'app-stream';
const STREAM = 'stream';
const SETTINGS: Omit<LeaseCoordinatorSettings, 'workerId'> = {
  tableName: TABLE,
  streamName: STREAM,
  failoverTimeMillis: 10_000, // renew every 3308, take rounds at 0, 1000 and then every 2000, lost after 9975 without a write
  shardSyncIntervalMillis: 60_000,
  maxLeasesForWorker: 2 ** 31 - 1,
  maxLeasesToStealAtOneTime: 1,
  initialPosition: { type: 'TRIM_HORIZON' },
  cleanupLeasesUponShardCompletion: true,
  parentShardPollIntervalMillis: 10_000,
};

const shardId = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

/** One store call as the probe reports it. */
interface StoreCall {
  readonly operation: keyof LeaseStorePort;
  readonly leaseKey?: string;
  readonly update?: LeaseUpdate;
}

/** The store's port, reporting every call on `calls$` when it is made. */
function probe(store: InMemoryLeaseStore): { readonly port: LeaseStorePort; readonly calls$: Observable<StoreCall> } {
  const calls = new Subject<StoreCall>();
  const reported = <T>(call: StoreCall, perform: () => Observable<T>): Observable<T> =>
    defer(() => {
      calls.next(call);
      return perform();
    });
  const port: LeaseStorePort = {
    ensureTable: (t) => reported({ operation: 'ensureTable' }, () => store.ensureTable(t)),
    listLeases: (t) => reported({ operation: 'listLeases' }, () => store.listLeases(t)),
    getLease: (t, k) => reported({ operation: 'getLease', leaseKey: k }, () => store.getLease(t, k)),
    createLease: (t, l) => reported({ operation: 'createLease', leaseKey: l.leaseKey }, () => store.createLease(t, l)),
    updateLease: (t, k, u) => reported({ operation: 'updateLease', leaseKey: k, update: u }, () => store.updateLease(t, k, u)),
    deleteLease: (t, k, c) => reported({ operation: 'deleteLease', leaseKey: k }, () => store.deleteLease(t, k, c)),
  };
  return { port, calls$: calls.asObservable() };
}

/** `t` for a take (sets the owner), `r` for a renewal (sets nothing). */
const writes = (calls$: Observable<StoreCall>): Observable<string> =>
  calls$.pipe(
    filter((c) => c.operation === 'updateLease'),
    map((c) => (c.update?.set?.leaseOwner !== undefined ? 't' : 'r')),
  );

/** `a` acquired, `l` lost, `h` handoff asked for. */
const tags = (events$: Observable<LeaseEvent>): Observable<string> =>
  events$.pipe(map((e) => (e._tag === 'LeaseAcquired' ? 'a' : e._tag === 'LeaseLost' ? 'l' : 'h')));

/**
 * Every write and read-back of one lease: `i` a handoff asked for (counter kept), `t` a take,
 * `c` a checkpoint, `x` a handoff completed (checkpointOwner removed), `r` a renewal, `g` a read-back.
 */
const leaseCalls = (calls$: Observable<StoreCall>, leaseKey: string): Observable<string> =>
  calls$.pipe(
    filter((c) => c.leaseKey === leaseKey && (c.operation === 'updateLease' || c.operation === 'getLease')),
    map((c) => {
      const u = c.update;
      if (u === undefined) return 'g';
      if (u.keepCounter === true) return 'i';
      if (u.set?.leaseOwner !== undefined) return 't';
      if (u.set?.checkpoint !== undefined) return 'c';
      if (u.remove?.includes('checkpointOwner') === true) return 'x';
      return 'r';
    }),
  );

/**
 * The events of a coordinator whose shard pipelines answer a handoff at once, as a pipeline with
 * everything committed does: a final checkpoint, then the release that hands the lease over.
 */
const answeringHandoffs = (coordinator: LeaseCoordinator): Observable<LeaseEvent> =>
  coordinator.events$.pipe(
    mergeMap((event) =>
      event._tag !== 'LeaseHandoff'
        ? of(event)
        : concat(of(event), concat(coordinator.checkpoint(event.shardId, new CompoundSequenceNumber('7')), coordinator.release(event.shardId)).pipe(ignoreElements())),
    ),
  );

function ownedLease(key: string, owner: string, counter = 5): Lease {
  return { leaseKey: key, leaseOwner: owner, leaseCounter: counter, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] };
}

/** Another worker that only renews its own leases every `periodMillis`, as a stand-in. */
function renewingWorker(store: InMemoryLeaseStore, owner: string, periodMillis: number, scheduler: TestScheduler): Observable<never> {
  return interval(periodMillis, scheduler).pipe(
    tap(() => {
      for (const lease of store.leases(TABLE)) if (lease.leaseOwner === owner) store.forceUpdate(TABLE, lease.leaseKey, {});
    }),
    ignoreElements(),
  );
}

/**
 * A KCL 2.x stand-in holding `keys`: every `periodMillis` it renews each with a write conditional on
 * the counter it last wrote, knowing nothing of `checkpointOwner`, and drops a lease whose renewal fails.
 */
function counterOnlyWorker(store: InMemoryLeaseStore, keys: readonly string[], periodMillis: number, scheduler: TestScheduler): Observable<never> {
  const counters = new Map(keys.map((key) => [key, store.lease(TABLE, key)?.leaseCounter ?? 0]));
  return interval(periodMillis, scheduler).pipe(
    mergeMap(() => [...counters]),
    mergeMap(([key, counter]) =>
      store.updateLease(TABLE, key, { expectedCounter: counter }).pipe(
        tap((result) => (result._tag === 'Written' ? counters.set(key, result.lease.leaseCounter) : counters.delete(key))),
      ),
    ),
    ignoreElements(),
  );
}

// prettier-ignore
describe('leaseCoordinator (marbles)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  function setup(shards: number, workerId = 'A', settings: Partial<LeaseCoordinatorSettings> = {}, prepare?: (store: InMemoryLeaseStore) => void) {
    const store = new InMemoryLeaseStore({ scheduler: testScheduler, tables: [TABLE] });
    prepare?.(store);
    const kinesis = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: shards } });
    const { port, calls$ } = probe(store);
    const coordinator = leaseCoordinator({ leases: port, kinesis, scheduler: testScheduler }, { ...SETTINGS, workerId, ...settings });
    return { store, kinesis, port, calls$, coordinator };
  }

  function another(store: InMemoryLeaseStore, kinesis: InMemoryKinesis, workerId: string, settings: Partial<LeaseCoordinatorSettings> = {}): LeaseCoordinator {
    return leaseCoordinator({ leases: store, kinesis, scheduler: testScheduler }, { ...SETTINGS, workerId, ...settings });
  }

  it('renews a held lease every failover / 3 − epsilon', () => {
    testScheduler.run(({ expectObservable }) => {
      const { calls$, coordinator } = setup(1);
      const sub =      '^ 19999ms !';
      const updates =  't 3307ms r 3307ms r 3307ms r 3307ms r 3307ms r 3307ms r';
      const events =   'a';
      expectObservable(writes(calls$), sub).toBe(updates);
      expectObservable(tags(coordinator.events$), sub).toBe(events);
    });
  });

  it('takes new leases in two rounds when alone: half first (one unseen peer assumed), the rest half a take interval later', () => {
    testScheduler.run(({ expectObservable }) => {
      const { calls$, coordinator } = setup(4);
      const sub =      '^ 2999ms !';
      const updates =  '(tt) 996ms (tt)';
      const events =   '(aa) 996ms (aa)';
      expectObservable(writes(calls$), sub).toBe(updates);
      expectObservable(tags(coordinator.events$), sub).toBe(events);
    });
  });

  it('scans the table half a take interval after the first round and every take interval after that, and syncs shards at start and every shard sync interval', () => {
    testScheduler.run(({ expectObservable }) => {
      const { calls$, coordinator } = setup(1, 'A', { shardSyncIntervalMillis: 5000 });
      const sub =      '^ 10999ms !';
      // Take rounds at 0, 1000, 3000, 5000, 7000 and 9000. A sync scans too: at 0 (start-up, then
      // the first take round), 5000 (with a take round) and 10000.
      const scans =    '(ss) 996ms s 1999ms s 1999ms (ss) 1996ms s 1999ms s 999ms s';
      expectObservable(calls$.pipe(filter((c) => c.operation === 'listLeases'), map(() => 's')), sub).toBe(scans);
      expectObservable(coordinator.events$.pipe(ignoreElements()), sub).toBe('');
    });
  });

  it('takes the lease of a dead worker once its counter has stood still for the failover time on our clock', () => {
    testScheduler.run(({ expectObservable }) => {
      const { coordinator } = setup(1, 'A', {}, (store) => store.putLease(TABLE, ownedLease(shardId(0), 'dead')));
      // First seen at 0 with an owner: expired when a scan finds it unchanged more than 10 s later,
      // which is the round at 11000 (rounds at 0, 1000, then every 2000).
      expectObservable(tags(coordinator.events$), '^ 19999ms !').toBe('11000ms a');
    });
  });

  it('restarts the failover period each time it sees the counter move', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, coordinator } = setup(1, 'A', {}, (s) => s.putLease(TABLE, ownedLease(shardId(0), 'slow')));
      // The owner renews once at 4000 and then dies; the scan at 5000 sees it: expired after 15000,
      // so not by the round at 15000 but by the one at 17000 (without the renewal: at 11000).
      testScheduler.schedule(() => store.forceUpdate(TABLE, shardId(0), {}), 4000);
      expectObservable(tags(coordinator.events$), '^ 19999ms !').toBe('17000ms a');
    });
  });

  it('never takes a lease whose owner keeps renewing, however old', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, coordinator } = setup(1, 'A', {}, (s) => s.putLease(TABLE, ownedLease(shardId(0), 'B')));
      const b$ = renewingWorker(store, 'B', 3000, testScheduler);
      expectObservable(merge(tags(coordinator.events$), b$), '^ 59999ms !').toBe('');
    });
  });

  it('hands leases over towards ceil(leases / workers): asked for at the thief\'s round, seen at the victim\'s next renewal, checkpointed, handed over, read from the thief\'s next round', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, kinesis, calls$, coordinator: b } = setup(4, 'B');
      const a = another(store, kinesis, 'A');
      const asked = [0, 1, 2, 3].map(shardId).sort((x, y) => preference('A', x) - preference('A', y))[0] ?? '';
      const bSub =     '^ 19999ms !';
      const aSub =     '5000ms ^ 14999ms !';
      // B alone holds all 4 by 1000. A joins at 5000 and asks for one lease (share 2, one unseen
      // peer assumed, at most 1 at a time), and for a second one at its round at 6000 (the first
      // counts as its own already). B's renewals at 6616 fail on checkpointOwner; the read-backs
      // show the handoffs; B renews without that condition, checkpoints, and hands both over. A
      // takes them at its round at 8000. Nothing is lost.
      const bEvents =  '(aa) 996ms (aa) 5612ms (hh)';
      const aEvents =  '8000ms (aa)';
      // B's calls for the first lease A asks for: taken at 0, renewed at 3308; at 6616 the
      // renewal fails, is read back, renewed without the condition, then the final checkpoint and
      // the handoff's completion. (A's writes, the ask at 5000 and the take at 8000, are not probed.)
      const calls =    't 3307ms r 3307ms (rgrcx)';
      expectObservable(tags(answeringHandoffs(b)), bSub).toBe(bEvents);
      expectObservable(tags(a.events$), aSub).toBe(aEvents);
      expectObservable(leaseCalls(calls$, asked), bSub).toBe(calls);
      // Between the handoff and A's next round the lease names A, and no checkpoint owner.
      expectObservable(
        defer(() => of(store.lease(TABLE, asked))).pipe(map((l) => `${l?.leaseOwner ?? '-'}/${l?.checkpointOwner ?? '-'}`)),
        '7000ms ^ !',
      ).toBe('7000ms (x|)', { x: 'A/-' });
    });
  });

  it('asks for up to maxLeasesToStealAtOneTime leases in one round', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, kinesis, coordinator: b } = setup(6, 'B');
      const a = another(store, kinesis, 'A', { maxLeasesToStealAtOneTime: 3 });
      const aSub =     '5000ms ^ 9999ms !';
      // 6 leases; first round share 2 (one unseen peer assumed) → 2 asked for at once; at 6000,
      // share 3 → 1 more. B hands all three over at its renewal at 6616; A takes them at 8000.
      const aEvents =  '8000ms (aaa)';
      expectObservable(answeringHandoffs(b).pipe(ignoreElements()), '^ 14999ms !').toBe('');
      expectObservable(tags(a.events$), aSub).toBe(aEvents);
    });
  });

  it('hands a lease over without its final checkpoint when the victim does not answer the handoff within the timeout', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, kinesis, calls$, coordinator: b } = setup(2, 'B');
      const a = another(store, kinesis, 'A');
      const asked = [0, 1].map(shardId).sort((x, y) => preference('A', x) - preference('A', y))[0] ?? '';
      // A asks at 5000; B sees it at 6616 and never releases. Its first renewal at or after
      // 6616 + 30000 = 36616 is 39696 (12 × 3308): LeaseLost, and the handoff is completed
      // without a checkpoint. A takes the lease at its round at 40000.
      const bEvents =  'a 999ms a 5615ms h 33079ms l';
      const aEvents =  '40000ms a';
      expectObservable(tags(b.events$), '^ 49999ms !').toBe(bEvents);
      expectObservable(tags(a.events$), '5000ms ^ 44999ms !').toBe(aEvents);
      expectObservable(leaseCalls(calls$, asked).pipe(filter((c) => c !== 'r')), '^ 49999ms !').toBe('1000ms t 5615ms g 33079ms x');
    });
  });

  it('takes a lease handed to it once handoff timeout + failover have passed, when the victim ignores checkpointOwner (KCL 2.x)', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, coordinator } = setup(2, 'A', {}, (s) => {
        s.putLease(TABLE, ownedLease(shardId(0), 'K2'));
        s.putLease(TABLE, ownedLease(shardId(1), 'K2'));
      });
      // K2 renews every 3000 ms on the counter only, so the handoff A asks for at 0 never ends by
      // itself. It is overdue from 40000 on; A's rounds are at 0, 1000, then every 2000: 41000.
      const k2$ = counterOnlyWorker(store, [shardId(0), shardId(1)], 3000, testScheduler);
      expectObservable(merge(tags(coordinator.events$), k2$), '^ 49999ms !').toBe('41000ms a');
    });
  });

  it('loses a lease when a renewal fails its condition, and takes it back once the new owner lets it expire', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, coordinator } = setup(1);
      testScheduler.schedule(() => store.forceUpdate(TABLE, shardId(0), { leaseOwner: 'thief' }), 4000);
      // Renewal at 6616 fails; the thief's write was seen at the 5000 scan, so it expires after
      // 15000 and the round at 17000 takes it.
      expectObservable(tags(coordinator.events$), '^ 19999ms !').toBe('a 6615ms l 10383ms a');
    });
  });

  it('retries a throttled renewal with backoff and keeps the lease', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, calls$, coordinator } = setup(1);
      testScheduler.schedule(() => store.faults.add({ operation: 'updateLease', fault: 'throttle', times: 2 }), 3000);
      const sub =      '^ 7999ms !';
      const updates =  't 3307ms r 199ms r 399ms r 2707ms r';
      expectObservable(writes(calls$), sub).toBe(updates);
      expectObservable(tags(coordinator.events$), sub).toBe('a');
    });
  });

  it('loses a lease at its local deadline when every renewal is throttled, trying until then', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, calls$, coordinator } = setup(1);
      testScheduler.schedule(() => store.faults.add({ operation: 'updateLease', fault: 'throttle' }), 3000);
      const sub =      '^ 9999ms !';
      // Backoff 200, 400, 800, 1600, 3200, then what is left before 9975 − 25.
      const updates =  't 3307ms r 199ms r 399ms r 799ms r 1599ms r 3199ms r 441ms r';
      const events =   'a 9949ms l';
      expectObservable(writes(calls$), sub).toBe(updates);
      expectObservable(tags(coordinator.events$), sub).toBe(events);
    });
  });

  it('loses a lease at its local deadline when a renewal never answers', () => {
    testScheduler.run(({ expectObservable }) => {
      const { store, calls$, coordinator } = setup(1);
      testScheduler.schedule(() => store.faults.add({ operation: 'updateLease', fault: 'hang' }), 3000);
      const sub =      '^ 9999ms !';
      const updates =  't 3307ms r';
      const events =   'a 9974ms l';
      expectObservable(writes(calls$), sub).toBe(updates);
      expectObservable(tags(coordinator.events$), sub).toBe(events);
    });
  });

  it('counts a checkpoint as a renewal', () => {
    testScheduler.run(({ expectObservable, expectSubscriptions, cold }) => {
      const { store, coordinator } = setup(1);
      // From 9000 on every write is throttled. A checkpoint at 8000 moved the deadline to 17975, so
      // the lease survives the 9975 it would have died at, and is lost at 17950 instead.
      testScheduler.schedule(() => store.faults.add({ operation: 'updateLease', fault: 'throttle', when: () => testScheduler.now() >= 9000 }), 0);
      const checkpointAt = cold('8000ms c|');
      const checkpoints$ = checkpointAt.pipe(
        concatMap(() => coordinator.checkpoint(shardId(0), new CompoundSequenceNumber('1'))),
        ignoreElements(),
      );
      expectObservable(merge(tags(coordinator.events$), checkpoints$), '^ 19999ms !').toBe('a 17949ms l');
      expectSubscriptions(checkpointAt.subscriptions).toBe('^ 8000ms !');
    });
  });

  it('announces the children of a split at the first readiness check after the parent ends, not before', () => {
    testScheduler.run(({ expectObservable }) => {
      const { kinesis, coordinator } = setup(1, 'A', { shardSyncIntervalMillis: 5000 });
      testScheduler.schedule(() => kinesis.splitShard(STREAM, shardId(0), 1n << 127n).subscribe(), 1000);
      // The sync at 5000 creates the children's leases and the round at 7000 takes them, but they
      // wait for their parent. The parent ends at 12000; the readiness check at 20000 lets them go.
      testScheduler.schedule(() => {
        const children = kinesis.shards(STREAM).filter((sh) => sh.parentShardId === shardId(0)).map((sh) => ({ shardId: sh.shardId, parentShards: [shardId(0)], hashKeyRange: sh.hashKeyRange }));
        coordinator.shardEnded(shardId(0), children).subscribe();
      }, 12_000);
      const events = coordinator.events$.pipe(map((e) => `${e._tag === 'LeaseAcquired' ? 'a' : 'l'}${e.shardId.slice(-1)}`));
      expectObservable(events, '^ 29999ms !').toBe('a 19999ms (bc)', { a: 'a0', b: 'a1', c: 'a2' });
    });
  });

  it('looks again soon after losing a race for a free lease, so two workers that start together share at once', () => {
    // Two workers that prefer the same two of four shards: whoever subscribes first wins both.
    const shards = [0, 1, 2, 3].map(shardId);
    const top2 = (w: string): string => [...shards].sort((x, y) => preference(w, x) - preference(w, y)).slice(0, 2).sort().join();
    const ids = Array.from({ length: 50 }, (_, i) => `w${i}`);
    const pair = ids.flatMap((x) => ids.filter((y) => y > x && top2(x) === top2(y)).map((y) => [x, y] as const))[0];
    if (pair === undefined) throw new Error('no colliding pair among 50 ids');
    testScheduler.run(({ expectObservable }) => {
      const { store, kinesis, coordinator: a } = setup(4, pair[0]);
      const b = another(store, kinesis, pair[1]);
      const sub =      '^ 9999ms !';
      expectObservable(tags(a.events$), sub).toBe('(aa)');
      expectObservable(tags(b.events$), sub).toBe('500ms (aa)');
    });
  });
});
