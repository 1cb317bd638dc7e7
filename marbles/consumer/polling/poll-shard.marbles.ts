import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { pollShard, pollShardThrough, type PollEvent, type PollShardOptions } from '../../../lib/consumer/polling/poll-shard';
import { ExpiredIteratorError, KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../../lib/model/errors';
import type { GetRecordsOutput } from '../../../lib/ports/kinesis-port';
import { kinesisRecord, scriptedKinesis } from '../scripted-kinesis';

// prettier-ignore
describe('pollShard (marbles)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const options = (overrides: Partial<PollShardOptions> = {}): PollShardOptions => ({
    streamName: 's',
    shardId: 'shardId-000000000000',
    start: { type: 'TRIM_HORIZON' },
    maxRecords: 100,
    idleTimeBetweenReadsMillis: 10,
    backoff: { initialMillis: 4, maxMillis: 10, maxRetries: 2 },
    scheduler: testScheduler,
    ...overrides,
  });
  const r1 = kinesisRecord('100');
  const r2 = kinesisRecord('200');
  const page = (records: GetRecordsOutput['records'], next: string | undefined, millisBehindLatest = 0): GetRecordsOutput =>
    next === undefined ? { records, millisBehindLatest, childShards: [] } : { records, nextShardIterator: next, millisBehindLatest };
  const records = (p: GetRecordsOutput) => ({ _tag: 'Records', records: p.records, millisBehindLatest: p.millisBehindLatest ?? 0 });

  it('waits idleTimeBetweenReads after each page, then ends at a page without a next iterator', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = page([r1], 'it-1', 500);
      const p2 = page([], 'it-2');
      const p3 = page([r2], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--(p|)', { p: p1 }), cold('--(p|)', { p: p2 }), cold('--(p|)', { p: p3 })],
      });
      const expected = '---a 11ms b 11ms (cd|)';
      expectObservable(pollShard(kinesis, options())).toBe(expected, {
        a: records(p1),
        b: records(p2),
        c: records(p3),
        d: { _tag: 'ShardEnd', childShards: [] },
      });
      testScheduler.flush();
      expect(calls).to.deep.equal([
        't=0 getShardIterator TRIM_HORIZON',
        't=1 getRecords it-0 100',
        't=13 getRecords it-1 100',
        't=25 getRecords it-2 100',
      ]);
    });
  });

  it('backs off exponentially on throttling and retries with the same iterator, for as long as it lasts', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const throttled = new KinesisThrottledError('GetRecords', 'ProvisionedThroughputExceededException', 'slow down');
      const p1 = page([r1], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        // Three throttles: more than maxRetries (2), which bounds only other failures.
        pages: [cold('--#', {}, throttled), cold('--#', {}, throttled), cold('--#', {}, throttled), cold('--(p|)', { p: p1 })],
      });
      // Calls at 1, 3+4=7, 9+8=17, 19+10 (cap)=29; the page arrives at 31.
      expectObservable(pollShard(kinesis, options())).toBe('31ms (ab|)', { a: records(p1), b: { _tag: 'ShardEnd', childShards: [] } });
      testScheduler.flush();
      expect(calls).to.deep.equal([
        't=0 getShardIterator TRIM_HORIZON',
        't=1 getRecords it-0 100',
        't=7 getRecords it-0 100',
        't=17 getRecords it-0 100',
        't=29 getRecords it-0 100',
      ]);
    });
  });

  it('replaces an expired iterator at once, AFTER_SEQUENCE_NUMBER of the last record delivered', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const expired = new ExpiredIteratorError('GetRecords', 'Iterator expired');
      const p1 = page([r1, r2], 'it-1');
      const p2 = page([], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' }), cold('-(i|)', { i: 'it-fresh' })],
        pages: [cold('--(p|)', { p: p1 }), cold('--#', {}, expired), cold('--(p|)', { p: p2 })],
      });
      expectObservable(pollShard(kinesis, options())).toBe('---a 14ms (bc|)', { a: records(p1), b: records(p2), c: { _tag: 'ShardEnd', childShards: [] } });
      testScheduler.flush();
      expect(calls).to.deep.equal([
        't=0 getShardIterator TRIM_HORIZON',
        't=1 getRecords it-0 100',
        't=13 getRecords it-1 100',
        't=15 getShardIterator AFTER_SEQUENCE_NUMBER 200',
        't=16 getRecords it-fresh 100',
      ]);
    });
  });

  it('replaces an iterator that expires before anything was delivered at the starting position', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const expired = new ExpiredIteratorError('GetRecords', 'Iterator expired');
      const p1 = page([], 'it-1');
      const p2 = page([r1], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' }), cold('-(i|)', { i: 'it-again' })],
        pages: [cold('--(p|)', { p: p1 }), cold('--#', {}, expired), cold('--(p|)', { p: p2 })],
      });
      const start = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '42' } as const;
      expectObservable(pollShard(kinesis, options({ start }))).toBe('---a 14ms (bc|)', { a: records(p1), b: records(p2), c: { _tag: 'ShardEnd', childShards: [] } });
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('getShardIterator'))).to.deep.equal([
        't=0 getShardIterator AT_SEQUENCE_NUMBER 42',
        't=15 getShardIterator AT_SEQUENCE_NUMBER 42',
      ]);
    });
  });

  it('retries other retryable failures with backoff, at most maxRetries in a row, then errors', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const transient = new KinesisCallError('GetRecords', 'InternalFailure', 'oops', { retryable: true });
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--#', {}, transient), cold('--#', {}, transient), cold('--#', {}, transient)],
      });
      expectObservable(pollShard(kinesis, options())).toBe('19ms #', undefined, transient);
      testScheduler.flush();
      expect(calls.slice(1)).to.deep.equal(['t=1 getRecords it-0 100', 't=7 getRecords it-0 100', 't=17 getRecords it-0 100']);
    });
  });

  it('abandons a call left unanswered for callTimeoutMillis and retries it as a transient failure', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const hanging = cold<GetRecordsOutput>('-');
      const p1 = page([r1], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [hanging, cold('--(p|)', { p: p1 })],
      });
      // Called at 1, abandoned at 21, retried after 4 at 25, answered at 27.
      expectObservable(pollShard(kinesis, options({ callTimeoutMillis: 20 }))).toBe('27ms (ab|)', { a: records(p1), b: { _tag: 'ShardEnd', childShards: [] } });
      expectSubscriptions(hanging.subscriptions).toBe('-^-------------------!');
      testScheduler.flush();
      expect(calls.slice(1)).to.deep.equal(['t=1 getRecords it-0 100', 't=25 getRecords it-0 100']);
    });
  });

  it('passes a non-retryable failure on at once', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const invalid = new KinesisCallError('GetShardIterator', 'InvalidArgumentException', 'bad sequence number');
      const { kinesis } = scriptedKinesis(testScheduler, { iterators: [cold('-#', {}, invalid)], pages: [] });
      expectObservable(pollShard(kinesis, options())).toBe('-#', undefined, invalid);
    });
  });

  it('treats ResourceNotFound as the end of the shard, with no children (KCL)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const gone = new StreamNotFoundError('GetRecords', '', 'Shard shardId-000000000000 does not exist');
      const { kinesis } = scriptedKinesis(testScheduler, { iterators: [cold('-(i|)', { i: 'it-0' })], pages: [cold('--#', {}, gone)] });
      expectObservable(pollShard(kinesis, options())).toBe('---(a|)', { a: { _tag: 'ShardEnd', childShards: [] } });
    });
  });

  it('does not call GetRecords again until both the idle time has passed and the gate has opened', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const p1 = page([r1], 'it-1');
      const p2 = page([r2], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--(p|)', { p: p1 }), cold('--(p|)', { p: p2 })],
      });
      const gate = hot('      --------------------g--g');
      const gateSubs = '      ---^----------------!';
      expectObservable(pollShard(kinesis, options(), () => gate)).toBe('---a 18ms (bc|)', {
        a: records(p1),
        b: records(p2),
        c: { _tag: 'ShardEnd', childShards: [] },
      });
      expectSubscriptions(gate.subscriptions).toBe(gateSubs);
      testScheduler.flush();
      expect(calls.at(-1)).to.equal('t=20 getRecords it-1 100');
    });
  });

  it('through a delivery, calls again only once the last page is delivered and the gate has opened, the idle time counting from its arrival', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = page([r1], 'it-1');
      const p2 = page([r2], 'it-2');
      const p3 = page([], undefined);
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--(p|)', { p: p1 }), cold('--(p|)', { p: p2 }), cold('--(p|)', { p: p3 })],
      });
      // p1 takes 4 ms to deliver (less than the idle time), p2 15 ms (more).
      const deliveries = new Map([
        [p1.records, cold('a---(b|)')],
        [p2.records, cold('c 14ms (d|)')],
        [p3.records, cold('(e|)')],
      ]);
      const deliver = (event: PollEvent) => (event._tag === 'ShardEnd' ? cold('(z|)') : deliveries.get(event.records)!);
      const gate = cold('(g|)');
      expectObservable(pollShardThrough(kinesis, options(), deliver, () => gate)).toBe('---a---b 7ms c 14ms d-(ez|)');
      expectSubscriptions(gate.subscriptions).toBe(['7ms (^!)', '30ms (^!)']);
      testScheduler.flush();
      expect(calls).to.deep.equal([
        't=0 getShardIterator TRIM_HORIZON',
        't=1 getRecords it-0 100',
        't=13 getRecords it-1 100',
        't=30 getRecords it-2 100',
      ]);
    });
  });

  it('through a delivery, stops delivering and polling when unsubscribed mid-page', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--(p|)', { p: page([r1], 'it-1') }), cold('--(p|)', { p: page([r2], 'it-2') })],
      });
      const delivery = cold('a 9ms b 9ms (c|)');
      expectObservable(pollShardThrough(kinesis, options(), () => delivery), '^ 15ms !').toBe('---a 9ms b');
      expectSubscriptions(delivery.subscriptions).toBe('---^ 12ms !');
      testScheduler.flush();
      expect(calls).to.have.length(2);
    });
  });

  it('stops polling when unsubscribed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { kinesis, calls } = scriptedKinesis(testScheduler, {
        iterators: [cold('-(i|)', { i: 'it-0' })],
        pages: [cold('--(p|)', { p: page([], 'it-1') }), cold('--(p|)', { p: page([], 'it-2') }), cold('--(p|)', { p: page([], 'it-3') })],
      });
      expectObservable(pollShard(kinesis, options()), '^ 15ms !').toBe('---a 11ms b', { a: records(page([], 'it-1')), b: records(page([], 'it-2')) });
      testScheduler.flush();
      expect(calls).to.have.length(3);
    });
  });

  it('refuses options out of range', () => {
    const { kinesis } = scriptedKinesis(testScheduler, { iterators: [], pages: [] });
    expect(() => pollShard(kinesis, options({ maxRecords: 10001 }))).to.throw(TypeError, /maxRecords/);
    expect(() => pollShard(kinesis, options({ idleTimeBetweenReadsMillis: -1 }))).to.throw(TypeError, /idleTimeBetweenReadsMillis/);
    expect(() => pollShard(kinesis, options({ callTimeoutMillis: 0 }))).to.throw(TypeError, /callTimeoutMillis/);
  });
});
