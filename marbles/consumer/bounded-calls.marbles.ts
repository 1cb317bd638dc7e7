/**
 * Every call a consumer makes has a time limit: one call that never answers (the in-memory fakes'
 * `hang` fault, as a black-holed request would) costs its loop one limit, not the rest of the run.
 *
 * With the failover time of these tests (3000 ms: renewals every 975 ms, take rounds every 600 ms),
 * lease-table calls, ListShards and GetShardIterator are given 1000 ms (the renew interval, at
 * least 1 s) and GetRecords 10000 ms (the failover time, at least 10 s).
 */
import { expect } from 'chai';
import { Subject, defer, filter, map, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { ConsumerConf } from '../../lib/config/consumer-config';
import { consume$ } from '../../lib/consumer/consume';
import { shards$ } from '../../lib/consumer/shards';
import type { Lease } from '../../lib/model/lease';
import type { KinesisPort } from '../../lib/ports/kinesis-port';
import type { LeaseStorePort } from '../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { STREAM, TABLE, testConf } from '../../spec/consumer/support/consumer-fleet';

const shardId = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

/** The consumer section of the specs: a 3 s failover, short pauses, small pages. */
const conf = (kcl: object = {}): ConsumerConf => testConf('a', { kcl });

/** The last character of a shard id: `0` for `shardId-000000000000`. */
const short = (id: string): string => id.slice(-1);

// prettier-ignore
describe('bounded calls (marbles)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('a hung Scan does not stop the next take round: it is given up after 1000 ms, and the round after takes the leases', () => {
    testScheduler.run(({ expectObservable }) => {
      const kinesis = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: 2 } });
      const store = new InMemoryLeaseStore({ scheduler: testScheduler });
      // The first scan is the start-up shard sync's; the second, the first take round's, hangs.
      let scans = 0;
      store.faults.add({ operation: 'listLeases', fault: 'hang', times: 1, when: () => ++scans === 2 });
      const acquired$ = shards$(conf(), { kinesis, leases: store, scheduler: testScheduler }).pipe(map((shard) => short(shard.shardId)));
      // The hung scan runs out at 1000 and its round is skipped; the next round, a take interval
      // (600) later, takes half the leases (it counts a peer it has not seen yet), the one after
      // half a take interval later the rest.
      const acquired = '1600ms a 299ms b';
      expectObservable(acquired$, '^ 3000ms !').toBe(acquired, { a: '0', b: '1' });
    });
  });

  it('a hung GetItem does not stall the readiness checks: the child is announced at the first check after it runs out', () => {
    testScheduler.run(({ expectObservable }) => {
      const kinesis = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: 1 } });
      const store = new InMemoryLeaseStore({ scheduler: testScheduler, tables: [TABLE] });
      const parent = 'shardId-parent';
      const child = shardId(0);
      const lease = (leaseKey: string, changes: Partial<Lease>): Lease => ({
        leaseKey, leaseCounter: 1, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [], ...changes,
      });
      // The parent is another worker's, being read; the child is free but must wait for it.
      store.putLease(TABLE, lease(parent, { leaseOwner: 'z' }));
      store.putLease(TABLE, lease(child, { parentShardIds: [parent] }));
      store.faults.add({ operation: 'getLease', fault: 'hang', times: 1, when: (call) => call.leaseKey === parent });
      // The other worker reads the parent to its end at 200.
      testScheduler.schedule(() => store.forceUpdate(TABLE, parent, { checkpoint: 'SHARD_END', remove: ['leaseOwner'] }), 200);
      const acquired$ = shards$(conf(), { kinesis, leases: store, scheduler: testScheduler }).pipe(map((shard) => short(shard.shardId)));
      // The child is taken at 0 and waits for its parent. The check at 500 hangs on the parent's
      // GetItem, runs out at 1500 and ends; the check at 1500 finds the parent finished.
      const acquired = '1500ms c';
      expectObservable(acquired$, '^ 3000ms !').toBe(acquired, { c: '0' });
    });
  });

  it('a hung ListShards does not stall shard sync beyond its limit: the sync after it lists the shards and creates the new leases', () => {
    testScheduler.run(({ expectObservable }) => {
      const inMemory = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: 1 } });
      const store = new InMemoryLeaseStore({ scheduler: testScheduler });
      const listings = new Subject<string>();
      const kinesis: KinesisPort = {
        listShards: (name, shardFilter) => defer(() => {
          listings.next('s');
          return inMemory.listShards(name, shardFilter);
        }),
        getShardIterator: (name, id, position) => inMemory.getShardIterator(name, id, position),
        getRecords: (iterator, limit) => inMemory.getRecords(iterator, limit),
        putRecords: (name, entries) => inMemory.putRecords(name, entries),
      };
      const creates = new Subject<string>();
      const leases: LeaseStorePort = {
        ensureTable: (t) => store.ensureTable(t),
        listLeases: (t) => store.listLeases(t),
        getLease: (t, k) => store.getLease(t, k),
        createLease: (t, l) => defer(() => {
          creates.next(short(l.leaseKey));
          return store.createLease(t, l);
        }),
        updateLease: (t, k, u) => store.updateLease(t, k, u),
        deleteLease: (t, k, c) => store.deleteLease(t, k, c),
      };
      // The start-up sync lists the shards at 0; the first periodic sync's ListShards, at 2000, hangs.
      let calls = 0;
      inMemory.faults.add({ operation: 'listShards', fault: 'hang', times: 1, when: () => ++calls === 2 });
      // The shard is split at 1000: only a sync that gets through creates the children's leases
      // (the parent is not read here, so its end does not).
      testScheduler.schedule(() => inMemory.splitShard(STREAM, shardId(0), 1n << 127n).subscribe(), 1000);
      const consumer$ = shards$(conf({ shardSyncIntervalMillis: 2000 }), { kinesis, leases, scheduler: testScheduler }).pipe(filter(() => false));
      // The hung listing runs out at 3000; the sync at 4000 runs and creates both children.
      expectObservable(listings, '^ 6500ms !').toBe('s 1999ms s 1999ms s 1999ms s');
      expectObservable(creates, '^ 6500ms !').toBe('0 3999ms (12)');
      expectObservable(consumer$, '^ 6500ms !').toBe('');
    });
  });

  it('a hung GetRecords is given up after 10000 ms and tried again with the same iterator: the records come then', () => {
    const kinesis = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: 1 } });
    testScheduler.run(({ expectObservable }) => {
      const store = new InMemoryLeaseStore({ scheduler: testScheduler });
      kinesis.appendRecords(STREAM, ['x', 'y', 'z'].map((text) => ({ partitionKey: text, data: Buffer.from(text) })));
      kinesis.faults.add({ operation: 'getRecords', fault: 'hang', times: 1 });
      const texts$ = consume$(conf(), { kinesis, leases: store, scheduler: testScheduler }).pipe(
        mergeMap((event): Observable<string> => defer(() => [event.commit().payload.payloadAsString()])),
      );
      // The lease is taken at 0 and the first GetRecords hangs; it runs out at 10000, and after the
      // read backoff (100) the next call answers.
      expectObservable(texts$, '^ 10500ms !').toBe('10100ms (xyz)');
    });
    expect(kinesis.calls.getShardIterator, 'the iterator in hand is used again').to.equal(1);
  });
});
