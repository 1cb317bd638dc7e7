import { expect } from 'chai';
import type { Lease } from '../../../lib/model/lease';
import type { HashKeyRange, Shard } from '../../../lib/ports/kinesis-port';
import { creationWaves, descendantCheckpoint, newLease, planLeases, shardFilterFor } from '../../../lib/consumer/shard-sync/plan-leases';
import type { InitialPosition } from '../../../lib/config/consumer-config';

const TRIM: InitialPosition = { type: 'TRIM_HORIZON' };
const LATEST: InitialPosition = { type: 'LATEST' };
const AT: InitialPosition = { type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) };

const range = (start: bigint, end: bigint): HashKeyRange => ({ startingHashKey: start, endingHashKey: end });

/** A shard; `seq` orders creation; `closed` gives it an ending sequence number. */
function shard(id: string, seq: number, options: { parents?: string[]; closed?: boolean; range?: HashKeyRange } = {}): Shard {
  const [parentShardId, adjacentParentShardId] = options.parents ?? [];
  return {
    shardId: id,
    ...(parentShardId === undefined ? {} : { parentShardId }),
    ...(adjacentParentShardId === undefined ? {} : { adjacentParentShardId }),
    hashKeyRange: options.range ?? range(0n, 10n),
    startingSequenceNumber: String(seq * 1000),
    ...(options.closed === true ? { endingSequenceNumber: String(seq * 1000 + 999) } : {}),
  };
}

const existing = (...keys: string[]): Pick<Lease, 'leaseKey'>[] => keys.map((leaseKey) => ({ leaseKey }));
const summary = (leases: readonly Lease[]): string[] => leases.map((l) => `${l.leaseKey}@${l.checkpoint}<${l.parentShardIds.join('+')}`);

/*
 * A history used below:  s0 ──split──▶ s2, s3;  s1 and s2 ──merge──▶ s4 (s1 and s2 closed).
 * Open now: s3, s4.
 */
const HISTORY: Shard[] = [
  shard('s0', 0, { closed: true }),
  shard('s1', 1, { closed: true }),
  shard('s2', 2, { parents: ['s0'], closed: true }),
  shard('s3', 3, { parents: ['s0'] }),
  shard('s4', 4, { parents: ['s1', 's2'] }),
];

