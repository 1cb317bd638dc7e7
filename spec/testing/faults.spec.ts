import { expect } from 'chai';
import { retry, timeout, TimeoutError, VirtualTimeScheduler } from 'rxjs';
import {
  ExpiredIteratorError,
  KinesisCallError,
  KinesisThrottledError,
  LeaseStoreError,
  LeaseStoreThrottledError,
} from '../../lib/model/errors';
import type { PutRecordsEntry, PutRecordsResultEntry } from '../../lib/ports/kinesis-port';
import type { KinesisFaultRule } from '../../lib/testing/faults';
import { InMemoryKinesis } from '../../lib/testing/in-memory-kinesis';
import { InMemoryLeaseStore } from '../../lib/testing/in-memory-lease-store';
import { errorOf, settle, valueOf } from './virtual-time';

const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';
const entries = (n: number): PutRecordsEntry[] =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: `k${i}`, data: new Uint8Array([i % 256]) }));
const tags = (results: readonly PutRecordsResultEntry[]): string => results.map((r) => (r._tag === 'Put' ? '.' : 'x')).join('');

// prettier-ignore
describe('fault injection', () => {
  let scheduler: VirtualTimeScheduler;
  let kinesis: InMemoryKinesis;
  let trimHorizon: string;

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    kinesis = new InMemoryKinesis({ scheduler, streams: { s: 2 } });
    kinesis.appendRecords('s', entries(4));
    trimHorizon = valueOf(scheduler, kinesis.getShardIterator('s', SHARD0, { type: 'TRIM_HORIZON' }));
  });

  describe('must fire rules', () => {
    it('for the next N calls, then retire', () => {
      kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', times: 2 });
      for (let i = 0; i < 2; i += 1) {
        const error = errorOf(scheduler, kinesis.getRecords(trimHorizon, 10));
        expect(error).to.be.instanceOf(KinesisThrottledError);
        expect(error).to.deep.include({ code: 'ProvisionedThroughputExceededException', operation: 'GetRecords', retryable: true });
      }
      expect(settle(scheduler, kinesis.getRecords(trimHorizon, 10)).completed).to.equal(true);
      expect(kinesis.faults.rules).to.deep.equal([]);
    });

    it('so that a retried cold call succeeds once the faults are spent', () => {
      kinesis.faults.add({ operation: 'getRecords', fault: 'transient', times: 2 });
      const page = valueOf(scheduler, kinesis.getRecords(trimHorizon, 10).pipe(retry(2)));
      expect(page.records.length).to.be.greaterThan(0);
      expect(kinesis.calls.getRecords).to.equal(3);
    });

    it('only for calls the predicate accepts, leaving the others alone', () => {
      const other = valueOf(scheduler, kinesis.getShardIterator('s', SHARD1, { type: 'TRIM_HORIZON' }));
      kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', when: (call) => call.shardId === SHARD1, times: 1 });
      expect(settle(scheduler, kinesis.getRecords(trimHorizon, 10)).completed, 'shard 0 untouched').to.equal(true);
      expect(errorOf(scheduler, kinesis.getRecords(other, 10))).to.be.instanceOf(KinesisThrottledError);
      expect(settle(scheduler, kinesis.getRecords(other, 10)).completed, 'times counted only on matches').to.equal(true);
    });

    it('with a probability, repeatably for a seed', () => {
      const pattern = (seed: number): string => {
        const fake = new InMemoryKinesis({ scheduler, streams: { s: 1 }, faults: { seed, rules: [{ operation: 'listShards', fault: 'throttle', probability: 0.5 }] } });
        return Array.from({ length: 40 }, () => (settle(scheduler, fake.listShards('s')).error === undefined ? '.' : 'x')).join('');
      };
      expect(pattern(7)).to.equal(pattern(7));
      expect(pattern(7)).not.to.equal(pattern(8));
      expect(pattern(7)).to.match(/x/).and.to.match(/\./);
    });

    it('in the order they were added, the first that fires winning', () => {
      kinesis.faults
        .add({ operation: 'listShards', fault: 'transient', times: 1 })
        .add({ operation: 'listShards', fault: 'throttle', times: 1 });
      expect((errorOf(scheduler, kinesis.listShards('s')) as KinesisCallError).code).to.equal('InternalFailure');
      expect(errorOf(scheduler, kinesis.listShards('s'))).to.be.instanceOf(KinesisThrottledError);
      expect(settle(scheduler, kinesis.listShards('s')).completed).to.equal(true);
    });

    it('until cleared', () => {
      kinesis.faults.add({ operation: 'listShards', fault: 'throttle' });
      for (let i = 0; i < 3; i += 1) expect(errorOf(scheduler, kinesis.listShards('s'))).to.be.instanceOf(KinesisThrottledError);
      kinesis.faults.clear();
      expect(settle(scheduler, kinesis.listShards('s')).completed).to.equal(true);
    });

    it('from the options', () => {
      const fake = new InMemoryKinesis({ scheduler, streams: { s: 1 }, faults: { rules: [{ operation: 'createStream', fault: 'throttle' }] } });
      const error = errorOf(scheduler, fake.createStream('t', 1));
      expect(error).to.be.instanceOf(KinesisThrottledError);
      expect((error as KinesisCallError).code, 'control plane').to.equal('LimitExceededException');
    });

    it('refusing rules that cannot apply', () => {
      const bad = (rule: unknown): (() => unknown) => () => kinesis.faults.add(rule as KinesisFaultRule);
      expect(bad({ operation: 'describeStream', fault: 'throttle' })).to.throw(TypeError, /unknown operation/);
      expect(bad({ operation: 'putRecords', fault: 'expiredIterator' })).to.throw(TypeError, /does not apply/);
      expect(bad({ operation: 'putRecordsEntry', fault: 'hang' })).to.throw(TypeError, /does not apply/);
      expect(bad({ operation: 'getRecords', fault: 'throttle', times: 0 })).to.throw(TypeError, /times/);
      expect(bad({ operation: 'getRecords', fault: 'throttle', probability: 1.5 })).to.throw(TypeError, /probability/);
    });
  });

  describe('must inject into Kinesis calls', () => {
    it('transient errors that change nothing', () => {
      kinesis.faults.add({ operation: 'putRecords', fault: 'transient', times: 1 });
      const error = errorOf(scheduler, kinesis.putRecords('s', entries(1)));
      expect(error).to.be.instanceOf(KinesisCallError).and.not.to.be.instanceOf(KinesisThrottledError);
      expect(error).to.deep.include({ code: 'InternalFailure', retryable: true });
      expect(kinesis.allRecords('s')).to.have.length(4);
    });

    it('lost responses: the write happens but the caller sees a retryable error', () => {
      kinesis.faults.add({ operation: 'putRecords', fault: 'lostResponse', times: 1 });
      const error = errorOf(scheduler, kinesis.putRecords('s', entries(1)));
      expect(error).to.deep.include({ retryable: true });
      expect(kinesis.allRecords('s')).to.have.length(5);
    });

    it('expired iterators', () => {
      kinesis.faults.add({ operation: 'getRecords', fault: 'expiredIterator', times: 1 });
      const error = errorOf(scheduler, kinesis.getRecords(trimHorizon, 10));
      expect(error).to.be.instanceOf(ExpiredIteratorError);
      expect(error).to.deep.include({ code: 'ExpiredIteratorException', retryable: true });
    });

    it('hangs that never answer and change nothing', () => {
      kinesis.faults.add({ operation: 'putRecords', fault: 'hang', times: 1 });
      const hung = settle(scheduler, kinesis.putRecords('s', entries(1)));
      expect(hung).to.deep.equal({ values: [], error: undefined, completed: false });
      const timedOut = settle(scheduler, kinesis.putRecords('s', entries(1)).pipe(timeout({ first: 1000, scheduler })));
      expect(timedOut.completed, 'the rule was spent').to.equal(true);
      kinesis.faults.add({ operation: 'putRecords', fault: 'hang' });
      const start = scheduler.now();
      const error = settle(scheduler, kinesis.putRecords('s', entries(1)).pipe(timeout({ first: 1000, scheduler })));
      expect(error.error).to.be.instanceOf(TimeoutError);
      expect(error.at).to.equal(start + 1000);
      expect(kinesis.allRecords('s')).to.have.length(5);
    });
  });

  describe('must fail PutRecords entries', () => {
    it('with ProvisionedThroughputExceededException for about the given fraction, repeatably', () => {
      const run = (seed: number): { pattern: string; stored: number } => {
        const fake = new InMemoryKinesis({ scheduler, streams: { s: 4 }, faults: { seed } });
        fake.faults.add({ operation: 'putRecordsEntry', fault: 'throttle', probability: 0.3 });
        const results = [0, 1].flatMap(() => valueOf(scheduler, fake.putRecords('s', entries(500))));
        for (const r of results) {
          if (r._tag === 'Failed') expect(r.errorCode).to.equal('ProvisionedThroughputExceededException');
        }
        return { pattern: tags(results), stored: fake.allRecords('s').length };
      };
      const first = run(42);
      const failed = first.pattern.split('').filter((c) => c === 'x').length;
      expect(failed / 1000).to.be.within(0.25, 0.35);
      expect(first.stored, 'failed entries are not written').to.equal(1000 - failed);
      expect(run(42).pattern).to.equal(first.pattern);
    });

    it('on the shards a predicate picks, with InternalFailure when asked', () => {
      kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'internalFailure', when: (e) => e.shardId === SHARD1 });
      const results = valueOf(scheduler, kinesis.putRecords('s', [
        { partitionKey: 'a', data: new Uint8Array(1), explicitHashKey: '0' },
        { partitionKey: 'b', data: new Uint8Array(1), explicitHashKey: String(2n ** 128n - 1n) },
      ]));
      expect(results[0]).to.deep.include({ _tag: 'Put', shardId: SHARD0 });
      expect(results[1]).to.deep.include({ _tag: 'Failed', errorCode: 'InternalFailure' });
    });

    it('and a throttled call fails whole, with no entries written', () => {
      kinesis.faults.add({ operation: 'putRecords', fault: 'throttle', times: 1 });
      const error = errorOf(scheduler, kinesis.putRecords('s', entries(3)));
      expect(error).to.be.instanceOf(KinesisThrottledError);
      expect(kinesis.allRecords('s')).to.have.length(4);
    });
  });

  describe('must inject into lease-store calls', () => {
    let leases: InMemoryLeaseStore;
    const lease = { leaseKey: SHARD0, leaseCounter: 0, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] };

    beforeEach(() => {
      leases = new InMemoryLeaseStore({ scheduler, tables: ['app-s'], faults: { seed: 3 } });
      leases.putLease('app-s', lease);
    });

    it('throttling', () => {
      leases.faults.add({ operation: 'updateLease', fault: 'throttle', times: 1 });
      const error = errorOf(scheduler, leases.updateLease('app-s', SHARD0, { expectedCounter: 0 }));
      expect(error).to.be.instanceOf(LeaseStoreThrottledError);
      expect(error).to.deep.include({ operation: 'UpdateItem', code: 'ProvisionedThroughputExceededException', retryable: true });
      expect(leases.lease('app-s', SHARD0)?.leaseCounter).to.equal(0);
    });

    it('transient errors', () => {
      leases.faults.add({ operation: 'listLeases', fault: 'transient', times: 1 });
      const error = errorOf(scheduler, leases.listLeases('app-s'));
      expect(error).to.be.instanceOf(LeaseStoreError).and.not.to.be.instanceOf(LeaseStoreThrottledError);
      expect(error).to.deep.include({ retryable: true });
    });

    it('lost responses of applied writes, whose retry by the client meets a failed condition', () => {
      leases.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      const update = leases.updateLease('app-s', SHARD0, { expectedCounter: 0, set: { leaseOwner: 'me' } });
      expect(valueOf(scheduler, update)).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
      expect(leases.lease('app-s', SHARD0)).to.deep.include({ leaseCounter: 1, leaseOwner: 'me' });
    });

    it('lost responses of applied writes as retryable errors, for a client that does not retry', () => {
      const once = new InMemoryLeaseStore({ scheduler, tables: ['app-s'], maxAttempts: 1 });
      once.putLease('app-s', lease);
      once.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      const update = once.updateLease('app-s', SHARD0, { expectedCounter: 0, set: { leaseOwner: 'me' } });
      expect(errorOf(scheduler, update)).to.be.instanceOf(LeaseStoreError).and.deep.include({ code: 'ECONNRESET', retryable: true });
      expect(once.lease('app-s', SHARD0)).to.deep.include({ leaseCounter: 1, leaseOwner: 'me' });
      expect(valueOf(scheduler, update)).to.deep.equal({ _tag: 'ConditionFailed' });
    });

    it('hangs, for calls the predicate picks', () => {
      leases.faults.add({ operation: 'getLease', fault: 'hang', when: (call) => call.leaseKey === 'other' });
      expect(settle(scheduler, leases.getLease('app-s', 'other'))).to.deep.equal({ values: [], error: undefined, completed: false });
      expect(valueOf(scheduler, leases.getLease('app-s', SHARD0))?.leaseKey).to.equal(SHARD0);
    });

    it('refusing Kinesis-only faults', () => {
      expect(() => leases.faults.add({ operation: 'getLease', fault: 'expiredIterator' } as never)).to.throw(TypeError, /does not apply/);
    });
  });
});
