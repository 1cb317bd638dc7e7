import { expect } from 'chai';
import fc from 'fast-check';
import type { Lease } from '../../../lib/model/lease';
import { assignLeases, preference, type AssignmentInput, type AssignmentSettings } from '../../../lib/consumer/lease/assignment';
import type { ObservedLease } from '../../../lib/consumer/lease/lease-observations';

const FAILOVER = 10_000;
const NOW = 100_000;
const HANDOFF_TIMEOUT = 30_000;
const SETTINGS: AssignmentSettings = {
  failoverTimeMillis: FAILOVER,
  maxLeasesForWorker: 2 ** 31 - 1,
  maxLeasesToStealAtOneTime: 1,
  gracefulLeaseHandoffTimeoutMillis: HANDOFF_TIMEOUT,
};

interface Spec {
  readonly owner?: string;
  /** How long ago the counter was seen to change; Infinity = first seen unowned. */
  readonly still?: number;
  readonly checkpoint?: string;
  readonly checkpointOwner?: string;
  readonly counter?: number;
  /** How long ago the handoff (checkpointOwner) was first seen; default 0. */
  readonly handoffAgo?: number;
}

function observed(key: string, spec: Spec = {}): ObservedLease {
  const lease: Lease = {
    leaseKey: key,
    leaseCounter: spec.counter ?? 1,
    checkpoint: spec.checkpoint ?? 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    ...(spec.owner === undefined ? {} : { leaseOwner: spec.owner }),
    ...(spec.checkpointOwner === undefined ? {} : { checkpointOwner: spec.checkpointOwner }),
  };
  const still = spec.still ?? (spec.owner === undefined ? Number.POSITIVE_INFINITY : 0);
  return {
    lease,
    counterChangedAtMillis: NOW - still,
    ...(spec.checkpointOwner === undefined ? {} : { handoffSinceMillis: NOW - (spec.handoffAgo ?? 0) }),
  };
}

/** Leases `s0`, `s1`, … built from specs. */
function table(...specs: Spec[]): Map<string, ObservedLease> {
  return new Map(specs.map((spec, i) => [`s${i}`, observed(`s${i}`, spec)]));
}

function assign(observations: Map<string, ObservedLease>, extra: Partial<AssignmentInput> = {}): ReturnType<typeof assignLeases> {
  const held = new Set([...observations.values()].filter((o) => o.lease.leaseOwner === 'me').map((o) => o.lease.leaseKey));
  return assignLeases({ observations, workerId: 'me', nowMillis: NOW, held, settings: SETTINGS, ...extra });
}

