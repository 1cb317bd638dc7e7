import { expect } from 'chai';
import type { Lease } from '../../../lib/model/lease';
import { isParentFinished, isReadyToConsume, unfinishedParents } from '../../../lib/consumer/shard-sync/shard-readiness';

function lease(key: string, checkpoint: string, parentShardIds: string[] = []): Lease {
  return { leaseKey: key, leaseCounter: 1, checkpoint, checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds };
}

const lookupOf = (...leases: Lease[]) => (key: string): Lease | undefined => leases.find((l) => l.leaseKey === key);

describe('shard-readiness', () => {
  it('isParentFinished must accept SHARD_END and a missing lease, and nothing else', () => {
    expect(isParentFinished(undefined)).to.equal(true);
    expect(isParentFinished(lease('p', 'SHARD_END'))).to.equal(true);
    for (const checkpoint of ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP', '49590338271490256608559692538361571095921575989136588898']) {
      expect(isParentFinished(lease('p', checkpoint)), checkpoint).to.equal(false);
    }
  });

  describe('isReadyToConsume must', () => {
    it('let a shard without parents be read', () => {
      expect(isReadyToConsume(lease('c', 'TRIM_HORIZON'), lookupOf())).to.equal(true);
    });

    it('hold a split child back until its parent is at SHARD_END', () => {
      const child = lease('c', 'TRIM_HORIZON', ['p']);
      expect(isReadyToConsume(child, lookupOf(lease('p', '123')))).to.equal(false);
      expect(isReadyToConsume(child, lookupOf(lease('p', 'SHARD_END')))).to.equal(true);
    });

    it('hold a merge child back until both parents are finished', () => {
      const child = lease('c', 'TRIM_HORIZON', ['p1', 'p2']);
      expect(isReadyToConsume(child, lookupOf(lease('p1', 'SHARD_END'), lease('p2', '7')))).to.equal(false);
      expect(unfinishedParents(child, lookupOf(lease('p1', 'SHARD_END'), lease('p2', '7')))).to.deep.equal(['p2']);
      expect(isReadyToConsume(child, lookupOf(lease('p1', 'SHARD_END'), lease('p2', 'SHARD_END')))).to.equal(true);
    });

    it('count a parent without a lease as finished', () => {
      expect(isReadyToConsume(lease('c', 'TRIM_HORIZON', ['gone', 'p']), lookupOf(lease('p', 'SHARD_END')))).to.equal(true);
    });

    it('never let a finished shard be read again', () => {
      expect(isReadyToConsume(lease('c', 'SHARD_END'), lookupOf())).to.equal(false);
    });

    it('list unfinished parents in the lease order', () => {
      const child = lease('c', 'TRIM_HORIZON', ['b', 'a']);
      expect(unfinishedParents(child, lookupOf(lease('a', '1'), lease('b', 'LATEST')))).to.deep.equal(['b', 'a']);
    });
  });
});
