import { map } from 'rxjs';
import { aggregate, type AggregateOptions } from '../../lib/producer/aggregate';
import type { PendingRecord } from '../../lib/producer/pending-record';
import { record, show, testScheduler } from './support';

/** The operator takes chunks; each marble value is a chunk of one. */
const chunk = (r: PendingRecord): readonly PendingRecord[] => [r];

// prettier-ignore
describe('aggregate (marbles)', () => {
  const options = (scheduler: AggregateOptions['scheduler'], overrides: Partial<AggregateOptions> = {}): AggregateOptions => ({
    enabled: true,
    maxCount: 1000,
    maxSize: 51200,
    maxBufferedTimeMillis: 5,
    predict: () => 'A',
    scheduler,
    ...overrides,
  });
  const records = { a: record('a'), b: record('b'), c: record('c'), d: record('d') };

  it('sends an aggregate RecordMaxBufferedTime after its first record', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-----c-------|', records);
      const subs = '       ^---------------!';
      const expected = '   -----x-------y--|';
      expectObservable(source.pipe(map(chunk), aggregate(options(ts)), map(show))).toBe(expected, { x: 'A:ab', y: 'A:c' });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('sends at once when AggregationMaxCount is reached', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' abc-d---|', records);
      const subs = '       ^-------!';
      const expected = '   -x--y---|';
      expectObservable(source.pipe(map(chunk), aggregate(options(ts, { maxCount: 2, maxBufferedTimeMillis: 100 })), map(show))).toBe(expected, {
        x: 'A:ab',
        y: 'A:cd',
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('sends what it holds when the next record would take it over AggregationMaxSize', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const big = { a: record('a', 40), b: record('b', 40) };
      // One 40-byte record is 40 bytes; two would be 20 + 2 × (3 + 2 + 42) + … > 64.
      const source = cold(' a--b--|', big);
      const expected = '   ---x--(y|)';
      expectObservable(source.pipe(map(chunk), aggregate(options(ts, { maxSize: 64, maxBufferedTimeMillis: 100 })), map(show))).toBe(expected, {
        x: 'A:a',
        y: 'A:b',
      });
    });
  });

  it('keeps one aggregate per predicted shard, each with its own timer', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' ab-c------|', records);
      const expected = '   -----xy---|';
      const predict = (r: PendingRecord) => (r.hashKey === records.b.hashKey ? 'B' : 'A');
      expectObservable(source.pipe(map(chunk), aggregate(options(ts, { predict })), map(show))).toBe(expected, { x: 'A:ac', y: 'B:b' });
    });
  });

  it('sends everything at once on a flush notification, and on completion', () => {
    const ts = testScheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold(' ab-c---|', records);
      const flushes = hot('--f-----', { f: undefined });
      const expected = '   --(xz)-(y|)';
      const predict = (r: PendingRecord) => (r.hashKey === records.b.hashKey ? 'B' : 'A');
      expectObservable(source.pipe(map(chunk), aggregate(options(ts, { predict, flushes, maxBufferedTimeMillis: 100 })), map(show))).toBe(expected, {
        x: 'A:a',
        z: 'B:b',
        y: 'A:c',
      });
      expectSubscriptions(flushes.subscriptions).toBe('^------!');
    });
  });

  it('sends every record at once, alone, when aggregation is disabled', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' ab-c|', records);
      const expected = '   ab-c|';
      expectObservable(source.pipe(map(chunk), aggregate(options(ts, { enabled: false })), map(show))).toBe(expected, { a: 'A:a', b: 'A:b', c: 'A:c' });
    });
  });

  it('drops its buffers and timers when unsubscribed', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' ab------|', records);
      const unsub = '      ---!';
      const expected = '   ---';
      expectObservable(source.pipe(map(chunk), aggregate(options(ts)), map(show)), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});
