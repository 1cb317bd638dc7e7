import { expect } from 'chai';
import { formatCheckpoint, formatLeaseTable, formatOwnerCounts, ownerCounts } from '../../lib/cli/lease-table';
import { testLease } from '../support/leases';

const lease = testLease;

describe('cli/lease-table', () => {
  it('formatCheckpoint joins a sequence number and its sub-sequence; sentinels stay as they are', () => {
    expect(formatCheckpoint({ checkpoint: '123', checkpointSubSequenceNumber: 4 })).to.equal('123/4');
    expect(formatCheckpoint({ checkpoint: 'SHARD_END', checkpointSubSequenceNumber: 0 })).to.equal('SHARD_END');
  });

  it('ownerCounts counts unfinished leases per owner, (none) for free ones', () => {
    const leases = [lease('a', { leaseOwner: 'w1' }), lease('b', { leaseOwner: 'w1' }), lease('c'), lease('d', { leaseOwner: 'w2', checkpoint: 'SHARD_END' })];
    expect(ownerCounts(leases)).to.deep.equal({ w1: 2, '(none)': 1 });
    expect(formatOwnerCounts(ownerCounts(leases))).to.equal('(none) 1, w1 2');
    expect(formatOwnerCounts({})).to.equal('none');
  });

  it('formatLeaseTable lists the leases by shard, then a summary', () => {
    const text = formatLeaseTable([
      lease('shardId-000000000002', { leaseOwner: 'w2', leaseCounter: 17, checkpoint: '4955', checkpointSubSequenceNumber: 3, parentShardIds: ['shardId-000000000000', 'shardId-000000000001'] }),
      lease('shardId-000000000000', { checkpoint: 'SHARD_END', leaseCounter: 5, ownerSwitchesSinceCheckpoint: 2 }),
    ]);
    expect(text.split('\n')).to.deep.equal([
      'SHARD                 OWNER  COUNTER  CHECKPOINT  SWITCHES  PARENTS',
      'shardId-000000000000  -      5        SHARD_END   2         -',
      'shardId-000000000002  w2     17       4955/3      0         shardId-000000000000,shardId-000000000001',
      '2 leases (1 finished); held: w2 1',
    ]);
  });
});
