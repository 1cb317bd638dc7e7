import { expect } from 'chai';
import { DEMO_DEFAULTS, DEMO_FLAGS, demoOptionsOf } from '../../../lib/cli/demo/demo-options';
import { UsageError, parseFlags } from '../../../lib/cli/flags';

const optionsOf = (...args: string[]) => demoOptionsOf(parseFlags('demo', args, DEMO_FLAGS));

describe('cli/demo/demo-options', () => {
  it('defaults: 100,000 events, 4 shards, 2 workers, a 3 s failover, no kill, polling', () => {
    expect(optionsOf()).to.deep.equal({
      events: 100_000,
      shards: 4,
      workers: 2,
      killWorker: false,
      fanOut: false,
      failoverTimeMillis: 3_000,
      timeoutMillis: DEMO_DEFAULTS.timeoutSeconds * 1000,
      keep: false,
      json: false,
      aws: {},
    });
  });

  it('reads every flag', () => {
    const options = optionsOf(
      '--events', '2_000', '--shards', '2', '--workers', '3', '--kill-worker', '--fan-out', '--failover-ms', '1500',
      '--timeout-seconds', '60', '--keep', '--json', '--endpoint-kinesis', 'http://127.0.0.1:1', '--region', 'us-east-1',
    );
    expect(options).to.deep.equal({
      events: 2_000,
      shards: 2,
      workers: 3,
      killWorker: true,
      fanOut: true,
      failoverTimeMillis: 1_500,
      timeoutMillis: 60_000,
      keep: true,
      json: true,
      aws: { kinesisEndpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
    });
  });

  it('refuses values out of range, naming the range', () => {
    expect(() => optionsOf('--events', '0')).to.throw(UsageError, '--events must be a whole number from 1 to 10000000, got "0"');
    expect(() => optionsOf('--shards', '65')).to.throw(UsageError, '--shards must be a whole number from 1 to 64');
    expect(() => optionsOf('--workers', '0')).to.throw(UsageError, '--workers must be a whole number from 1 to 16');
    expect(() => optionsOf('--failover-ms', '100')).to.throw(UsageError, '--failover-ms must be a whole number from 500 to 600000');
    expect(() => optionsOf('--timeout-seconds', '1')).to.throw(UsageError, '--timeout-seconds must be a whole number from 5 to 86400');
  });

  it('refuses --kill-worker with a single worker, and positional arguments', () => {
    expect(() => optionsOf('--kill-worker', '--workers', '1')).to.throw(UsageError, '--kill-worker needs at least 2 workers to fail over to');
    expect(() => optionsOf('now')).to.throw(UsageError, 'unexpected argument: now');
  });
});
