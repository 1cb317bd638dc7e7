/**
 * The demo end to end, as `npm start` runs it (its own emulators) and as the command line runs it
 * against given endpoints, with a worker killed halfway: exit code 0 and nothing lost.
 */
import { expect } from 'chai';
import type { DemoReport } from '../../lib/cli/demo/report';
import { TEST_CREDENTIALS, TEST_REGION, dynalite, kinesisLocal } from '../support/emulators';
import { jsonOutputOf, runScript, type Finished } from '../support/run-script';

const reportOf = (run: Finished): DemoReport => jsonOutputOf<DemoReport>(run);

/** What every successful run shows. */
function expectNothingLost(report: DemoReport, events: number): void {
  expect(report.outcome).to.equal('complete');
  expect(report.problems).to.deep.equal([]);
  expect(report.consumption).to.deep.include({ events, sent: events, sendFailed: 0, distinct: events, lost: 0, unexpected: 0 });
  expect(report.consumption.deliveries).to.equal(events + report.consumption.duplicates);
  // After the graceful stop every lease is released with its checkpoint at its shard's last record.
  expect(report.leasesAfterStop?.owners).to.deep.equal({ '(none)': report.shards });
  expect(report.leasesAfterStop?.atLastRecord).to.equal(report.leasesAfterStop?.shardsWithRecords);
}

describe('reactive-kinesis demo', function () {
  this.timeout(60_000);

  it('npm start: on its own emulators, two workers consume every event and the demo exits 0', async () => {
    const run = await runScript('localstack/start.ts', ['--events', '2000', '--json', '--timeout-seconds', '45'], {
      AWS_ENDPOINT_URL: '',
      AWS_ENDPOINT_URL_KINESIS: '',
      AWS_ENDPOINT_URL_DYNAMODB: '',
    });
    expect(run.code, run.stderr).to.equal(0);
    const report = reportOf(run);
    expectNothingLost(report, 2000);
    expect(report.consumption.duplicates, 'no failover, no redelivery').to.equal(0);
    expect(report.workers).to.deep.equal(['w1', 'w2']);
    expect(report.leasesAtEnd, 'the shards spread over both workers').to.deep.equal({ w1: 2, w2: 2 });
    expect(Object.values(report.consumption.byWorker).every((n) => n > 0), 'both workers consumed').to.equal(true);
    expect(run.stderr).to.match(/kinesis-local \(Kinesis\) on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stderr).to.match(/^\[ *\d+\.\d s\] produced 2,000\/2,000/m);
  });

  it('--kill-worker: a worker killed with SIGKILL halfway loses nothing; the survivor takes its shards after the failover', async () => {
    const [kl, dl] = await Promise.all([kinesisLocal(), dynalite()]);
    const run = await runScript(
      'lib/cli/main.ts',
      ['demo', '--events', '2000', '--kill-worker', '--failover-ms', '2000', '--json', '--timeout-seconds', '45', '--endpoint-kinesis', kl.endpoint, '--endpoint-dynamodb', dl.endpoint, '--region', TEST_REGION],
      { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
    );
    expect(run.code, run.stderr).to.equal(0);
    const report = reportOf(run);
    expectNothingLost(report, 2000);
    const kill = report.kill!;
    expect(kill, 'a worker was killed').to.not.equal(undefined);
    expect(kill.atConsumed).to.be.at.least(1000);
    expect(kill.shards.length, 'it held shards').to.be.greaterThan(0);
    expect(kill.failoverMillis, 'its shards were taken over').to.be.a('number');
    const survivor = report.workers.find((w) => w !== kill.workerId)!;
    expect(report.leasesAtEnd).to.deep.equal({ [survivor]: 4 });
    expect(run.stderr).to.include(`killed ${kill.workerId} with SIGKILL`);
  });

  it('npm start with a bad flag explains it and exits 2 without starting anything', async () => {
    const run = await runScript('localstack/start.ts', ['--events', 'many']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('reactive-kinesis demo: --events must be a whole number from 1 to 10000000, got "many"');
    expect(run.stderr).not.to.include('kinesis-local');
  });
});
