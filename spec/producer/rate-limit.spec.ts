import { expect } from 'chai';
import { TokenBucket } from '../../lib/producer/rate-limit';
import { ShardRateLimiter } from '../../lib/producer/rate-limit';
import { virtualTime } from './support';

describe('TokenBucket', () => {
  it('must start full, refill by elapsed time up to its capacity, and allow debt', () => {
    const bucket = new TokenBucket(10, 10, 0); // 10 per second
    expect(bucket.waitFor(10, 0)).to.equal(0);
    bucket.take(10, 0);
    expect(bucket.waitFor(1, 0)).to.equal(100);
    expect(bucket.waitFor(1, 100)).to.equal(0);
    bucket.take(5, 100); // 1 − 5 = −4
    expect(bucket.waitFor(1, 100)).to.equal(500);
    expect(bucket.waitFor(10, 10_000)).to.equal(0); // refilled, but never above capacity
    bucket.take(10, 10_000);
    expect(bucket.waitFor(1, 10_000)).to.equal(100);
  });

  it('must let a cost above capacity pass once the bucket is full', () => {
    const bucket = new TokenBucket(10, 10, 0);
    bucket.take(3, 0);
    expect(bucket.waitFor(50, 0)).to.equal(300);
  });
});

describe('ShardRateLimiter', () => {
  it('must give each shard its own budget of RateLimit % of 1000 records/s', () => {
    const scheduler = virtualTime();
    const limiter = new ShardRateLimiter(150, scheduler);
    for (let i = 0; i < 1500; i++) limiter.take('A', 10);
    expect(limiter.waitFor('A', 10)).to.be.closeTo(1000 / 1500, 1e-9);
    expect(limiter.waitFor('B', 10)).to.equal(0);
  });

  it('must reserve for a retry request and say how long its slowest shard makes it wait', () => {
    const scheduler = virtualTime();
    const limiter = new ShardRateLimiter(100, scheduler);
    const c = (shardId: string, size: number) => ({ shardId, size }) as never;
    expect(limiter.reserve([c('A', 1024 * 1024), c('B', 10)])).to.equal(0);
    expect(limiter.reserve([c('A', 512 * 1024), c('B', 10)])).to.equal(500);
  });

  it('must refuse a RateLimit that is not positive', () => {
    expect(() => new ShardRateLimiter(0, virtualTime())).to.throw(TypeError, 'RateLimit');
  });
});
