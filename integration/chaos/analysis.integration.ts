/**
 * The judging side of `npm run chaos`, on made-up delivery logs (no emulator): what counts as lost,
 * a duplicate and which fault it is put down to, a zombie delivery, an order violation and a
 * checkpoint out of place; the invariants and exit code that follow; the seeded fault schedule;
 * and reading logs that grow.
 */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../../lib/model/lease';
import { analyse, type AnalysisInput, type FaultRecord, type ProducedRecord } from './analysis';
import { exitCodeOf, invariantsOf, type ChaosReport } from './chaos-report';
import { DeliveryLogReader, deliveryLogPath, formatDelivery, type Delivery } from './delivery-log';
import { faultSchedule } from './fault-schedule';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';

/** Event `id` delivered from position `seq` of `shardId` by `worker` at `at`, in tenure `tenure` (token `token`). */
function delivered(worker: string, shardId: string, seq: number, id: number, at: number, token: number, tenure = 1, acquiredAt = 0): Delivery {
  return { worker, shardId, sequenceNumber: String(100 + seq), subSequenceNumber: 0, eventId: id, fencingToken: token, tenure, acquiredAt, at, wallTime: at };
}

/** Events 0 … n-1, event i at position i of `shardId`. */
function producedOn(shardId: string, n: number): Map<number, ProducedRecord> {
  return new Map(Array.from({ length: n }, (_, i) => [i, { shardId, sequenceNumber: String(100 + i) }]));
}

/** By default every event delivered was produced where it was first delivered, and the lease table read empty. */
function input(deliveries: readonly Delivery[], faults: readonly FaultRecord[] = [], produced?: Map<number, ProducedRecord>): AnalysisInput {
  const firsts = new Map<number, ProducedRecord>();
  for (const d of deliveries) if (!firsts.has(d.eventId!)) firsts.set(d.eventId!, { shardId: d.shardId, sequenceNumber: d.sequenceNumber });
  return { produced: produced ?? firsts, sendFailed: new Set(), deliveries, faults, leasesAfterStop: [] };
}

const lease = (shardId: string, checkpoint: string, owner?: string): Lease => ({
  leaseKey: shardId,
  leaseCounter: 9,
  checkpoint,
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  ...(owner === undefined ? {} : { leaseOwner: owner }),
});

