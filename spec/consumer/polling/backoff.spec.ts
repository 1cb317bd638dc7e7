import { expect } from 'chai';
import { backoff } from '../../../lib/consumer/polling/backoff';

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const b = backoff({ initialMillis: 100, maxMillis: 1000 }, 'test');
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => b.delay(n))).to.deep.equal([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('fills in defaults', () => {
    expect(backoff(undefined, 'test')).to.deep.include({ initialMillis: 500, maxMillis: 10_000, maxRetries: 10 });
  });

  it('refuses settings out of range, naming them', () => {
    expect(() => backoff({ initialMillis: -1 }, 'pollShard')).to.throw(TypeError, /pollShard: backoff.initialMillis/);
    expect(() => backoff({ initialMillis: 10, maxMillis: 5 }, 'x')).to.throw(TypeError, /maxMillis \(5\) must not be below/);
    expect(() => backoff({ maxRetries: 1.5 }, 'x')).to.throw(TypeError, /maxRetries/);
  });
});
