import { expect } from 'chai';
import { KINESIS_WRITE_LIMITS, WriteLimiter } from '../../lib/testing/write-limits';

describe('WriteLimiter must', () => {
  it('admit up to the record limit per shard per second', () => {
    const limiter = new WriteLimiter({ recordsPerSecond: 3, bytesPerSecond: 1000 });
    expect([0, 10, 500, 999].map((t) => limiter.admit('a', t, 1))).to.deep.equal([true, true, true, false]);
    expect(limiter.admit('b', 999, 1), 'other shard').to.equal(true);
    expect(limiter.admit('a', 1000, 1), 'next second').to.equal(true);
  });

  it('admit up to the byte limit, and not count refused records', () => {
    const limiter = new WriteLimiter({ recordsPerSecond: 100, bytesPerSecond: 100 });
    expect(limiter.admit('a', 0, 60)).to.equal(true);
    expect(limiter.admit('a', 0, 41)).to.equal(false);
    expect(limiter.admit('a', 0, 40)).to.equal(true);
    expect(limiter.admit('a', 0, 1)).to.equal(false);
  });

  it('default to Kinesis’ figures and refuse non-positive ones', () => {
    expect(KINESIS_WRITE_LIMITS).to.deep.equal({ recordsPerSecond: 1000, bytesPerSecond: 1048576 });
    expect(() => new WriteLimiter({ recordsPerSecond: 0, bytesPerSecond: 1 })).to.throw(TypeError, /recordsPerSecond/);
  });
});
