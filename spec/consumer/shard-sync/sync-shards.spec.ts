import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { StreamNotFoundError } from '../../../lib/model/errors';
import type { Lease } from '../../../lib/model/lease';
import type { LeaseStorePort } from '../../../lib/ports/lease-store-port';
import { syncShards, type ShardSyncResult, type ShardSyncSettings } from '../../../lib/consumer/shard-sync/sync-shards';
import { errorOf, valueOf } from '../../testing/virtual-time';

const TABLE = 'app-stream';
const STREAM = 'stream';
const SETTINGS: ShardSyncSettings = { tableName: TABLE, streamName: STREAM, initialPosition: { type: 'TRIM_HORIZON' }, cleanupLeasesUponShardCompletion: true };

function setup(shards = 2): { scheduler: VirtualTimeScheduler; store: InMemoryLeaseStore; kinesis: InMemoryKinesis } {
  const scheduler = new VirtualTimeScheduler();
  const store = new InMemoryLeaseStore({ scheduler, tables: [TABLE] });
  const kinesis = new InMemoryKinesis({ scheduler, streams: { [STREAM]: shards } });
  return { scheduler, store, kinesis };
}

const summary = (leases: readonly Lease[]): string[] => leases.map((l) => `${l.leaseKey}@${l.checkpoint}<${l.parentShardIds.join('+')}`);

describe('syncShards must', () => {
  it('lease every shard of a new stream, unowned, with its hash range', () => {
    const { scheduler, store, kinesis } = setup(2);
    const result = valueOf(scheduler, syncShards({ leases: store, kinesis }, SETTINGS));
    expect(result.created).to.deep.equal(['shardId-000000000000', 'shardId-000000000001']);
    expect(result.shards.map((s) => s.shardId)).to.deep.equal(['shardId-000000000000', 'shardId-000000000001']);
    const [first] = store.leases(TABLE);
    expect(first).to.deep.include({ leaseCounter: 0, checkpoint: 'TRIM_HORIZON', startingHashKey: '0' });
    expect(first).to.not.have.property('leaseOwner');
  });

  it('list an empty table with the filter of the initial position', () => {
    const { scheduler, store, kinesis } = setup(1);
    valueOf(scheduler, kinesis.splitShard(STREAM, 'shardId-000000000000', 1n << 127n));
    const latest = valueOf(scheduler, syncShards({ leases: store, kinesis }, { ...SETTINGS, initialPosition: { type: 'LATEST' } }));
    expect(latest.shards.map((s) => s.shardId), 'AT_LATEST: open shards').to.deep.equal(['shardId-000000000001', 'shardId-000000000002']);
    expect(summary(store.leases(TABLE))).to.deep.equal(['shardId-000000000001@LATEST<', 'shardId-000000000002@LATEST<']);
  });

  it('after a split, lease the children of a leased parent waiting for it', () => {
    const { scheduler, store, kinesis } = setup(1);
    valueOf(scheduler, syncShards({ leases: store, kinesis }, { ...SETTINGS, initialPosition: { type: 'LATEST' } }));
    valueOf(scheduler, kinesis.splitShard(STREAM, 'shardId-000000000000', 1n << 127n));
    const result = valueOf(scheduler, syncShards({ leases: store, kinesis }, { ...SETTINGS, initialPosition: { type: 'LATEST' } }));
    expect(result.created).to.deep.equal(['shardId-000000000001', 'shardId-000000000002']);
    expect(summary(store.leases(TABLE))).to.deep.equal([
      'shardId-000000000000@LATEST<',
      'shardId-000000000001@TRIM_HORIZON<shardId-000000000000',
      'shardId-000000000002@TRIM_HORIZON<shardId-000000000000',
    ]);
  });

  it('create each lease once when two workers sync at the same moment, parents before children', () => {
    const { scheduler, store, kinesis } = setup(1);
    valueOf(scheduler, kinesis.splitShard(STREAM, 'shardId-000000000000', 1n << 127n));
    const recording = (order: string[]): LeaseStorePort => ({
      ...bind(store),
      createLease: (table, lease) => {
        order.push(lease.leaseKey);
        return store.createLease(table, lease);
      },
    });
    const orderA: string[] = [];
    const orderB: string[] = [];
    const results: ShardSyncResult[] = [];
    syncShards({ leases: recording(orderA), kinesis }, SETTINGS).subscribe((r) => results.push(r));
    syncShards({ leases: recording(orderB), kinesis }, SETTINGS).subscribe((r) => results.push(r));
    scheduler.flush();
    expect(results).to.have.length(2);
    expect(results.flatMap((r) => r.created).sort()).to.deep.equal(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(store.leases(TABLE)).to.have.length(3);
    for (const order of [orderA, orderB]) {
      expect(order[0], 'the parent is created first').to.equal('shardId-000000000000');
    }
  });

  it('delete finished leases when cleanup is on, and keep them when it is off', () => {
    const { scheduler, store, kinesis } = setup(1);
    store.putLease(TABLE, lease('shardId-000000000000', 'SHARD_END', [], ['shardId-000000000001']));
    store.putLease(TABLE, lease('shardId-000000000001', '49590338271490256608559692538361571095921575989136588898', ['shardId-000000000000']));
    const off = valueOf(scheduler, syncShards({ leases: store, kinesis }, { ...SETTINGS, cleanupLeasesUponShardCompletion: false }));
    expect(off.deleted).to.deep.equal([]);
    const on = valueOf(scheduler, syncShards({ leases: store, kinesis }, SETTINGS));
    expect(on.deleted).to.deep.equal(['shardId-000000000000']);
    expect(store.leases(TABLE).map((l) => l.leaseKey)).to.deep.equal(['shardId-000000000001']);
  });

  it('leave a finished lease that changed after the scan', () => {
    const { scheduler, store, kinesis } = setup(1);
    store.putLease(TABLE, lease('gone', 'SHARD_END'));
    // Between the scan and the delete another worker writes the lease.
    const racing: LeaseStorePort = {
      ...bind(store),
      deleteLease: (table, key, counter) => {
        store.forceUpdate(table, key, {});
        return store.deleteLease(table, key, counter);
      },
    };
    const result = valueOf(scheduler, syncShards({ leases: racing, kinesis }, SETTINGS));
    expect(result.deleted).to.deep.equal([]);
    expect(store.lease(TABLE, 'gone')).to.not.equal(undefined);
  });

  it('pass store and Kinesis failures on', () => {
    const { scheduler, store, kinesis } = setup(1);
    expect(errorOf(scheduler, syncShards({ leases: store, kinesis }, { ...SETTINGS, streamName: 'missing' }))).to.be.instanceOf(StreamNotFoundError);
  });
});

function lease(key: string, checkpoint: string, parents: string[] = [], children?: string[]): Lease {
  return {
    leaseKey: key,
    leaseCounter: 4,
    checkpoint,
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: parents,
    ...(children === undefined ? {} : { childShardIds: children }),
  };
}

/** The port methods of the fake, bound, so a test can replace one. */
function bind(store: InMemoryLeaseStore): LeaseStorePort {
  return {
    ensureTable: (t) => store.ensureTable(t),
    listLeases: (t) => store.listLeases(t),
    getLease: (t, k) => store.getLease(t, k),
    createLease: (t, l) => store.createLease(t, l),
    updateLease: (t, k, u) => store.updateLease(t, k, u),
    deleteLease: (t, k, c) => store.deleteLease(t, k, c),
  };
}
