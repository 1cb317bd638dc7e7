import { expect } from 'chai';
import { LeaseStoreError } from '../../../lib/model/errors';
import type { Lease } from '../../../lib/model/lease';
import { fromLeaseItem, toLeaseItem } from '../../../lib/ports/aws/lease-item';

const minimal: Lease = {
  leaseKey: 'shardId-000000000001',
  leaseCounter: 0,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
};

describe('lease items', function () {
  it('writes the KCL attribute names and types, the parents as the SS attribute parentShardId', function () {
    const lease: Lease = {
      ...minimal,
      leaseOwner: 'worker-1',
      leaseCounter: 12,
      checkpoint: '49590338271490256608559692538361571095921575989136588898',
      checkpointSubSequenceNumber: 3,
      ownerSwitchesSinceCheckpoint: 1,
      parentShardIds: ['shardId-000000000000'],
      childShardIds: ['shardId-000000000002', 'shardId-000000000003'],
      startingHashKey: '0',
      endingHashKey: '99',
      pendingCheckpoint: '5',
      pendingCheckpointSubSequenceNumber: 0,
      checkpointOwner: 'worker-0',
    };
    expect(toLeaseItem(lease)).to.deep.equal({
      leaseKey: { S: 'shardId-000000000001' },
      leaseOwner: { S: 'worker-1' },
      leaseCounter: { N: '12' },
      checkpoint: { S: '49590338271490256608559692538361571095921575989136588898' },
      checkpointSubSequenceNumber: { N: '3' },
      ownerSwitchesSinceCheckpoint: { N: '1' },
      parentShardId: { SS: ['shardId-000000000000'] },
      childShardIds: { SS: ['shardId-000000000002', 'shardId-000000000003'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '99' },
      pendingCheckpoint: { S: '5' },
      pendingCheckpointSubSequenceNumber: { N: '0' },
      checkpointOwner: { S: 'worker-0' },
    });
    expect(fromLeaseItem(toLeaseItem(lease), 'GetItem')).to.deep.equal(lease);
  });

  it('leaves out absent attributes and empty sets, and reads no parents as none', function () {
    const item = toLeaseItem({ ...minimal, childShardIds: [] });
    expect(Object.keys(item).sort()).to.deep.equal([
      'checkpoint',
      'checkpointSubSequenceNumber',
      'leaseCounter',
      'leaseKey',
      'ownerSwitchesSinceCheckpoint',
    ]);
    expect(fromLeaseItem(item, 'GetItem')).to.deep.equal(minimal);
  });

  it('reads an item with no entityType or entityType LEASE, and skips other entities', function () {
    const item = toLeaseItem(minimal);
    expect(fromLeaseItem({ ...item, entityType: { S: 'LEASE' } }, 'Scan')).to.deep.equal(minimal);
    expect(fromLeaseItem({ ...item, entityType: { S: 'WORKER_METRIC_STATS' } }, 'Scan')).to.equal(undefined);
  });

  it('ignores attributes it does not know, such as the KCL 3 throughput', function () {
    expect(fromLeaseItem({ ...toLeaseItem(minimal), throughputKBps: { N: '1.5' } }, 'Scan')).to.deep.equal(minimal);
  });

  it('defaults the two counters the KCL always writes when a hand-made item lacks them', function () {
    expect(
      fromLeaseItem({ leaseKey: { S: 'k' }, leaseCounter: { N: '2' }, checkpoint: { S: 'LATEST' } }, 'Scan'),
    ).to.deep.equal({ ...minimal, leaseKey: 'k', leaseCounter: 2, checkpoint: 'LATEST' });
  });

  for (const [label, item, attribute] of [
    ['no leaseKey', { leaseCounter: { N: '0' }, checkpoint: { S: 'LATEST' } }, 'leaseKey'],
    ['no leaseCounter', { leaseKey: { S: 'k' }, checkpoint: { S: 'LATEST' } }, 'leaseCounter'],
    ['no checkpoint', { leaseKey: { S: 'k' }, leaseCounter: { N: '0' } }, 'checkpoint'],
    ['a leaseCounter that is a string', { leaseKey: { S: 'k' }, leaseCounter: { S: '0' }, checkpoint: { S: 'LATEST' } }, 'leaseCounter'],
    ['a fractional leaseCounter', { leaseKey: { S: 'k' }, leaseCounter: { N: '1.5' }, checkpoint: { S: 'LATEST' } }, 'leaseCounter'],
    ['parentShardId as a string', { ...toLeaseItem(minimal), parentShardId: { S: 'shardId-0' } }, 'parentShardId'],
  ] as const) {
    it(`refuses an item with ${label}, naming ${attribute}`, function () {
      expect(() => fromLeaseItem(item, 'Scan'))
        .to.throw(LeaseStoreError, attribute)
        .with.property('code', 'MalformedLease');
    });
  }
});
