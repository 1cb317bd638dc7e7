/**
 * `npm run chaos`, short: three workers on their own emulators, 3,000 events over 30 s, and on
 * seed 3 a graceful stop, a kill, a pause past the failover time and another graceful stop. Every
 * invariant of the report must hold, and no worker process may be left behind.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOutputOf, runScript } from '../support/run-script';
import type { ChaosReport } from './chaos-report';

const EVENTS = 3_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run chaos (short)', function () {
  // Emulators and workers start in the run (10-20 s), 30 s of faults, then the drain and the stops.
  this.timeout(240_000);
  let logDir: string | undefined;

  afterEach(() => logDir !== undefined && rmSync(logDir, { recursive: true, force: true }));

  it('kills, pauses and stops workers on a seed; every invariant holds and no process is left', async () => {
    logDir = mkdtempSync(join(tmpdir(), 'chaos-test-'));
    const args = ['--seed', '3', '--events', String(EVENTS), '--duration-seconds', '30', '--workers', '3', '--failover-ms', '3000', '--drain-timeout-seconds', '60'];
    const run = await runScript('integration/chaos/main.ts', [...args, '--json', '--log-dir', logDir]);
    const report = jsonOutputOf<ChaosReport>(run);
    const { findings } = report;

    const broken = report.invariants.filter((invariant) => !invariant.ok).map((invariant) => `${invariant.name}: ${invariant.detail}`);
    expect(broken, `seed ${report.seed}; problems: ${report.problems.join('; ')}`).to.deep.equal([]);
    expect(run.code).to.equal(0);
    expect(report.outcome).to.equal('complete');
    expect(report.faults.map((fault) => fault.kind)).to.include.members(['kill', 'pause', 'term']);
    expect(findings.produced + report.sendFailed).to.equal(EVENTS);
    expect(findings.produced).to.be.greaterThan(0);
    expect(findings.lost, 'lost').to.equal(0);
    expect(findings.order.violations, 'out of order within a tenure').to.equal(0);
    expect(findings.zombies.count, 'zombie deliveries').to.equal(0);
    expect(findings.duplicates.term, 'duplicates after a graceful stop').to.equal(0);
    expect(findings.checkpointsAfterStop?.length).to.equal(8);
    expect(findings.checkpointsAfterStop?.every((c) => !c.ahead && c.behind === 0 && c.owner === null)).to.equal(true);
    // Restarted after the kill and the graceful stops: more processes than slots, none of them left.
    expect(report.workerPids.length).to.be.greaterThan(3);
    expect(report.workerPids.filter(alive), 'worker processes left').to.deep.equal([]);
  });
});
