/**
 * consumerEnvironment must use the ports it is handed (releasing nothing of theirs), each call
 * bounded by the call timeouts on the subscription's scheduler, default the scheduler to the
 * monotonic one, and report diagnostics to onDiagnostic and failures to the logger: a loss each
 * time, user records delivered from outside their shard once per shard.
 */
import { expect } from 'chai';
import { VirtualTimeScheduler, lastValueFrom } from 'rxjs';
import * as sinon from 'sinon';
import { consumerEnvironment } from '../../lib/consumer/consumer-deps';
import { monotonicScheduler } from '../../lib/consumer/monotonic-scheduler';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import { LeaseStoreError, LeaseStoreThrottledError } from '../../lib/model/errors';
import type { CallTimeouts } from '../../lib/ports/bounded-calls';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { STREAM, TABLE, testConf } from './support/consumer-fleet';

const TIMEOUTS: CallTimeouts = { requestMillis: 100, readMillis: 1000, setUpMillis: 5000 };

describe('consumerEnvironment', () => {
  it('calls the ports it is handed, each call bounded on the scheduler handed in', async () => {
    const scheduler = new VirtualTimeScheduler();
    const kinesis = new InMemoryKinesis({ scheduler, streams: { [STREAM]: 2 } });
    const leases = new InMemoryLeaseStore({ scheduler, tables: [TABLE] });
    const env = consumerEnvironment(testConf('a'), { kinesis, leases, scheduler }, TIMEOUTS);
    expect(env.scheduler).to.equal(scheduler);
    const shards = lastValueFrom(env.kinesis.listShards(STREAM));
    scheduler.flush();
    expect(await shards).to.have.length(2);
    expect(kinesis.calls.listShards).to.equal(1);

    leases.faults.add({ operation: 'listLeases', fault: 'hang', times: 1 });
    const scan = lastValueFrom(env.leases.listLeases(TABLE)).catch((error: unknown) => error);
    scheduler.flush();
    expect(await scan).to.be.instanceOf(LeaseStoreError).and.include({ code: 'TimedOut' });
    expect(scheduler.now()).to.equal(TIMEOUTS.requestMillis);
    env.release();
  });

  it('runs on the monotonic scheduler unless one is handed in', () => {
    const env = consumerEnvironment(testConf('a'), { kinesis: new InMemoryKinesis(), leases: new InMemoryLeaseStore() }, TIMEOUTS);
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
    }, TIMEOUTS);
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

  it('warns of every aggregate dropped, and once per shard of user records delivered from outside its range', () => {
    const warn = sinon.spy();
    const seen: string[] = [];
    const env = consumerEnvironment(testConf('a'), { kinesis: new InMemoryKinesis(), leases: new InMemoryLeaseStore(), logger: { warn }, onDiagnostic: (d) => seen.push(d._tag) }, TIMEOUTS);
    const outOfRange = (shardId: string, sequenceNumber: string, outcome: 'delivered' | 'dropped') =>
      ({ _tag: 'AggregateOutOfRange', shardId, sequenceNumber, subSequenceNumber: 1, hashKey: 7n, outOfRange: 3, userRecords: 5, outcome }) as const;
    const unreadable = (shardId: string, sequenceNumber: string) =>
      ({ _tag: 'UnreadableExplicitHashKey', shardId, sequenceNumber, subSequenceNumber: 0, explicitHashKey: 'x'.repeat(100), userRecords: 1 }) as const;
    for (const sequenceNumber of ['1', '2', '3']) {
      env.report(outOfRange('s0', sequenceNumber, 'delivered'));
      env.report(outOfRange('s1', sequenceNumber, 'delivered'));
      env.report(unreadable('s0', sequenceNumber));
      env.report(outOfRange('s2', sequenceNumber, 'dropped'));
    }
    expect(seen, 'every one reported').to.have.length(12);
    const logged = warn.getCalls().map((call) => [(call.args[0] as string).split(' ')[0], (call.args[1] as { shardId: string }).shardId, (call.args[1] as { sequenceNumber: string }).sequenceNumber]);
    expect(logged).to.deep.equal([
      ['delivering', 's0', '1'],
      ['delivering', 's1', '1'],
      ['delivering', 's0', '1'],
      ['dropped', 's2', '1'],
      ['dropped', 's2', '2'],
      ['dropped', 's2', '3'],
    ]);
    expect(warn.getCall(0).args[1]).to.deep.equal({ shardId: 's0', sequenceNumber: '1', outOfRange: 3, userRecords: 5 });
    expect(warn.getCall(2).args[0]).to.match(/explicit hash key/);
    expect(warn.getCall(2).args[1]).to.deep.equal({ shardId: 's0', sequenceNumber: '1', explicitHashKey: 'x'.repeat(64) });
    expect(warn.getCall(3).args[0]).to.match(/dropped an aggregate with user records outside the shard's hash-key range/);

    // Once per shard and subscription: another subscription logs again.
    const again = sinon.spy();
    consumerEnvironment(testConf('a'), { kinesis: new InMemoryKinesis(), leases: new InMemoryLeaseStore(), logger: { warn: again } }, TIMEOUTS).report(outOfRange('s0', '4', 'delivered'));
    expect(again.callCount).to.equal(1);
  });
});