const keys = (leases: readonly Lease[]): string[] => leases.map((l) => l.leaseKey).sort();
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('assignLeases', () => {
  describe('target must', () => {
    it('be ceil(leases / workers)', () => {
      const result = assign(table(...times(5, () => ({})), { owner: 'w1' }, { owner: 'w1' }));
      // 7 leases, workers me + w1 → 4
      expect(result.workers).to.equal(2);
      expect(result.target).to.equal(4);
      expect(result.take).to.have.length(4);
    });

    it('be 1 when there are at least as many workers as leases', () => {
      const result = assign(table({ owner: 'w1' }, { owner: 'w2' }, {}));
      expect(result.workers).to.equal(3);
      expect(result.target).to.equal(1);
      expect(keys(result.take)).to.deep.equal(['s2']);
    });

    it('be capped by maxLeasesForWorker', () => {
      const result = assign(table(...times(6, () => ({}))), { settings: { ...SETTINGS, maxLeasesForWorker: 2 } });
      expect(result.target).to.equal(2);
      expect(result.take).to.have.length(2);
    });

    it('count one unseen worker on the first round', () => {
      const result = assign(table(...times(4, () => ({}))), { assumeUnseenWorker: true });
      expect(result.workers).to.equal(2);
      expect(result.take).to.have.length(2);
      const alone = assign(table(...times(4, () => ({}))));
      expect(alone.take).to.have.length(4);
    });

    it('ignore finished leases, and count a lease in a KCL 3.x handoff for its new owner', () => {
      const result = assign(table({ checkpoint: 'SHARD_END' }, { checkpoint: 'SHARD_END', owner: 'w1' }, { checkpointOwner: 'w9', owner: 'w2' }, {}));
      // s2 and s3 count: two leases, two workers (w1 owns nothing assignable, w9 is only the old owner).
      expect(result.workers).to.equal(2);
      expect(result.target).to.equal(1);
      expect(keys(result.take)).to.deep.equal(['s3']);
    });

    it('not count the owners of expired leases as workers', () => {
      const result = assign(table({ owner: 'dead', still: FAILOVER + 1 }, { owner: 'dead', still: FAILOVER + 1 }, { owner: 'live' }, { owner: 'live' }));
      expect(result.workers).to.equal(2);
      expect(keys(result.take)).to.deep.equal(['s0', 's1']);
    });

    it('decide nothing on an empty table', () => {
      const result = assign(new Map());
      expect(result.take).to.deep.equal([]);
      expect(result.steal).to.deep.equal([]);
    });
  });

  describe('taking must', () => {
    it('take nothing once at the target', () => {
      const result = assign(table({ owner: 'me' }, { owner: 'me' }, {}, { owner: 'w1' }), {});
      // 4 leases, 2 workers → target 2, I hold 2.
      expect(result.mine).to.equal(2);
      expect(result.take).to.deep.equal([]);
      expect(result.steal).to.deep.equal([]);
    });

    it('take expired leases of another worker', () => {
      const result = assign(table({ owner: 'w1', still: FAILOVER + 1 }));
      expect(keys(result.take)).to.deep.equal(['s0']);
    });

    it('not take a lease whose owner renewed within the failover time', () => {
      const result = assign(table({ owner: 'w1', still: FAILOVER }, { owner: 'w1', still: FAILOVER }));
      expect(result.take).to.deep.equal([]);
    });

    it('take back a lease the table gives to this worker but that it does not hold, first', () => {
      const observations = table({}, {}, { owner: 'me' }, {});
      const result = assignLeases({ observations, workerId: 'me', nowMillis: NOW, held: new Set(), settings: SETTINGS, assumeUnseenWorker: true });
      // 4 leases, 2 workers (one assumed): target 2; mine-but-not-held comes first.
      expect(result.take).to.have.length(2);
      expect(result.take[0]?.leaseKey).to.equal('s2');
    });

    it('prefer very old leases to recently freed ones', () => {
      const observations = table({ still: 1000 }, { still: 1000 }, { still: 1000 }, {}, { owner: 'w1' }, { owner: 'w1' });
      // 6 leases, 2 workers: target 3. s3 (never owned) comes before the recently released ones.
      const result = assign(observations);
      expect(result.take[0]?.leaseKey).to.equal('s3');
      expect(result.take).to.have.length(3);
    });

    it('never take excluded leases, but not count them for anyone either', () => {
      const result = assign(table({}, {}), { excluded: new Set(['s0']) });
      expect(result.workers).to.equal(1);
      expect(keys(result.take)).to.deep.equal(['s1']);
    });

    it('not steal while something is available', () => {
      const result = assign(table({}, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }));
      expect(keys(result.take)).to.deep.equal(['s0']);
      expect(result.steal).to.deep.equal([]);
    });

    it('treat a lease held here but given to someone else in the table as theirs', () => {
      const observations = table({ owner: 'w1' }, { owner: 'w1' });
      const result = assignLeases({ observations, workerId: 'me', nowMillis: NOW, held: new Set(['s0']), settings: SETTINGS });
      expect(result.mine).to.equal(0);
      expect(result.workers).to.equal(2);
    });
  });

  describe('stealing must', () => {
    it('steal from the most loaded worker, one at a time by default', () => {
      const result = assign(table({ owner: 'w1' }, { owner: 'w1' }, { owner: 'w2' }, { owner: 'w2' }, { owner: 'w2' }, { owner: 'w2' }));
      // 6 leases, 3 workers: target 2; w2 has 4.
      expect(result.take).to.deep.equal([]);
      expect(result.steal).to.have.length(1);
      expect(result.steal[0]?.leaseOwner).to.equal('w2');
    });

    it('steal up to maxLeasesToStealAtOneTime, and no more than the victim has above the target', () => {
      const specs = [...times(6, () => ({ owner: 'w1' })), { owner: 'w2' }, { owner: 'w2' }];
      const settings = { ...SETTINGS, maxLeasesToStealAtOneTime: 5 };
      const result = assign(table(...specs), { settings });
      // 8 leases, 3 workers: target 3; w1 has 6 → 3 above target, and I need 3.
      expect(result.steal).to.have.length(3);
      expect(new Set(result.steal.map((l) => l.leaseOwner))).to.deep.equal(new Set(['w1']));
      const capped = assign(table(...specs), { settings: { ...SETTINGS, maxLeasesToStealAtOneTime: 2 } });
      expect(capped.steal).to.have.length(2);
    });

    it('steal one when the victim is at the target but this worker needs more than one', () => {
      const result = assign(table({ owner: 'w1' }, { owner: 'w1' }, { owner: 'w2' }, { owner: 'w2' }));
      // 4 leases, 3 workers: target 2; w1 and w2 hold 2 = target; I need 2.
      expect(result.steal).to.have.length(1);
    });

    it('not steal when the victim is at the target and one more would do', () => {
      const result = assign(table({ owner: 'me' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w2' }, { owner: 'w2' }));
      // 5 leases, 3 workers: target 2; I hold 1 and need 1; the others hold 2.
      expect(result.steal).to.deep.equal([]);
    });

    it('not steal when maxLeasesToStealAtOneTime is 0', () => {
      const result = assign(table({ owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }), {
        settings: { ...SETTINGS, maxLeasesToStealAtOneTime: 0 },
      });
      expect(result.steal).to.deep.equal([]);
    });

    it('not steal finished leases or leases in a handoff', () => {
      const result = assign(table({ owner: 'w1', checkpoint: 'SHARD_END' }, { owner: 'w1', checkpoint: 'SHARD_END' }, { owner: 'w1', checkpointOwner: 'w0' }));
      expect(result.steal).to.deep.equal([]);
    });
  });

  describe('handoffs must', () => {
    it('count a lease handed to this worker as its own, and neither take nor steal while the old owner checkpoints', () => {
      const result = assign(table({ owner: 'me', checkpointOwner: 'w1', handoffAgo: HANDOFF_TIMEOUT }, { owner: 'w1' }, { owner: 'w1' }), {
        held: new Set(),
      });
      expect(result.mine).to.equal(1);
      expect(result.take).to.deep.equal([]);
      // Counted as nobody's, the lease would leave this worker 2 short of its share of 2, and it would steal one.
      expect(result.steal).to.deep.equal([]);
    });

    it('let the new owner take a lease whose handoff is overdue (handoff timeout + failover)', () => {
      const notYet = assign(table({ owner: 'me', checkpointOwner: 'w1', handoffAgo: HANDOFF_TIMEOUT + FAILOVER - 1 }, { owner: 'w1' }), { held: new Set() });
      expect(notYet.take).to.deep.equal([]);
      const overdue = assign(table({ owner: 'me', checkpointOwner: 'w1', handoffAgo: HANDOFF_TIMEOUT + FAILOVER }, { owner: 'w1' }), { held: new Set() });
      expect(keys(overdue.take)).to.deep.equal(['s0']);
    });

    it("never take another worker's handoff, even overdue, while its counter moves", () => {
      const result = assign(table({ owner: 'w2', checkpointOwner: 'w1', handoffAgo: 10 * HANDOFF_TIMEOUT }, {}), { held: new Set() });
      expect(keys(result.take)).to.deep.equal(['s1']);
      expect(result.workers).to.equal(2);
    });

    it('make a lease in a handoff whose counter stood still for the failover time available to anyone', () => {
      const result = assign(table({ owner: 'w2', checkpointOwner: 'w1', still: FAILOVER + 1 }, { owner: 'w3' }), { held: new Set() });
      expect(keys(result.take)).to.deep.equal(['s0']);
    });

    it('take a lease handed over to this worker and still ask for the next one in the same round', () => {
      const result = assign(table({ owner: 'me' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }), { held: new Set() });
      expect(keys(result.take)).to.deep.equal(['s0']);
      expect(result.steal).to.have.length(1);
      const free = assign(table({ owner: 'me' }, {}, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w1' }), { held: new Set() });
      expect(keys(free.take)).to.deep.equal(['s0', 's1']);
      expect(free.steal, 'a free lease is taken instead').to.deep.equal([]);
    });

    it('steal only leases with no handoff under way, from the owner counting its handoffs', () => {
      // w1 owns 3 (one being handed to it by w0): share 2 with me, w0 and w1 over 5 leases; w1 is the most loaded.
      const result = assign(
        table({ owner: 'w1', checkpointOwner: 'w0' }, { owner: 'w1' }, { owner: 'w1' }, { owner: 'w0' }, { owner: 'w0', checkpointOwner: 'w9' }),
        { held: new Set() },
      );
      expect(result.workers).to.equal(3);
      expect(result.steal).to.have.length(1);
      expect(result.steal[0]?.checkpointOwner).to.equal(undefined);
      expect(['s1', 's2']).to.include(result.steal[0]?.leaseKey);
    });
  });

  describe('ordering must', () => {
    it('be deterministic', () => {
      const observations = table(...times(10, () => ({})));
      expect(keys(assign(observations, { assumeUnseenWorker: true }).take)).to.deep.equal(keys(assign(observations, { assumeUnseenWorker: true }).take));
    });

    it('differ between workers, so they tend to go for different leases', () => {
      const shards = times(50, (i) => `shardId-${String(i).padStart(12, '0')}`);
      const orderOf = (worker: string): string[] => [...shards].sort((a, b) => preference(worker, a) - preference(worker, b));
      expect(orderOf('worker-a')).to.not.deep.equal(orderOf('worker-b'));
      expect(orderOf('worker-a')).to.not.deep.equal(shards);
    });
  });

  describe('as a fleet, rounds must', () => {
    /**
     * Every worker runs a round in turn on the same table (each take applied at once), with no
     * expiry. Returns the lease count per worker.
     */
    function simulate(workerCount: number, leaseCount: number, rounds: number, maxSteal: number, maxForWorker: number): Map<string, number> {
      const owners = new Map<string, string | undefined>(times(leaseCount, (i) => [`s${i}`, undefined]));
      const workers = times(workerCount, (i) => `w${i}`);
      for (let round = 0; round < rounds; round += 1) {
        for (const worker of workers) {
          const observations = new Map<string, ObservedLease>(
            [...owners].map(([key, owner]) => [key, observed(key, owner === undefined ? {} : { owner, still: 0 })]),
          );
          const held = new Set([...owners].filter(([, owner]) => owner === worker).map(([key]) => key));
          const result = assignLeases({
            observations,
            workerId: worker,
            nowMillis: NOW,
            held,
            assumeUnseenWorker: round === 0,
            settings: { ...SETTINGS, maxLeasesToStealAtOneTime: maxSteal, maxLeasesForWorker: maxForWorker },
          });
          for (const lease of [...result.take, ...result.steal]) owners.set(lease.leaseKey, worker);
        }
      }
      const counts = new Map(workers.map((w) => [w, 0]));
      for (const owner of owners.values()) if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      return counts;
    }

    it('converge to an even share with every lease owned', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (workers, leases, maxSteal) => {
          const counts = [...simulate(workers, leases, 2 * leases + 4, maxSteal, 2 ** 31 - 1).values()];
          const total = counts.reduce((a, b) => a + b, 0);
          expect(total, 'every lease owned').to.equal(leases);
          expect(Math.max(...counts), 'nobody above the even share').to.be.at.most(Math.ceil(leases / workers));
          expect(Math.max(...counts) - Math.min(...counts), 'within one').to.be.at.most(1);
        }),
        { numRuns: 200 },
      );
    });

    it('never give a worker more than maxLeasesForWorker', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 10 }), (workers, leases, cap) => {
          const counts = [...simulate(workers, leases, 2 * leases + 4, 1, cap).values()];
          expect(Math.max(...counts)).to.be.at.most(cap);
          expect(counts.reduce((a, b) => a + b, 0)).to.equal(Math.min(leases, workers * cap));
        }),
        { numRuns: 200 },
      );
    });
  });
});
