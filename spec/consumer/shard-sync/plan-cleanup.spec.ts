import { expect } from 'chai';
import type { Lease } from '../../../lib/model/lease';
import type { Shard } from '../../../lib/ports/kinesis-port';
import { planCleanup } from '../../../lib/consumer/shard-sync/plan-cleanup';

function lease(key: string, checkpoint: string, options: { parents?: string[]; children?: string[]; counter?: number } = {}): Lease {
  return {
    leaseKey: key,
    leaseCounter: options.counter ?? 3,
    checkpoint,
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: options.parents ?? [],
    ...(options.children === undefined ? {} : { childShardIds: options.children }),
  };
}

function shard(id: string, parents: string[] = []): Shard {
  const [parentShardId, adjacentParentShardId] = parents;
  return {
    shardId: id,
    ...(parentShardId === undefined ? {} : { parentShardId }),
    ...(adjacentParentShardId === undefined ? {} : { adjacentParentShardId }),
    hashKeyRange: { startingHashKey: 0n, endingHashKey: 1n },
    startingSequenceNumber: '1',
  };
}

const SEQ = '49590338271490256608559692538361571095921575989136588898';
const keys = (deletions: ReturnType<typeof planCleanup>): string[] => deletions.map((d) => d.leaseKey);

describe('planCleanup must', () => {
  const listed = [shard('p'), shard('c1', ['p']), shard('c2', ['p'])];

  it('delete a finished lease once every child has moved past its start, conditional on the counter seen', () => {
    const leases = [lease('p', 'SHARD_END', { children: ['c1', 'c2'], counter: 7 }), lease('c1', SEQ, { parents: ['p'] }), lease('c2', 'SHARD_END', { parents: ['p'] })];
    expect(planCleanup(leases, listed)).to.deep.equal([{ leaseKey: 'p', expectedCounter: 7 }]);
  });

  it('keep it while a child has not started', () => {
    for (const start of ['TRIM_HORIZON', 'AT_TIMESTAMP', 'LATEST']) {
      const leases = [lease('p', 'SHARD_END', { children: ['c1', 'c2'] }), lease('c1', SEQ, { parents: ['p'] }), lease('c2', start, { parents: ['p'] })];
      expect(planCleanup(leases, listed), start).to.deep.equal([]);
    }
  });

  it('keep it while a child has no lease', () => {
    expect(planCleanup([lease('p', 'SHARD_END', { children: ['c1', 'c2'] }), lease('c1', SEQ)], listed)).to.deep.equal([]);
  });

  it('never delete a lease that is not finished', () => {
    expect(planCleanup([lease('p', SEQ, { children: ['c1'] }), lease('c1', SEQ)], [shard('c1')])).to.deep.equal([]);
  });

  it('remove lineages from the top: keep a finished lease while its parent has a lease', () => {
    const leases = [
      lease('g', 'SHARD_END', { children: ['p'] }),
      lease('p', 'SHARD_END', { parents: ['g'], children: ['c'] }),
      lease('c', SEQ, { parents: ['p'] }),
    ];
    expect(keys(planCleanup(leases, [shard('g'), shard('p', ['g']), shard('c', ['p'])]))).to.deep.equal(['g']);
  });

  it('find the children in the listing when the lease names none (written by an old KCL)', () => {
    const leases = [lease('p', 'SHARD_END'), lease('c1', SEQ), lease('c2', SEQ)];
    expect(keys(planCleanup(leases, listed))).to.deep.equal(['p']);
    expect(keys(planCleanup(leases, undefined)), 'children unknown').to.deep.equal([]);
  });

  it('delete a finished lease whose shard is no longer listed', () => {
    const leases = [lease('gone', 'SHARD_END'), lease('c1', 'TRIM_HORIZON')];
    expect(keys(planCleanup(leases, [shard('c1')]))).to.deep.equal(['gone']);
  });

  it('not take an empty listing for "every shard is gone"', () => {
    expect(planCleanup([lease('p', 'SHARD_END')], [])).to.deep.equal([]);
  });
});
