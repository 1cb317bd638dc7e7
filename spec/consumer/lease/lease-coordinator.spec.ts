import { expect } from 'chai';
import fc from 'fast-check';
import type { Observable } from 'rxjs';
import { CompoundSequenceNumber } from '../../../lib/model/sequence-number';
import { ConfigError, StreamNotFoundError } from '../../../lib/model/errors';
import type { ChildShard } from '../../../lib/ports/kinesis-port';
import { evenHashKeyRanges, InMemoryLeaseStore } from '../../../lib/testing';
import { leaseCoordinator } from '../../../lib/consumer/lease/lease-coordinator';
import { Fleet, SETTINGS, STREAM, TABLE } from './harness';

const shardId = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;
const SEQ = '49590338271490256608559692538361571095921575989136588898';

/** Subscribes and lets the fleet's clock run until the call answers. */
function call<T>(fleet: Fleet, source: Observable<T>): { values: T[]; error?: unknown } {
  const result: { values: T[]; error?: unknown } = { values: [] };
  source.subscribe({ next: (v) => result.values.push(v), error: (e: unknown) => (result.error = e) });
  fleet.run(0);
  return result;
}

/** The children a closed shard's last GetRecords page would announce. */
function childrenOf(fleet: Fleet, parentId: string): ChildShard[] {
  return fleet.kinesis
    .shards(STREAM)
    .filter((s) => s.parentShardId === parentId || s.adjacentParentShardId === parentId)
    .map((s) => ({ shardId: s.shardId, parentShards: [s.parentShardId, s.adjacentParentShardId].filter((p): p is string => p !== undefined), hashKeyRange: s.hashKeyRange }));
}

