import { map } from 'rxjs';
import { collect, type CollectOptions } from '../../lib/producer/collect';
import type { Batch } from '../../lib/producer/pending-record';
import { container, show, testScheduler } from './support';

const drawn = (batch: Batch) => batch.containers.map(show).join(' ');

// prettier-ignore
describe('collect (marbles)', () => {
  const options = (scheduler: CollectOptions['scheduler'], overrides: Partial<CollectOptions> = {}): CollectOptions => ({
    maxCount: 500,
    maxSize: 5 * 1024 * 1024,
    lingerMillis: 4,
    scheduler,
    ...overrides,
  });
  const containers = { a: container('a'), b: container('b', 'B'), c: container('c'), d: container('d') };

  it('sends a request lingerMillis after its first Kinesis record', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' ab-----c---|', containers);
      const subs = '       ^----------!';
      const expected = '   ----x------(y|)';
      expectObservable(source.pipe(collect(options(ts)), map(drawn))).toBe(expected, { x: 'A:a B:b', y: 'A:c' });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('sends at once at CollectionMaxCount', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' abc----|', containers);
      const expected = '   -x----y|';
      expectObservable(source.pipe(collect(options(ts, { maxCount: 2 })), map(drawn))).toBe(expected, { x: 'A:a B:b', y: 'A:c' });
    });
  });

  it('sends what it holds when the next record would take it over CollectionMaxSize', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      // Each container is 10 bytes of data plus a 1-byte partition key: a and b fit in 30, c does not.
      const source = cold(' abc----|', containers);
      const expected = '   --x---y|';
      expectObservable(source.pipe(collect(options(ts, { maxSize: 30 })), map(drawn))).toBe(expected, { x: 'A:a B:b', y: 'A:c' });
    });
  });

  it('sends at once on a flush notification and when the source completes', () => {
    const ts = testScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      const source = cold(' a-b|', containers);
      const flushes = hot('-f--', { f: undefined });
      const expected = '   -x-(y|)';
      expectObservable(source.pipe(collect(options(ts, { lingerMillis: 100, flushes })), map(drawn))).toBe(expected, { x: 'A:a', y: 'B:b' });
    });
  });

  it('sends each record at once when lingerMillis is 0', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' ab|', containers);
      expectObservable(source.pipe(collect(options(ts, { lingerMillis: 0 })), map(drawn))).toBe(' ab|', { a: 'A:a', b: 'B:b' });
    });
  });
});