describe('plan-leases', () => {
  it('shardFilterFor must match the initial position', () => {
    expect(shardFilterFor(LATEST)).to.deep.equal({ type: 'AT_LATEST' });
    expect(shardFilterFor(TRIM)).to.deep.equal({ type: 'AT_TRIM_HORIZON' });
    expect(shardFilterFor(AT)).to.deep.equal({ type: 'AT_TIMESTAMP', timestamp: AT.timestamp });
  });

  it('descendantCheckpoint must be TRIM_HORIZON, or AT_TIMESTAMP when that is the initial position', () => {
    expect(descendantCheckpoint(TRIM)).to.equal('TRIM_HORIZON');
    expect(descendantCheckpoint(LATEST)).to.equal('TRIM_HORIZON');
    expect(descendantCheckpoint(AT)).to.equal('AT_TIMESTAMP');
  });

  it('newLease must build a KCL-shaped unowned lease with the hash range as decimal strings', () => {
    expect(newLease('s9', 'LATEST', ['p'], range(5n, 340282366920938463463374607431768211455n))).to.deep.equal({
      leaseKey: 's9',
      leaseCounter: 0,
      checkpoint: 'LATEST',
      checkpointSubSequenceNumber: 0,
      ownerSwitchesSinceCheckpoint: 0,
      parentShardIds: ['p'],
      startingHashKey: '5',
      endingHashKey: '340282366920938463463374607431768211455',
    });
    expect(newLease('s9', 'TRIM_HORIZON', [], undefined)).to.not.have.property('startingHashKey');
  });

  describe('on an empty table planLeases must', () => {
    it('lease every shard of a fresh stream at the initial position', () => {
      const shards = [shard('s0', 0), shard('s1', 1)];
      expect(summary(planLeases({ shards, leases: [], initialPosition: LATEST }))).to.deep.equal(['s0@LATEST<', 's1@LATEST<']);
      expect(summary(planLeases({ shards, leases: [], initialPosition: AT }))).to.deep.equal(['s0@AT_TIMESTAMP<', 's1@AT_TIMESTAMP<']);
    });

    it('with TRIM_HORIZON lease the whole history, descendants waiting for their parents', () => {
      expect(summary(planLeases({ shards: HISTORY, leases: [], initialPosition: TRIM }))).to.deep.equal([
        's0@TRIM_HORIZON<',
        's1@TRIM_HORIZON<',
        's2@TRIM_HORIZON<s0',
        's3@TRIM_HORIZON<s0',
        's4@TRIM_HORIZON<s1+s2',
      ]);
    });

    it('with LATEST lease only open shards, even from an unfiltered listing', () => {
      expect(summary(planLeases({ shards: HISTORY, leases: [], initialPosition: LATEST }))).to.deep.equal(['s3@LATEST<s0', 's4@LATEST<s1+s2']);
    });

    it('with AT_TIMESTAMP give listed descendants AT_TIMESTAMP and roots the initial position', () => {
      const listed = HISTORY.filter((s) => s.shardId !== 's0' && s.shardId !== 's1');
      expect(summary(planLeases({ shards: listed, leases: [], initialPosition: AT }))).to.deep.equal([
        's2@AT_TIMESTAMP<',
        's3@AT_TIMESTAMP<',
        's4@AT_TIMESTAMP<s2',
      ]);
    });

    it('carry the hash range of each shard', () => {
      const [lease] = planLeases({ shards: [shard('s0', 0, { range: range(7n, 99n) })], leases: [], initialPosition: TRIM });
      expect(lease).to.include({ startingHashKey: '7', endingHashKey: '99' });
    });
  });

  describe('on a table with leases planLeases must', () => {
    it('create nothing when every open shard has a lease', () => {
      expect(planLeases({ shards: HISTORY, leases: existing('s3', 's4'), initialPosition: LATEST })).to.deep.equal([]);
    });

    it('lease the children of a leased parent at TRIM_HORIZON, not at LATEST', () => {
      const shards = [shard('s0', 0, { closed: true }), shard('s1', 1, { parents: ['s0'] }), shard('s2', 2, { parents: ['s0'] })];
      expect(summary(planLeases({ shards, leases: existing('s0'), initialPosition: LATEST }))).to.deep.equal(['s1@TRIM_HORIZON<s0', 's2@TRIM_HORIZON<s0']);
    });

    it('use AT_TIMESTAMP for descendants when that is the initial position', () => {
      const shards = [shard('s0', 0, { closed: true }), shard('s1', 1, { parents: ['s0'] })];
      expect(summary(planLeases({ shards, leases: existing('s0'), initialPosition: AT }))).to.deep.equal(['s1@AT_TIMESTAMP<s0']);
    });

    it('lease every lease-less shard between an open shard and its leased ancestor, parents first', () => {
      // s0 leased; s2 (closed) has no lease; s4 open merges s1 (no lease, no leased ancestor) and s2.
      expect(summary(planLeases({ shards: HISTORY, leases: existing('s0', 's3'), initialPosition: LATEST }))).to.deep.equal([
        's2@TRIM_HORIZON<s0',
        's4@TRIM_HORIZON<s1+s2',
      ]);
    });

    it('start an open shard with no leased ancestor at the initial position', () => {
      expect(summary(planLeases({ shards: HISTORY, leases: existing('s3'), initialPosition: LATEST }))).to.deep.equal(['s4@LATEST<s1+s2']);
    });

    it('never recreate the lease of a closed shard (one cleaned up after it finished)', () => {
      const shards = [shard('s0', 0, { closed: true }), shard('s1', 1, { parents: ['s0'] })];
      expect(planLeases({ shards, leases: existing('s1'), initialPosition: TRIM })).to.deep.equal([]);
    });

    it('name as parents only shards that are listed or leased', () => {
      const shards = [shard('s5', 5, { parents: ['trimmed', 's4'] }), shard('s4', 4, { closed: true })];
      expect(summary(planLeases({ shards, leases: existing('s4'), initialPosition: LATEST }))).to.deep.equal(['s5@TRIM_HORIZON<s4']);
      expect(summary(planLeases({ shards: [shard('s5', 5, { parents: ['old'] })], leases: existing('old'), initialPosition: LATEST }))).to.deep.equal([
        's5@TRIM_HORIZON<old',
      ]);
    });

    it('order parents before children even when sequence numbers say otherwise', () => {
      const shards = [shard('child', 1, { parents: ['parent'] }), shard('parent', 2, { closed: true, parents: ['root'] })];
      expect(summary(planLeases({ shards, leases: existing('root'), initialPosition: TRIM }))).to.deep.equal(['parent@TRIM_HORIZON<root', 'child@TRIM_HORIZON<parent']);
    });

    it('survive a parent cycle in a broken listing', () => {
      const shards = [shard('a', 1, { parents: ['b'] }), shard('b', 2, { parents: ['a'] })];
      expect(summary(planLeases({ shards, leases: existing('x'), initialPosition: LATEST })).sort()).to.deep.equal(['a@LATEST<b', 'b@LATEST<a']);
    });
  });

  describe('creationWaves must', () => {
    const waves = (leases: readonly Lease[]): string[][] => creationWaves(leases).map((w) => w.map((l) => l.leaseKey));

    it('put a fresh stream in one wave', () => {
      const shards = [shard('s0', 0), shard('s1', 1), shard('s2', 2)];
      expect(waves(planLeases({ shards, leases: [], initialPosition: TRIM }))).to.deep.equal([['s0', 's1', 's2']]);
    });

    it('put every lease in a later wave than its planned parents', () => {
      expect(waves(planLeases({ shards: HISTORY, leases: [], initialPosition: TRIM }))).to.deep.equal([['s0', 's1'], ['s2', 's3'], ['s4']]);
    });

    it('ignore parents that are not planned (they exist already, or never will)', () => {
      expect(waves(planLeases({ shards: HISTORY, leases: existing('s0', 's3'), initialPosition: LATEST }))).to.deep.equal([['s2'], ['s4']]);
    });

    it('give nothing for nothing', () => {
      expect(creationWaves([])).to.deep.equal([]);
    });
  });
});
