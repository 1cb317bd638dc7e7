/**
 * Timing of one shard sync pass: ListShards after the scan, and leases created one after another,
 * parents first, each waiting for the previous answer.
 */
import { expect } from 'chai';
import { Subject, defer, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Lease } from '../../../lib/model/lease';
import type { LeaseStorePort } from '../../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { syncShards } from '../../../lib/consumer/shard-sync/sync-shards';

const TABLE = 'app-stream';
const STREAM = 'stream';

/** The store's port, reporting each created lease when the create is made. */
function probe(store: InMemoryLeaseStore): { readonly port: LeaseStorePort; readonly creates$: Observable<Lease> } {
  const creates = new Subject<Lease>();
  const port: LeaseStorePort = {
    ensureTable: (t) => store.ensureTable(t),
    listLeases: (t) => store.listLeases(t),
    getLease: (t, k) => store.getLease(t, k),
    createLease: (t, l) =>
      defer(() => {
        creates.next(l);
        return store.createLease(t, l);
      }),
    updateLease: (t, k, u) => store.updateLease(t, k, u),
    deleteLease: (t, k, c) => store.deleteLease(t, k, c),
  };
  return { port, creates$: creates.asObservable() };
}

// prettier-ignore
describe('syncShards (marbles)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('creates leases in waves, parents before children, after listing leases and shards', () => {
    testScheduler.run(({ expectObservable }) => {
      const store = new InMemoryLeaseStore({ scheduler: testScheduler, latencyMillis: 10, tables: [TABLE] });
      const kinesis = new InMemoryKinesis({ scheduler: testScheduler, streams: { [STREAM]: 1 } });
      kinesis.splitShard(STREAM, 'shardId-000000000000', 1n << 127n).subscribe(); // takes effect at once
      const { port, creates$ } = probe(store);
      const settings = { tableName: TABLE, streamName: STREAM, initialPosition: { type: 'TRIM_HORIZON' }, cleanupLeasesUponShardCompletion: true } as const;
      const sync$ = syncShards({ leases: port, kinesis }, settings).pipe(map((r) => r.created.length));
      // The scan answers at 10 (ListShards at once); the parent is created, then both children at once.
      const creates =  '10ms a 9ms (bc)';
      const result =   '30ms (r|)';
      expectObservable(creates$.pipe(map((l) => l.leaseKey.slice(-1))), '^ 99ms !').toBe(creates, { a: '0', b: '1', c: '2' });
      expectObservable(sync$).toBe(result, { r: 3 });
    });
  });

  it('creates nothing when every shard has a lease: one scan and one listing', () => {
    testScheduler.run(({ expectObservable }) => {
      const store = new InMemoryLeaseStore({ scheduler: testScheduler, latencyMillis: 10, tables: [TABLE] });
      const kinesis = new InMemoryKinesis({ scheduler: testScheduler, latencyMillis: 10, streams: { [STREAM]: 1 } });
      store.putLease(TABLE, { leaseKey: 'shardId-000000000000', leaseCounter: 1, checkpoint: 'LATEST', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] });
      const settings = { tableName: TABLE, streamName: STREAM, initialPosition: { type: 'LATEST' }, cleanupLeasesUponShardCompletion: true } as const;
      expectObservable(syncShards({ leases: store, kinesis }, settings).pipe(map((r) => r.created.length))).toBe('20ms (r|)', { r: 0 });
    });
  });
});

