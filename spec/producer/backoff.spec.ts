import { expect } from 'chai';
import { backoffDelay, checkBackoff } from '../../lib/producer/backoff';

describe('backoffDelay', () => {
  it('must double from initialMillis up to maxMillis', () => {
    const options = { initialMillis: 100, maxMillis: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, { ...options, multiplier: 3 }))).to.deep.equal([100, 300, 900]);
  });

  it('must reject options out of range, naming the field', () => {
    expect(() => checkBackoff({ initialMillis: -1, maxMillis: 10 })).to.throw(TypeError, 'initialMillis');
    expect(() => checkBackoff({ initialMillis: 10, maxMillis: 5 })).to.throw(TypeError, 'maxMillis');
    expect(() => checkBackoff({ initialMillis: 10, maxMillis: 50, multiplier: 0.5 })).to.throw(TypeError, 'multiplier');
  });
});