describe('chaos analysis (no emulator)', () => {
  it('counts as lost the acknowledged events nobody delivered, and not those whose send failed', () => {
    const findings = analyse({ ...input([delivered('w1-1', S0, 0, 0, 1, 1)], [], producedOn(S0, 3)), sendFailed: new Set([7]) });
    expect(findings).to.deep.include({ produced: 3, deliveries: 1, distinct: 1, lost: 2, lostSample: [1, 2], unexpected: 0 });
  });

  it('tells a record delivered again from an event the producer put twice', () => {
    // Event 0 at positions 0 and 1 (a retry after a lost answer), each delivered once.
    const produced = new Map([[0, { shardId: S0, sequenceNumber: '101' }]]);
    const findings = analyse(input([delivered('w1-1', S0, 0, 0, 1, 1), delivered('w1-1', S0, 1, 0, 2, 1)], [], produced));
    expect(findings.duplicates.total).to.equal(0);
    expect(findings.producerCopies).to.equal(1);
    expect(findings.lost).to.equal(0);
  });

  describe('duplicates', () => {
    it('puts a redelivery down to the kill of the worker that had delivered the record', () => {
      const faults: FaultRecord[] = [{ kind: 'kill', worker: 'w1-1', at: 5 }];
      const findings = analyse(input([delivered('w1-1', S0, 0, 0, 1, 1), delivered('w2-1', S0, 0, 0, 12, 2, 1, 10), delivered('w2-1', S0, 1, 1, 13, 2, 1, 10)], faults));
      expect(findings.duplicates).to.deep.include({ total: 1, kill: 1, pause: 0, term: 0, unattributed: 0 });
      expect(findings.perFault).to.deep.equal([{ duplicates: 1, zombies: 0 }]);
    });

    it('puts a redelivery after a graceful stop down to it, so that the invariant breaks', () => {
      const faults: FaultRecord[] = [{ kind: 'term', worker: 'w1-1', at: 5 }];
      const findings = analyse(input([delivered('w1-1', S0, 0, 0, 1, 1), delivered('w2-1', S0, 0, 0, 8, 2, 1, 6)], faults));
      expect(findings.duplicates).to.deep.include({ total: 1, term: 1 });
      expect(findings.duplicates.afterTermSample).to.deep.equal([{ eventId: 0, shardId: S0, workers: ['w1-1', 'w2-1'] }]);
      const broken = invariantsOf(findings, 'complete', []).filter((invariant) => !invariant.ok).map((invariant) => invariant.name);
      expect(broken).to.deep.equal(['no duplicates after graceful stops']);
    });

    it('does not blame a graceful stop that came after the redelivering tenure began', () => {
      // w1-1 delivered, was paused; w2-1 took the shard over at 10; w1-1 was stopped at 11.
      const faults: FaultRecord[] = [
        { kind: 'pause', worker: 'w1-1', at: 2 },
        { kind: 'term', worker: 'w1-1', at: 11 },
      ];
      const findings = analyse(input([delivered('w1-1', S0, 0, 0, 1, 1), delivered('w2-1', S0, 0, 0, 12, 2, 1, 10)], faults));
      expect(findings.duplicates).to.deep.include({ total: 1, pause: 1, term: 0 });
    });

    it('does not blame a graceful stop of a worker that never delivered the record', () => {
      // w1-1 delivered 0 and was killed; w2-1 redelivered 1 only and was stopped; w3-1 redelivered 0.
      const faults: FaultRecord[] = [
        { kind: 'kill', worker: 'w1-1', at: 3 },
        { kind: 'term', worker: 'w2-1', at: 9 },
      ];
      const deliveries = [delivered('w1-1', S0, 0, 0, 1, 1), delivered('w1-1', S0, 1, 1, 2, 1), delivered('w2-1', S0, 1, 1, 8, 2, 1, 7), delivered('w3-1', S0, 0, 0, 12, 3, 1, 10)];
      expect(analyse(input(deliveries, faults)).duplicates).to.deep.include({ total: 2, kill: 2, term: 0 });
    });

    it('leaves unattributed a redelivery no fault explains', () => {
      const findings = analyse(input([delivered('w1-1', S0, 0, 0, 1, 1), delivered('w2-1', S0, 0, 0, 8, 2, 1, 6)]));
      expect(findings.duplicates).to.deep.include({ total: 1, unattributed: 1 });
    });
  });

  describe('zombie deliveries', () => {
    it('are deliveries of a shard after another worker delivered it with a greater fencing token, put down to the pause', () => {
      const faults: FaultRecord[] = [{ kind: 'pause', worker: 'w1-1', at: 2 }];
      const deliveries = [
        delivered('w1-1', S0, 0, 0, 1, 4),
        delivered('w2-1', S0, 1, 1, 10, 6),
        // Resumed, w1-1 emits the record it had read before the pause: already delivered by w2-1, under token 6.
        delivered('w1-1', S0, 1, 1, 12, 4),
        delivered('w1-1', S0, 2, 2, 12.5, 4),
        // Its other shard nobody took: no zombie.
        delivered('w1-1', S1, 0, 9, 12.7, 3),
      ];
      const findings = analyse(input(deliveries, faults));
      expect(findings.zombies.count).to.equal(2);
      expect(findings.zombies.byWorker).to.deep.equal({ 'w1-1': 2 });
      expect(findings.zombies.sample[0]).to.deep.equal({ worker: 'w1-1', shardId: S0, eventId: 1, token: 4, newerWorker: 'w2-1', newerToken: 6, lateByMillis: 2 });
      expect(findings.duplicates).to.deep.include({ total: 1, pause: 1 });
      expect(findings.perFault).to.deep.equal([{ duplicates: 1, zombies: 2 }]);
      const broken = invariantsOf(findings, 'complete', []).filter((invariant) => !invariant.ok).map((invariant) => invariant.name);
      expect(broken).to.deep.equal(['no zombie deliveries']);
    });

    it('are not the deliveries of a worker that took the shard back under a newer token', () => {
      const deliveries = [delivered('w1-1', S0, 0, 0, 1, 4), delivered('w2-1', S0, 1, 1, 10, 6), delivered('w1-1', S0, 2, 2, 20, 8, 2, 19)];
      expect(analyse(input(deliveries)).zombies.count).to.equal(0);
    });
  });

  it('finds positions that do not increase within a tenure, but not across tenures', () => {
    const deliveries = [
      delivered('w1-1', S0, 0, 0, 1, 1),
      delivered('w1-1', S0, 2, 2, 2, 1),
      delivered('w1-1', S0, 1, 1, 3, 1),
      // A later tenure starts again from the checkpoint.
      delivered('w1-1', S0, 0, 0, 9, 5, 2, 8),
    ];
    const { order } = analyse(input(deliveries));
    expect(order).to.deep.include({ tenures: 2, violations: 1 });
    expect(order.sample).to.deep.equal([{ worker: 'w1-1', shardId: S0, tenure: 1, previous: '102/0', next: '101/0' }]);
  });

  it('checks each checkpoint against the last record delivered on its shard', () => {
    const deliveries = [delivered('w1-1', S0, 0, 0, 1, 1), delivered('w1-1', S0, 1, 1, 2, 1), delivered('w1-1', S1, 0, 5, 3, 1)];
    const produced = new Map([...producedOn(S0, 2), [5, { shardId: S1, sequenceNumber: '100' }]]);
    const findings = analyse({ ...input(deliveries, [], produced), leasesAfterStop: [lease(S0, '100'), lease(S1, '101', 'w1-1')] });
    expect(findings.checkpointsAfterStop).to.deep.equal([
      { shardId: S0, owner: null, checkpoint: '100/0', lastDelivered: '101/0', lastProduced: '101', ahead: false, behind: 1 },
      { shardId: S1, owner: 'w1-1', checkpoint: '101/0', lastDelivered: '100/0', lastProduced: '100', ahead: true, behind: 0 },
    ]);
    const broken = invariantsOf(findings, 'complete', []).filter((invariant) => !invariant.ok).map((invariant) => invariant.name);
    expect(broken).to.deep.equal(['checkpoints never past the last delivered record', 'checkpoints at the last delivered record after the final stop, leases released']);
  });

  it('exits 0 only when every invariant held, and 130 when interrupted', () => {
    const findings = analyse({ ...input([delivered('w1-1', S0, 0, 0, 1, 1)], [], producedOn(S0, 1)), leasesAfterStop: [lease(S0, '100')] });
    const report = (outcome: ChaosReport['outcome'], problems: string[] = []) => ({ outcome, invariants: invariantsOf(findings, outcome, problems) }) as unknown as ChaosReport;
    expect(report('complete').invariants.every((invariant) => invariant.ok)).to.equal(true);
    expect(exitCodeOf(report('complete'))).to.equal(0);
    expect(exitCodeOf(report('complete', ['w1-1 exited unexpectedly (exit code 1)']))).to.equal(1);
    expect(exitCodeOf(report('drain-timed-out'))).to.equal(1);
    expect(exitCodeOf(report('interrupted'))).to.equal(130);
  });
});