describe('leaseCoordinator', () => {
  describe('balancing between workers must', () => {
    it('split 4 shards 2/2 between two workers that start together, without stealing', () => {
      const fleet = new Fleet(4);
      fleet.start('A');
      fleet.start('B');
      fleet.run(2000);
      expect(fleet.owners()).to.deep.equal({ A: 2, B: 2 });
      expect(fleet.heldBy('A')).to.deep.equal(fleet.leases().filter((l) => l.leaseOwner === 'A').map((l) => l.leaseKey));
      expect(fleet.heldBy('B')).to.deep.equal(fleet.leases().filter((l) => l.leaseOwner === 'B').map((l) => l.leaseKey));
      fleet.run(20_000);
      expect(fleet.owners()).to.deep.equal({ A: 2, B: 2 });
      const lost = [...fleet.workers.values()].flatMap((w) => w.events).filter((e) => e._tag === 'LeaseLost');
      expect(lost, 'nothing was stolen').to.deep.equal([]);
    });

    it('let a worker alone take every shard within two take rounds, the second half a take interval after the first', () => {
      const fleet = new Fleet(10);
      const a = fleet.start('A');
      fleet.run(0);
      expect(fleet.heldBy('A'), 'first round: one unseen peer assumed').to.have.length(5);
      fleet.run(999);
      expect(fleet.heldBy('A'), 'no second round before half a take interval').to.have.length(5);
      fleet.run(1);
      expect(fleet.heldBy('A')).to.have.length(10);
      expect(new Set(a.events.map((e) => e.at))).to.deep.equal(new Set([0, 1000]));
    });

    it('hand every lease of a stopping worker to the other at once (release)', () => {
      const fleet = new Fleet(4);
      fleet.start('A');
      fleet.start('B');
      fleet.run(5000);
      fleet.stop('A');
      const stoppedAt = fleet.now;
      expect(fleet.owners()).to.deep.equal({ B: 2, '(none)': 2 });
      fleet.run(2000);
      expect(fleet.owners()).to.deep.equal({ B: 4 });
      const taken = fleet.worker('B').events.filter((e) => e._tag === 'LeaseAcquired' && e.at > stoppedAt);
      expect(taken, 'both in one round').to.have.length(2);
      expect(new Set(taken.map((e) => e.at)).size).to.equal(1);
      expect(taken[0]?.at).to.be.below(stoppedAt + SETTINGS.failoverTimeMillis);
    });

    it('follow the seed scenario: 1/1, one stops → 2, a third joins → 1/1, all stop → 0', () => {
      const fleet = new Fleet(2);
      fleet.start('c1');
      fleet.start('c2');
      fleet.run(5000);
      expect([fleet.heldBy('c1').length, fleet.heldBy('c2').length]).to.deep.equal([1, 1]);
      fleet.stop('c1');
      fleet.run(5000);
      expect(fleet.heldBy('c2')).to.have.length(2);
      fleet.start('c3');
      fleet.run(10_000);
      expect([fleet.heldBy('c2').length, fleet.heldBy('c3').length]).to.deep.equal([1, 1]);
      expect(fleet.owners()).to.deep.equal({ c2: 1, c3: 1 });
      fleet.stop('c2');
      fleet.stop('c3');
      expect(fleet.owners()).to.deep.equal({ '(none)': 2 });
    });

    it('rebalance 4 shards when a third worker joins, by handoffs the victims notice at their next renewal', () => {
      const fleet = new Fleet(4);
      fleet.start('A');
      fleet.start('B');
      fleet.run(5000);
      const c = fleet.start('C');
      fleet.run(0);
      const asked = fleet.leases().filter((l) => l.checkpointOwner !== undefined);
      expect(asked.map((l) => l.leaseOwner), 'C asked for one lease at once').to.deep.equal(['C']);
      expect(c.events, 'but holds nothing until it is handed over').to.deep.equal([]);
      fleet.run(20_000);
      const counts = Object.values(fleet.owners()).sort();
      expect(counts).to.deep.equal([1, 1, 2]);
      expect(fleet.heldBy('C')).to.have.length(1);
      const all = [...fleet.workers.values()].flatMap((w) => w.events);
      expect(all.filter((e) => e._tag === 'LeaseLost'), 'nothing taken abruptly').to.deep.equal([]);
      const handoffs = all.filter((e) => e._tag === 'LeaseHandoff');
      expect(handoffs.map((e) => e.shardId)).to.deep.equal([asked[0]?.leaseKey]);
      // The victim renews every 3308 ms since it started at 0, so it notices at 6616; C takes the
      // lease at its round after that: 8000 (rounds at 5000, 6000, then every 2000).
      expect(handoffs[0]?.at).to.equal(6616);
      expect(c.events.map((e) => [e._tag, e.shardId, e.at])).to.deep.equal([['LeaseAcquired', asked[0]?.leaseKey, 8000]]);
      expect(fleet.leases().filter((l) => l.checkpointOwner !== undefined), 'no handoff left pending').to.deep.equal([]);
    });

    it('steal towards the even share one lease per take round', () => {
      const fleet = new Fleet(6);
      fleet.start('A');
      fleet.run(3000);
      expect(fleet.owners()).to.deep.equal({ A: 6 });
      const b = fleet.start('B');
      const joinedAt = fleet.now;
      fleet.run(10_000);
      const acquiredAt = b.events.filter((e) => e._tag === 'LeaseAcquired').map((e) => e.at - joinedAt);
      // B (rounds at 3000, 4000, 6000, 8000) asks for one lease at 3000, A hands it over at its
      // renewal at 3308, B takes it at 4000 and asks for the next; that and the one B asks for at
      // 6000 are handed over at A's renewal at 6616 and taken at 8000.
      expect(acquiredAt).to.deep.equal([1000, 5000, 5000]);
      expect(fleet.owners()).to.deep.equal({ A: 3, B: 3 });
      expect(fleet.worker('A').events.filter((e) => e._tag === 'LeaseLost')).to.deep.equal([]);
    });

    it('steal several at once when maxLeasesToStealAtOneTime allows', () => {
      const fleet = new Fleet(6);
      fleet.start('A');
      fleet.run(3000);
      const b = fleet.start('B', { maxLeasesToStealAtOneTime: 3 });
      fleet.run(0);
      // First round: one unseen worker assumed, so the share is 2; both asked for in that round.
      expect(fleet.leases().filter((l) => l.leaseOwner === 'B' && l.checkpointOwner === 'A')).to.have.length(2);
      fleet.run(1000); // A handed both over at 3308; B's round at 4000 takes them
      expect(b.events.filter((e) => e._tag === 'LeaseAcquired').map((e) => e.at)).to.deep.equal([4000, 4000]);
      fleet.run(4000);
      expect(fleet.owners()).to.deep.equal({ A: 3, B: 3 });
    });

    it('take the leases of a killed worker only once its counters have stood still for the failover time', () => {
      const fleet = new Fleet(4);
      fleet.start('A');
      fleet.start('B');
      fleet.run(5000);
      fleet.kill('B');
      // B's last renewal was at 3308; A saw that change at its scan at 5000 (A's rounds: 0, 1000,
      // then every 2 s).
      fleet.run(8000); // t = 13000
      expect(fleet.owners()).to.deep.equal({ A: 2, B: 2 });
      fleet.run(2000); // t = 15000: exactly 10 s since A saw the change, not yet expired
      expect(fleet.owners()).to.deep.equal({ A: 2, B: 2 });
      fleet.run(2000); // t = 17000
      expect(fleet.owners()).to.deep.equal({ A: 4 });
      const taken = fleet.worker('A').events.filter((e) => e._tag === 'LeaseAcquired' && e.at > 5000);
      expect(taken.map((e) => e.at)).to.deep.equal([17_000, 17_000]);
    });

    it('respect maxLeasesForWorker', () => {
      const fleet = new Fleet(4);
      fleet.start('A', { maxLeasesForWorker: 1 });
      fleet.start('B', { maxLeasesForWorker: 1 });
      fleet.run(10_000);
      expect(fleet.owners()).to.deep.equal({ A: 1, B: 1, '(none)': 2 });
      const alone = new Fleet(4);
      alone.start('A', { maxLeasesForWorker: 3 });
      alone.run(10_000);
      expect(alone.owners()).to.deep.equal({ A: 3, '(none)': 1 });
    });

    it('keep every lease with exactly one worker whatever the start times, latencies and worker count', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 0, max: 30 }),
          (starts, shards, latencyMillis) => {
            const fleet = new Fleet(shards, { latencyMillis });
            const order = starts.map((at, i) => ({ at, id: `w${i}` })).sort((x, y) => x.at - y.at);
            for (const { at, id } of order) {
              fleet.run(at - fleet.now);
              fleet.start(id);
            }
            fleet.run(40_000);
            const counts = order.map(({ id }) => fleet.heldBy(id).length);
            expect(counts.reduce((x, y) => x + y, 0), 'every shard held once').to.equal(shards);
            expect(Math.max(...counts), 'nobody above the share').to.be.at.most(Math.ceil(shards / starts.length));
            for (const { id } of order) {
              expect(fleet.heldBy(id), `${id} holds what the table says`).to.deep.equal(fleet.leases().filter((l) => l.leaseOwner === id).map((l) => l.leaseKey));
              expect(fleet.worker(id).error).to.equal(undefined);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe('graceful handoffs must', () => {
    /** What a thief writes to ask for a lease (KCL 3.x `initiateGracefulLeaseHandoff`). */
    function askFor(fleet: Fleet, key: string, thief: string): void {
      const lease = fleet.store.lease(TABLE, key);
      if (lease?.leaseOwner === undefined) throw new Error(`${key} has no owner`);
      const update = {
        expectedCounter: lease.leaseCounter,
        expectedCheckpointOwner: null,
        keepCounter: true,
        set: { leaseOwner: thief, checkpointOwner: lease.leaseOwner },
      } as const;
      expect(call(fleet, fleet.store.updateLease(TABLE, key, update)).values[0]?._tag).to.equal('Written');
    }

    it('tell the holder at its next renewal, keep the lease valid, let it checkpoint, then hand it over on release', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', {}, { ignoreHandoffs: true });
      fleet.run(1000);
      askFor(fleet, shardId(0), 'T');
      fleet.run(2307); // t = 3307
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired']);
      fleet.run(1); // t = 3308: the renewal fails on checkpointOwner, the read-back shows the handoff
      expect(a.events.map((e) => [e._tag, e.at])).to.deep.equal([['LeaseAcquired', 0], ['LeaseHandoff', 3308]]);
      const renewed = fleet.store.lease(TABLE, shardId(0));
      expect(renewed).to.deep.include({ leaseOwner: 'T', checkpointOwner: 'A', leaseCounter: 2 });
      fleet.run(20_000); // renewals go on, past what would be the failover time
      expect(fleet.store.lease(TABLE, shardId(0))?.leaseCounter).to.be.above(renewed?.leaseCounter ?? 0);
      const checkpointed = call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 4)));
      expect(checkpointed.values).to.deep.equal([{ _tag: 'Checkpointed', position: new CompoundSequenceNumber(SEQ, 4) }]);
      const beforeRelease = fleet.store.lease(TABLE, shardId(0));
      expect(beforeRelease).to.deep.include({ leaseOwner: 'T', checkpointOwner: 'A', checkpoint: SEQ, checkpointSubSequenceNumber: 4 });
      call(fleet, a.coordinator.release(shardId(0)));
      const after = fleet.store.lease(TABLE, shardId(0));
      expect(after).to.deep.include({ leaseOwner: 'T', leaseCounter: (beforeRelease?.leaseCounter ?? 0) + 1, checkpoint: SEQ });
      expect(after).to.not.have.property('checkpointOwner');
      expect(call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 5))).values).to.deep.equal([{ _tag: 'LeaseLost', shardId: shardId(0) }]);
      fleet.run(9000);
      expect(fleet.store.lease(TABLE, shardId(0))).to.deep.include({ leaseOwner: 'T', leaseCounter: after?.leaseCounter });
      expect(a.events.map((e) => e._tag), 'no loss, and not taken back from T').to.deep.equal(['LeaseAcquired', 'LeaseHandoff']);
    });

    it('notice a handoff at a checkpoint write too, and write the checkpoint', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', {}, { ignoreHandoffs: true });
      fleet.run(1000);
      askFor(fleet, shardId(0), 'T');
      const checkpointed = call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 1)));
      expect(checkpointed.values).to.deep.equal([{ _tag: 'Checkpointed', position: new CompoundSequenceNumber(SEQ, 1) }]);
      expect(a.events.map((e) => [e._tag, e.at])).to.deep.equal([['LeaseAcquired', 0], ['LeaseHandoff', 1000]]);
      expect(fleet.store.lease(TABLE, shardId(0))).to.deep.include({ leaseOwner: 'T', checkpointOwner: 'A', checkpoint: SEQ });
    });

    it('finish a shard that ends during a handoff: SHARD_END, no owner, no checkpoint owner', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', {}, { ignoreHandoffs: true });
      fleet.run(1000);
      askFor(fleet, shardId(0), 'T');
      fleet.run(2308); // t = 3308: noticed
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseHandoff']);
      const ended = call(fleet, a.coordinator.shardEnded(shardId(0), []));
      expect(ended.values).to.deep.equal([{ _tag: 'Checkpointed', position: CompoundSequenceNumber.SHARD_END }]);
      const lease = fleet.store.lease(TABLE, shardId(0));
      expect(lease).to.deep.include({ checkpoint: 'SHARD_END' });
      expect(lease).to.not.have.property('leaseOwner');
      expect(lease).to.not.have.property('checkpointOwner');
    });

    it('hand a lease it has not announced (parents not finished) over at once, telling nobody', () => {
      const fleet = new Fleet(1);
      call(fleet, fleet.store.ensureTable(TABLE));
      const base = { checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0 };
      fleet.store.putLease(TABLE, { leaseKey: 'parent', leaseOwner: 'P', leaseCounter: 1, parentShardIds: [], ...base });
      fleet.store.putLease(TABLE, { leaseKey: 'child', leaseCounter: 0, parentShardIds: ['parent'], ...base });
      const a = fleet.start('A', {}, { ignoreHandoffs: true });
      fleet.run(1000);
      expect(fleet.store.lease(TABLE, 'child')?.leaseOwner).to.equal('A');
      askFor(fleet, 'child', 'T');
      fleet.run(2308); // t = 3308: A's renewal finds the handoff
      expect(fleet.store.lease(TABLE, 'child')).to.deep.include({ leaseOwner: 'T' }).and.not.have.property('checkpointOwner');
      expect(a.events.filter((e) => e.shardId === 'child')).to.deep.equal([]);
    });

    it('hand the lease over without its final checkpoint when the holder does not release it within the handoff timeout', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', { gracefulLeaseHandoffTimeoutMillis: 10_000 }, { ignoreHandoffs: true });
      fleet.run(1000);
      askFor(fleet, shardId(0), 'T');
      fleet.run(2308); // t = 3308: noticed; handed over at the first renewal from 13308 on, 16540
      fleet.run(13_231); // t = 16539
      expect(fleet.store.lease(TABLE, shardId(0))?.checkpointOwner).to.equal('A');
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseHandoff']);
      fleet.run(1); // t = 16540
      expect(a.events.map((e) => [e._tag, e.at])).to.deep.equal([['LeaseAcquired', 0], ['LeaseHandoff', 3308], ['LeaseLost', 16_540]]);
      expect(fleet.store.lease(TABLE, shardId(0))).to.deep.include({ leaseOwner: 'T' }).and.not.have.property('checkpointOwner');
    });

    it('let the new owner take the lease once the handoff is overdue, when the old owner ignores checkpointOwner (KCL 2.x)', () => {
      const fleet = new Fleet(2);
      call(fleet, fleet.store.ensureTable(TABLE));
      // A KCL 2.x worker holding both shards: renews every 3000 ms conditional on the counter only.
      const counters = new Map<string, number>();
      for (const key of [shardId(0), shardId(1)]) {
        fleet.store.putLease(TABLE, { leaseKey: key, leaseOwner: 'K2', leaseCounter: 1, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] });
        counters.set(key, 1);
      }
      const dropped: Array<[string, number]> = [];
      const renewK2 = (): void => {
        for (const [key, counter] of [...counters]) {
          fleet.store.updateLease(TABLE, key, { expectedCounter: counter }).subscribe((result) => {
            if (result._tag === 'Written') counters.set(key, result.lease.leaseCounter);
            else {
              counters.delete(key);
              dropped.push([key, fleet.now]);
            }
          });
        }
        fleet.scheduler.schedule(renewK2, 3000);
      };
      fleet.scheduler.schedule(renewK2, 3000);
      const b = fleet.start('B');
      fleet.run(0);
      const asked = fleet.leases().filter((l) => l.checkpointOwner === 'K2');
      expect(asked.map((l) => l.leaseOwner)).to.deep.equal(['B']);
      const key = asked[0]?.leaseKey ?? '';
      fleet.run(40_999); // B's rounds: 0, 1000, then every 2000; the handoff is overdue from 40000 on
      expect(b.events, 'not before handoff timeout + failover').to.deep.equal([]);
      expect(fleet.store.lease(TABLE, key)).to.deep.include({ leaseOwner: 'B', checkpointOwner: 'K2' });
      fleet.run(1); // t = 41000
      expect(b.events.map((e) => [e._tag, e.shardId, e.at])).to.deep.equal([['LeaseAcquired', key, 41_000]]);
      expect(fleet.store.lease(TABLE, key)).to.deep.include({ leaseOwner: 'B', ownerSwitchesSinceCheckpoint: 1 }).and.not.have.property('checkpointOwner');
      fleet.run(1000);
      expect(dropped, "the old owner's next write fails").to.deep.equal([[key, 42_000]]);
      expect(fleet.owners()).to.deep.equal({ B: 1, K2: 1 });
    });

    it('let any worker take a lease in a handoff whose old owner died', () => {
      const fleet = new Fleet(2);
      const a = fleet.start('A', {}, { ignoreHandoffs: true });
      fleet.run(5000);
      const b = fleet.start('B');
      fleet.run(0);
      expect(fleet.leases().filter((l) => l.checkpointOwner === 'A').map((l) => l.leaseOwner)).to.deep.equal(['B']);
      fleet.run(1616); // t = 6616: A notices, renews, and dies before it has checkpointed
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseAcquired', 'LeaseHandoff']);
      fleet.kill('A');
      // B (rounds at 5000, 6000, then every 2000) first sees A's last renewal at 8000; both leases
      // expire after 18000, so the round at 20000 takes them.
      fleet.run(13_383); // t = 19999
      expect(b.events).to.deep.equal([]);
      fleet.run(1);
      expect(b.events.map((e) => e.at)).to.deep.equal([20_000, 20_000]);
      expect(fleet.leases().map((l) => [l.leaseOwner, l.checkpointOwner])).to.deep.equal([
        ['B', undefined],
        ['B', undefined],
      ]);
    });
  });

  describe('resharding must', () => {
    it('after a split, announce the children only once the parent is at SHARD_END', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', { shardSyncIntervalMillis: 5000 });
      fleet.run(1000);
      fleet.kinesis.splitShard(STREAM, shardId(0), 1n << 127n).subscribe();
      fleet.run(9000); // t = 10000: the sync at 5000 created the children, a round took them
      expect(fleet.owners()).to.deep.equal({ A: 3 });
      expect(fleet.heldBy('A'), 'children held but not announced').to.deep.equal([shardId(0)]);
      fleet.run(11_000); // t = 21000, past the readiness check at 20000
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
      const ended = call(fleet, a.coordinator.shardEnded(shardId(0), childrenOf(fleet, shardId(0))));
      expect(ended.values).to.deep.equal([{ _tag: 'Checkpointed', position: CompoundSequenceNumber.SHARD_END }]);
      const parent = fleet.store.lease(TABLE, shardId(0));
      expect(parent).to.deep.include({ checkpoint: 'SHARD_END', childShardIds: [shardId(1), shardId(2)] });
      expect(parent).to.not.have.property('leaseOwner');
      fleet.run(8000); // t = 29000
      expect(fleet.heldBy('A'), 'not before the next readiness check').to.deep.equal([]);
      fleet.run(1000); // t = 30000
      const announced = a.events.filter((e) => e._tag === 'LeaseAcquired' && e.shardId !== shardId(0));
      expect(announced.map((e) => [e.shardId, e.at])).to.deep.equal([
        [shardId(1), 30_000],
        [shardId(2), 30_000],
      ]);
      const ranges = evenHashKeyRanges(1)[0];
      const first = announced[0];
      expect(first?._tag === 'LeaseAcquired' ? first.hashKeyRange : undefined).to.deep.equal({ startingHashKey: ranges?.startingHashKey, endingHashKey: (1n << 127n) - 1n });
    });

    it('create the children at shard end when no sync has yet, and let another worker read them at once', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      const b = fleet.start('B');
      fleet.run(1000);
      const holder = fleet.heldBy('A').length === 1 ? a : b;
      fleet.kinesis.splitShard(STREAM, shardId(0), 1n << 127n).subscribe();
      fleet.run(0);
      call(fleet, holder.coordinator.shardEnded(shardId(0), childrenOf(fleet, shardId(0))));
      fleet.run(2000);
      const children = [...fleet.workers.values()].flatMap((w) => w.events).filter((e) => e._tag === 'LeaseAcquired' && e.shardId !== shardId(0));
      expect(children.every((e) => e.at <= 3000), 'announced as soon as taken').to.equal(true);
      // Both may race for both children; the loser then steals one, which the winner notices at its next renewal.
      fleet.run(5000);
      // The parent is finished when the children are first seen, so they are announced when taken.
      expect([...fleet.heldBy('A'), ...fleet.heldBy('B')].sort()).to.deep.equal([shardId(1), shardId(2)]);
      expect(fleet.owners()).to.deep.equal({ A: 1, B: 1 });
    });

    it('after a merge, hold the child back until both parents are at SHARD_END', () => {
      const fleet = new Fleet(2);
      const a = fleet.start('A', { shardSyncIntervalMillis: 5000 });
      fleet.run(3000);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0), shardId(1)]);
      fleet.kinesis.mergeShards(STREAM, shardId(0), shardId(1)).subscribe();
      fleet.run(7000); // t = 10000: the child lease exists and is held
      expect(fleet.owners()).to.deep.equal({ A: 3 });
      const child = childrenOf(fleet, shardId(0));
      expect(child.map((c) => c.parentShards)).to.deep.equal([[shardId(0), shardId(1)]]);
      call(fleet, a.coordinator.shardEnded(shardId(0), child));
      fleet.run(10_000); // t = 20000, readiness check: one parent still open
      expect(fleet.heldBy('A')).to.deep.equal([shardId(1)]);
      fleet.run(1000);
      call(fleet, a.coordinator.shardEnded(shardId(1), childrenOf(fleet, shardId(1))));
      fleet.run(9000); // t = 30000
      expect(fleet.heldBy('A')).to.deep.equal([shardId(2)]);
      expect(a.events.filter((e) => e.shardId === shardId(2)).map((e) => e.at)).to.deep.equal([30_000]);
    });

    it('delete a finished lease once its children have checkpointed past their start', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', { shardSyncIntervalMillis: 5000 });
      fleet.run(1000);
      fleet.kinesis.splitShard(STREAM, shardId(0), 1n << 127n).subscribe();
      fleet.run(0);
      call(fleet, a.coordinator.shardEnded(shardId(0), childrenOf(fleet, shardId(0))));
      fleet.run(2000);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(1), shardId(2)]);
      fleet.run(5000);
      expect(fleet.store.lease(TABLE, shardId(0)), 'children have not started').to.not.equal(undefined);
      const records = fleet.kinesis.appendRecords(STREAM, [
        { partitionKey: 'x', data: new Uint8Array([1]), explicitHashKey: '1' },
        { partitionKey: 'y', data: new Uint8Array([2]), explicitHashKey: String((1n << 127n) + 1n) },
      ]);
      for (const [i, put] of records.entries()) {
        if (put._tag !== 'Put') throw new Error('not put');
        call(fleet, a.coordinator.checkpoint(shardId(i + 1), new CompoundSequenceNumber(put.sequenceNumber)));
      }
      fleet.run(5000);
      expect(fleet.store.lease(TABLE, shardId(0))).to.equal(undefined);
      expect(fleet.leases().map((l) => l.leaseKey)).to.deep.equal([shardId(1), shardId(2)]);
    });

    it('keep finished leases when cleanup is off', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A', { shardSyncIntervalMillis: 5000, cleanupLeasesUponShardCompletion: false });
      fleet.run(1000);
      fleet.kinesis.splitShard(STREAM, shardId(0), 1n << 127n).subscribe();
      fleet.run(0);
      call(fleet, a.coordinator.shardEnded(shardId(0), childrenOf(fleet, shardId(0))));
      for (const child of [1, 2]) call(fleet, a.coordinator.checkpoint(shardId(child), new CompoundSequenceNumber(SEQ)));
      fleet.run(20_000);
      expect(fleet.store.lease(TABLE, shardId(0))).to.deep.include({ checkpoint: 'SHARD_END' });
    });
  });

  describe('checkpoint must', () => {
    it('reset owner switches and remove a pending checkpoint', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      const current = fleet.store.lease(TABLE, shardId(0));
      if (current === undefined) throw new Error('no lease');
      // Same counter: as if these had been there when the lease was taken.
      fleet.store.putLease(TABLE, { ...current, ownerSwitchesSinceCheckpoint: 3, pendingCheckpoint: '5', pendingCheckpointSubSequenceNumber: 1 });
      call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 4)));
      const after = fleet.store.lease(TABLE, shardId(0));
      expect(after).to.deep.include({ checkpoint: SEQ, checkpointSubSequenceNumber: 4, ownerSwitchesSinceCheckpoint: 0 });
      expect(after).to.not.have.property('pendingCheckpoint');
      expect(after).to.not.have.property('pendingCheckpointSubSequenceNumber');
    });

    it('give LeaseLost, as a result and on events$, when another worker wrote the lease', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      fleet.store.forceUpdate(TABLE, shardId(0), { leaseOwner: 'thief' });
      expect(call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 4))).values).to.deep.equal([{ _tag: 'LeaseLost', shardId: shardId(0) }]);
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseLost']);
      expect(fleet.store.lease(TABLE, shardId(0))?.checkpoint).to.equal('TRIM_HORIZON');
      fleet.run(5000);
      expect(a.events.map((e) => e._tag), 'reported once').to.deep.equal(['LeaseAcquired', 'LeaseLost']);
    });

    it('succeed on the held counter and owner', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      const before = fleet.store.lease(TABLE, shardId(0));
      const position = new CompoundSequenceNumber(SEQ, 4);
      expect(call(fleet, a.coordinator.checkpoint(shardId(0), position)).values).to.deep.equal([{ _tag: 'Checkpointed', position }]);
      const after = fleet.store.lease(TABLE, shardId(0));
      expect(after).to.deep.include({ checkpoint: SEQ, checkpointSubSequenceNumber: 4, ownerSwitchesSinceCheckpoint: 0, leaseOwner: 'A' });
      expect(after?.leaseCounter).to.equal((before?.leaseCounter ?? 0) + 1);
      // Renewals go on from the new counter.
      fleet.run(10_000);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
      expect(fleet.store.lease(TABLE, shardId(0))?.leaseCounter).to.equal((after?.leaseCounter ?? 0) + 3);
    });

    it('give LeaseLost for a lease not held, and refuse sentinels', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      expect(call(fleet, a.coordinator.checkpoint('shardId-999', new CompoundSequenceNumber(SEQ))).values).to.deep.equal([{ _tag: 'LeaseLost', shardId: 'shardId-999' }]);
      const refused = call(fleet, a.coordinator.checkpoint(shardId(0), CompoundSequenceNumber.TRIM_HORIZON));
      expect(refused.error).to.be.instanceOf(TypeError);
      expect((refused.error as Error).message).to.contain('shardEnded');
    });

    it('survive a write whose answer was lost and whose retry in the client failed its condition: the lease is read back, still ours', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      fleet.store.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      const position = new CompoundSequenceNumber(SEQ);
      expect(call(fleet, a.coordinator.checkpoint(shardId(0), position)).values).to.deep.equal([{ _tag: 'Checkpointed', position }]);
      expect(fleet.store.lease(TABLE, shardId(0))).to.include({ leaseOwner: 'A', checkpoint: SEQ });
      fleet.run(10_000);
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired']);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
    });

    it('survive a write whose answer was lost, with a client that does not retry: the caller retries and the lease is still ours', () => {
      const fleet = new Fleet(1, { maxAttempts: 1 });
      const a = fleet.start('A');
      fleet.run(0);
      fleet.store.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      const position = new CompoundSequenceNumber(SEQ);
      const first = call(fleet, a.coordinator.checkpoint(shardId(0), position));
      expect(first.error).to.have.property('retryable', true);
      const second = call(fleet, a.coordinator.checkpoint(shardId(0), position));
      expect(second.values).to.deep.equal([{ _tag: 'Checkpointed', position }]);
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired']);
      fleet.run(10_000);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
    });

    it('refuse to write once the lease has expired here, even if nobody took it', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      fleet.kill('A'); // no more renewals
      fleet.run(9974);
      expect(call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ))).values[0]?._tag, 'still valid at 9974').to.equal('Checkpointed');
      fleet.run(10_000);
      const late = call(fleet, a.coordinator.checkpoint(shardId(0), new CompoundSequenceNumber(SEQ, 1)));
      expect(late.values).to.deep.equal([{ _tag: 'LeaseLost', shardId: shardId(0) }]);
      expect(fleet.store.lease(TABLE, shardId(0))?.checkpointSubSequenceNumber).to.equal(0);
    });
  });

  describe('renewals must', () => {
    it('keep a lease through a renewal whose answer was lost', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(3000);
      fleet.store.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      fleet.run(20_000);
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired']);
    });

    it('lose a lease the store no longer has', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(1000);
      call(fleet, fleet.store.deleteLease(TABLE, shardId(0)));
      fleet.run(3000);
      expect(a.events.map((e) => [e._tag, e.at])).to.deep.equal([
        ['LeaseAcquired', 0],
        ['LeaseLost', 3308],
      ]);
    });
  });

  describe('release must', () => {
    it('give the lease up at once, and not take it back for a failover period', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(1000);
      const counter = fleet.store.lease(TABLE, shardId(0))?.leaseCounter ?? 0;
      expect(call(fleet, a.coordinator.release(shardId(0))).values).to.deep.equal([]);
      expect(fleet.store.lease(TABLE, shardId(0))).to.not.have.property('leaseOwner');
      expect(fleet.store.lease(TABLE, shardId(0))?.leaseCounter).to.equal(counter + 1);
      fleet.run(9999); // t = 10999: the rounds at 3000 … 9000 leave it alone
      expect(fleet.owners()).to.deep.equal({ '(none)': 1 });
      fleet.run(1); // t = 11000: the round a failover period after the release takes it back
      expect(fleet.owners()).to.deep.equal({ A: 1 });
      expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseAcquired']);
    });

    it('complete without writing when the lease is not held', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      fleet.store.resetCalls();
      expect(call(fleet, a.coordinator.release('shardId-999'))).to.deep.equal({ values: [] });
      expect(fleet.store.calls.updateLease).to.equal(0);
    });

    it('retry a throttled release', () => {
      const fleet = new Fleet(1);
      const a = fleet.start('A');
      fleet.run(0);
      fleet.store.faults.add({ operation: 'updateLease', fault: 'throttle', times: 2 });
      a.coordinator.release(shardId(0)).subscribe();
      fleet.run(1000);
      expect(fleet.store.lease(TABLE, shardId(0))).to.not.have.property('leaseOwner');
    });
  });

  describe('start-up and lifecycle must', () => {
    it('create the lease table when it does not exist', () => {
      const fleet = new Fleet(1);
      expect(fleet.store.tableNames()).to.deep.equal([]);
      fleet.start('A');
      fleet.run(0);
      expect(fleet.store.tableNames()).to.deep.equal([TABLE]);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
    });

    it('retry a throttled start-up', () => {
      const fleet = new Fleet(1);
      fleet.store.faults.add({ operation: 'ensureTable', fault: 'throttle', times: 2 });
      fleet.kinesis.faults.add({ operation: 'listShards', fault: 'throttle', times: 2 });
      fleet.start('A');
      fleet.run(5000);
      expect(fleet.worker('A').error).to.equal(undefined);
      expect(fleet.heldBy('A')).to.deep.equal([shardId(0)]);
    });

    it('skip the first shard sync when asked and the table has leases', () => {
      const fleet = new Fleet(2);
      fleet.start('A');
      fleet.run(3000);
      fleet.stop('A');
      fleet.kinesis.splitShard(STREAM, shardId(0), 1n << 126n).subscribe();
      fleet.run(0);
      fleet.kinesis.resetCalls();
      fleet.start('B', { skipShardSyncAtStartupIfLeasesExist: true, shardSyncIntervalMillis: 5000 });
      fleet.run(4000);
      expect(fleet.kinesis.calls.listShards).to.equal(0);
      expect(fleet.leases()).to.have.length(2);
      fleet.run(1000); // the periodic sync at 5000 catches up
      expect(fleet.kinesis.calls.listShards).to.equal(1);
      expect(fleet.leases()).to.have.length(4);
    });

    it('fail when the stream does not exist', () => {
      const fleet = new Fleet(1);
      fleet.start('A', { streamName: 'missing' });
      fleet.run(0);
      expect(fleet.worker('A').error).to.be.instanceOf(StreamNotFoundError);
    });

    it('give up start-up after repeated throttling', () => {
      const fleet = new Fleet(1);
      fleet.store.faults.add({ operation: 'ensureTable', fault: 'throttle' });
      fleet.start('A');
      fleet.run(60_000);
      expect(fleet.worker('A').error).to.have.property('name', 'LeaseStoreThrottledError');
      expect(fleet.store.calls.ensureTable).to.equal(10);
    });

    it('refuse a second subscription while one runs, and start afresh after unsubscribing', () => {
      const fleet = new Fleet(2);
      const a = fleet.start('A');
      fleet.run(3000);
      const second = call(fleet, a.coordinator.events$);
      expect((second.error as Error).message).to.contain('already subscribed');
      fleet.kill('A');
      fleet.run(1000);
      fleet.subscribe(a);
      fleet.run(0);
      // Its leases still name it, so it takes them back at once (one unseen peer assumed: 1 of 2 first).
      const again = a.events.filter((e) => e.at === 4000);
      expect(again.length).to.be.at.least(1);
      fleet.run(2000);
      expect(fleet.owners()).to.deep.equal({ A: 2 });
    });

    it('check its settings when built', () => {
      const store = new InMemoryLeaseStore();
      expect(() => leaseCoordinator({ leases: store, kinesis: new Fleet(1).kinesis, scheduler: new Fleet(1).scheduler }, { ...SETTINGS, workerId: '' })).to.throw(ConfigError, 'workerId');
    });

    it('emit nothing and touch nothing before it is subscribed', () => {
      const fleet = new Fleet(1);
      leaseCoordinator({ leases: fleet.store, kinesis: fleet.kinesis, scheduler: fleet.scheduler }, { ...SETTINGS, workerId: 'A' });
      fleet.run(10_000);
      expect(Object.values(fleet.store.calls).every((n) => n === 0)).to.equal(true);
      expect(Object.values(fleet.kinesis.calls).every((n) => n === 0)).to.equal(true);
    });
  });
});
