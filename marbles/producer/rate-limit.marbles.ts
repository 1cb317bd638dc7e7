import { map } from 'rxjs';
import { rateLimit, ShardRateLimiter } from '../../lib/producer/rate-limit';
import { container, show, testScheduler } from './support';

// prettier-ignore
describe('rateLimit (marbles)', () => {
  // RateLimit 0.2 % of 1000 records/s is 2 records/s per shard: a bucket of 2, one more every 500 ms.
  const containers = { a: container('a'), b: container('b'), c: container('c'), d: container('d', 'B'), e: container('e') };

  it('holds a shard’s records once its bucket is empty, and lets other shards pass', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' (abcde)|', containers);
      const subs = '       ^------!';
      const expected = '   (abd) 495ms c 499ms (e|)';
      const limiter = new ShardRateLimiter(0.2, ts);
      expectObservable(source.pipe(rateLimit(limiter, ts), map(show))).toBe(expected, { a: 'A:a', b: 'A:b', c: 'A:c', d: 'B:d', e: 'A:e' });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('refills by elapsed time on the scheduler clock', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' ab 998ms c|', containers);
      const expected = '   ab 998ms c|';
      const limiter = new ShardRateLimiter(0.2, ts);
      expectObservable(source.pipe(rateLimit(limiter, ts), map(show))).toBe(expected, { a: 'A:a', b: 'A:b', c: 'A:c' });
    });
  });

  it('limits by bytes too: a record larger than the bucket waits for a full bucket, then leaves it in debt', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      // 0.2 % of 1 MiB/s is about 2097 bytes/s.
      const big = { x: container('x', 'A', 1500), y: container('y', 'A', 1500), z: container('z', 'A', 10) };
      const source = cold(' (xyz)|', big);
      // Sizes count the 1-byte partition key. x passes at 0 (2097 → 596 bytes left); y needs 1501:
      // (1501 − 596) / 2.097 per ms ≈ 431.5, so 432. z needs 11 bytes (5 ms) but also a record token:
      // 2 per second, 2 − 2 + 1.864 (refilled by 432) leaves 0.864, one more at 500.
      const expected = '   x 431ms y 67ms (z|)';
      const limiter = new ShardRateLimiter(0.2, ts);
      expectObservable(source.pipe(rateLimit(limiter, ts), map(show))).toBe(expected, { x: 'A:x', y: 'A:y', z: 'A:z' });
    });
  });
});
