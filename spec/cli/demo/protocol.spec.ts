import { expect } from 'chai';
import { decodeWorkerSetup, isDemoMessage, isWorkerMessage } from '../../../lib/cli/demo/protocol';
import { UsageError } from '../../../lib/cli/flags';

describe('cli/demo/protocol', () => {
  it('recognises well-formed worker messages', () => {
    for (const message of [
      { type: 'started' },
      { type: 'acquired', shardId: 's', at: 1 },
      { type: 'ended', shardId: 's', at: 1 },
      { type: 'consumed', runs: [0, 5], foreign: 0, caughtUp: ['s'] },
      { type: 'failed', message: 'boom' },
    ]) {
      expect(isWorkerMessage(message), JSON.stringify(message)).to.equal(true);
    }
  });

  it('refuses anything else', () => {
    for (const message of [
      null,
      'started',
      { type: 'unknown' },
      { type: 'acquired', shardId: 's' },
      { type: 'ended', shardId: 1, at: 1 },
      { type: 'consumed', runs: ['0'], foreign: 0, caughtUp: [] },
      { type: 'consumed', runs: [], foreign: 0 },
      { type: 'failed' },
    ]) {
      expect(isWorkerMessage(message), JSON.stringify(message)).to.equal(false);
    }
    expect(isDemoMessage({ type: 'stop' })).to.equal(true);
    expect(isDemoMessage({ type: 'go' })).to.equal(false);
    expect(isDemoMessage([{ type: 'stop' }, null])).to.equal(false);
  });

  describe('decodeWorkerSetup', () => {
    const setup = { workerId: 'w1', streamName: 's', tableName: 't', failoverTimeMillis: 3000, aws: { region: 'us-east-1' } };

    it('reads a setup, with or without fan-out', () => {
      expect(decodeWorkerSetup(JSON.stringify(setup))).to.deep.equal(setup);
      expect(decodeWorkerSetup(JSON.stringify({ ...setup, fanOut: true }))).to.deep.equal({ ...setup, fanOut: true });
    });

    it('lists every problem of a bad setup', () => {
      expect(() => decodeWorkerSetup('{')).to.throw(UsageError, /^the worker setup is not JSON/);
      expect(() => decodeWorkerSetup(JSON.stringify({ ...setup, workerId: '', failoverTimeMillis: 0, aws: { region: 1 } }))).to.throw(
        UsageError,
        'bad worker setup: workerId must be a non-empty string; failoverTimeMillis must be a positive integer; aws.region must be a string',
      );
      expect(() => decodeWorkerSetup('[]')).to.throw(UsageError, /^bad worker setup: not an object; workerId/);
      expect(() => decodeWorkerSetup(JSON.stringify({ ...setup, fanOut: 'yes' }))).to.throw(UsageError, 'bad worker setup: fanOut must be a boolean');
    });
  });
});
