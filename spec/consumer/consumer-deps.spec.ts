/**
 * consumerEnvironment must use the ports it is handed as they are (releasing nothing of theirs),
 * default the scheduler to the monotonic one, and report diagnostics to onDiagnostic and failures to the logger.
 */
import { expect } from 'chai';
import * as sinon from 'sinon';
import { consumerEnvironment } from '../../lib/consumer/consumer-deps';
import { monotonicScheduler } from '../../lib/consumer/monotonic-scheduler';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import { LeaseStoreThrottledError } from '../../lib/model/errors';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { testConf } from './support/consumer-fleet';

describe('consumerEnvironment', () => {
  it('uses the ports it is handed, and the monotonic scheduler by default', () => {
    const kinesis = new InMemoryKinesis();
    const leases = new InMemoryLeaseStore();
    const env = consumerEnvironment(testConf('a'), { kinesis, leases });
    expect(env.kinesis).to.equal(kinesis);
    expect(env.leases).to.equal(leases);
    expect(env.scheduler).to.equal(monotonicScheduler);
    env.release();
  });

  it('reports every diagnostic to onDiagnostic and the failures to the logger', () => {
    const warn = sinon.spy();
    const seen: string[] = [];
    const env = consumerEnvironment(testConf('a'), {
      kinesis: new InMemoryKinesis(),
      leases: new InMemoryLeaseStore(),
      logger: { warn },
      onDiagnostic: (d) => seen.push(d._tag),
    });
    const error = new Error('boom');
    env.report({ _tag: 'Polled', shardId: 's', records: 3, millisBehindLatest: 0 });
    env.report({ _tag: 'ShardFailed', shardId: 's', error });
    env.report({ _tag: 'ReleaseFailed', shardId: 's', error });
    env.report({ _tag: 'Checkpoint', shardId: 's', outcome: { _tag: 'Checkpointed', position: new CompoundSequenceNumber('1') } });
    env.report({
      _tag: 'Checkpoint',
      shardId: 's',
      outcome: { _tag: 'CheckpointFailed', position: new CompoundSequenceNumber('2'), error: new LeaseStoreThrottledError('UpdateItem', 'ProvisionedThroughputExceededException', 'slow down') },
    });
    env.report({ _tag: 'SubscriptionSilent', shardId: 's', silentMillis: 60_000 });
    expect(seen).to.deep.equal(['Polled', 'ShardFailed', 'ReleaseFailed', 'Checkpoint', 'Checkpoint', 'SubscriptionSilent']);
    expect(warn.callCount).to.equal(4);
    expect(warn.lastCall.args).to.deep.equal(['enhanced fan-out subscription silent; resubscribing from the last continuation', { shardId: 's', silentMillis: 60_000 }]);
    expect(warn.firstCall.args[1]).to.deep.equal({ shardId: 's', error });
    expect(warn.thirdCall.args[1]).to.include({ shardId: 's', position: '2/0' });
  });
});