describe('chaos fault schedule (no emulator)', () => {
  const options = { seed: 42, workers: 4, durationMillis: 120_000, failoverTimeMillis: 4_000 };

  it('is the same for the same seed, and another for another seed', () => {
    expect(faultSchedule(options)).to.deep.equal(faultSchedule(options));
    expect(faultSchedule({ ...options, seed: 43 })).not.to.deep.equal(faultSchedule(options));
  });

  it('brings each kind of fault once in every three, while production lasts, with pauses past the failover time', () => {
    for (const seed of [1, 2, 3, 42, 4_294_967_295]) {
      const faults = faultSchedule({ ...options, seed });
      expect(faults.length).to.be.within(10, 20);
      for (let i = 0; i + 3 <= faults.length; i += 3) expect(faults.slice(i, i + 3).map((f) => f.kind).sort()).to.deep.equal(['kill', 'pause', 'term']);
      expect(faults[0]!.atMillis).to.equal(8_000);
      for (const fault of faults) {
        expect(fault.atMillis).to.be.below(options.durationMillis);
        expect(fault.slot).to.be.within(0, options.workers - 1);
        expect(fault.pauseMillis).to.be.within(6_000, 10_000);
        expect(fault.restartAfterMillis).to.be.within(500, 3_000);
      }
    }
  });
});

describe('chaos delivery logs (no emulator)', () => {
  let dir: string | undefined;
  afterEach(() => dir !== undefined && rmSync(dir, { recursive: true, force: true }));

  it('are read as they grow: a line is taken once it is finished, a line that is no delivery is counted', () => {
    dir = mkdtempSync(join(tmpdir(), 'chaos-logs-'));
    const first = delivered('w1-1', S0, 0, 0, 1, 1);
    const second = delivered('w1-1', S0, 1, 1, 2, 1);
    const line = formatDelivery(second);
    writeFileSync(deliveryLogPath(dir, 'w1-1'), formatDelivery(first) + line.slice(0, 20));
    writeFileSync(join(dir, 'w1-1.stderr'), 'not a log\n');
    const reader = new DeliveryLogReader(dir);
    expect(reader.read()).to.deep.equal([first]);
    expect(reader.unfinishedLines).to.equal(1);
    appendFileSync(deliveryLogPath(dir, 'w1-1'), `${line.slice(20)}{"torn\n`);
    expect(reader.read()).to.deep.equal([second]);
    expect(reader.read()).to.deep.equal([]);
    expect(reader.malformedLines).to.equal(1);
    expect(reader.unfinishedLines).to.equal(0);
  });
});
