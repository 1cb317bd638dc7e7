/**
 * Leases are judged on a monotonic clock. With the default scheduler (no `deps.scheduler`), under
 * fake timers where `clock.tick` lets time pass and `clock.setSystemTime` steps only the wall
 * clock (fake `performance.now()` stays monotonic, as Node's does), a step of an hour either way
 * in the middle of a run must change nothing:
 * - no lease is lost, and no worker takes a lease its holder still renews;
 * - a holder cut off from the lease table still loses its lease within the failover time, and the
 *   other worker takes it only after that.
 */
import { expect } from 'chai';
import { NEVER, defer, finalize, mergeMap, tap, type Observable, type Subscription } from 'rxjs';
import * as sinon from 'sinon';
import { shards$ } from '../../lib/consumer/shards';
import type { LeaseStorePort } from '../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { STREAM, TABLE, testConf, texts } from './support/consumer-fleet';

const HOUR = 3_600_000;
/** testConf's failover time. */
const FAILOVER = 3000;

/** What one `shards$` subscription went through, on the monotonic clock. */
interface Worker {
  readonly acquired: Array<{ readonly shardId: string; readonly at: number }>;
  readonly ended: Array<{ readonly shardId: string; readonly at: number }>;
  error?: unknown;
  subscription: Subscription;
  /** From now on every lease-table call of this worker goes unanswered. */
  cutOff(): void;
}

/** The store as one worker sees it: every call hangs once it is cut off. */
function cuttable(store: InMemoryLeaseStore): { readonly port: LeaseStorePort; readonly cut: () => void } {
  let cut = false;
  const call = <T>(perform: () => Observable<T>): Observable<T> => defer(() => (cut ? NEVER : perform()));
  return {
    port: {
      ensureTable: (t) => call(() => store.ensureTable(t)),
      listLeases: (t) => call(() => store.listLeases(t)),
      getLease: (t, k) => call(() => store.getLease(t, k)),
      createLease: (t, l) => call(() => store.createLease(t, l)),
      updateLease: (t, k, u) => call(() => store.updateLease(t, k, u)),
      deleteLease: (t, k, c) => call(() => store.deleteLease(t, k, c)),
    },
    cut: () => (cut = true),
  };
}

describe('lease timing on the default scheduler, across wall-clock steps', () => {
  let clock: sinon.SinonFakeTimers;
  let kinesis: InMemoryKinesis;
  let store: InMemoryLeaseStore;
  const workers: Worker[] = [];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-30T00:30:00Z') });
    // The fakes stand for the services, on their default clock; only the consumers are under test.
    kinesis = new InMemoryKinesis({ streams: { [STREAM]: 2 } });
    store = new InMemoryLeaseStore();
    kinesis.appendRecords(
      STREAM,
      texts('r', 20).map((text) => ({ partitionKey: text, data: Buffer.from(text) })),
    );
  });

  afterEach(() => {
    for (const worker of workers.splice(0)) worker.subscription.unsubscribe();
    clock.restore();
  });

  const now = (): number => performance.now();

  /** A worker reading every shard it holds, committing each event, with no scheduler of its own. */
  function start(id: string): Worker {
    const leases = cuttable(store);
    const worker: Worker = { acquired: [], ended: [], subscription: NEVER.subscribe(), cutOff: leases.cut };
    worker.subscription = shards$(testConf(id), { kinesis, leases: leases.port })
      .pipe(
        tap((shard) => worker.acquired.push({ shardId: shard.shardId, at: now() })),
        mergeMap((shard) =>
          shard.events$.pipe(
            tap((event) => event.commit()),
            finalize(() => worker.ended.push({ shardId: shard.shardId, at: now() })),
          ),
        ),
      )
      .subscribe({ error: (error: unknown) => (worker.error = error) });
    workers.push(worker);
    return worker;
  }

  /** Lets `millis` pass, in steps, running every timer due on the way. */
  const run = (millis: number): void => {
    for (let left = millis; left > 0; left -= 100) clock.tick(Math.min(100, left));
  };

  const owners = (): Record<string, string | undefined> => Object.fromEntries(store.leases(TABLE).map((l) => [l.leaseKey, l.leaseOwner]));
  const counters = (): number[] => store.leases(TABLE).map((l) => l.leaseCounter);

  for (const step of [HOUR, -HOUR]) {
    const stepped = step > 0 ? 'forward' : 'back';

    it(`loses no lease and takes no live lease when the wall clock steps an hour ${stepped}`, () => {
      const a = start('a');
      const b = start('b');
      run(10_000);
      const before = owners();
      expect(Object.values(before).sort(), 'balanced before the step').to.deep.equal(['a', 'b']);
      const acquisitions = a.acquired.length + b.acquired.length;
      const ends = a.ended.length + b.ended.length;
      const countersBefore = counters();

      clock.setSystemTime(Date.now() + step);
      run(4 * FAILOVER);

      expect(owners(), 'every lease with its holder').to.deep.equal(before);
      expect(a.acquired.length + b.acquired.length, 'no lease taken again').to.equal(acquisitions);
      expect(a.ended.length + b.ended.length, 'no shard stopped').to.equal(ends);
      counters().forEach((counter, i) => expect(counter, 'still renewed').to.be.greaterThan(countersBefore[i]!));
      expect(a.error).to.equal(undefined);
      expect(b.error).to.equal(undefined);
    });

    it(`a worker cut off from the table after the wall clock stepped an hour ${stepped} loses its lease on time, before the other takes it`, () => {
      const a = start('a');
      const b = start('b');
      run(10_000);
      clock.setSystemTime(Date.now() + step);
      run(2000);
      const shardOfA = Object.entries(owners()).find(([, owner]) => owner === 'a')?.[0];
      expect(shardOfA, 'a holds a shard').to.not.equal(undefined);

      const cutAt = now();
      a.cutOff();
      run(4 * FAILOVER);

      const lost = a.ended.find((e) => e.shardId === shardOfA && e.at > cutAt);
      expect(lost, 'a stopped reading the shard').to.not.equal(undefined);
      // Valid for failover − epsilon after its last successful renewal began, which was before the cut.
      expect(lost!.at - cutAt, 'a lost the lease within the failover time').to.be.at.most(FAILOVER);
      const taken = b.acquired.find((e) => e.shardId === shardOfA && e.at > cutAt);
      expect(taken, 'b took the shard').to.not.equal(undefined);
      expect(taken!.at, 'only once a had stopped').to.be.greaterThan(lost!.at);
      expect(owners()[shardOfA!]).to.equal('b');
    });
  }
});
