import { expect } from 'chai';
import { mulberry32 } from '../../lib/testing/prng';

describe('mulberry32 must', () => {
  const draw = (seed: number, n: number): number[] => {
    const random = mulberry32(seed);
    return Array.from({ length: n }, () => random());
  };

  it('repeat the same numbers for the same seed', () => {
    expect(draw(42, 100)).to.deep.equal(draw(42, 100));
  });

  it('give different numbers for different seeds', () => {
    expect(draw(1, 10)).not.to.deep.equal(draw(2, 10));
  });

  it('stay in [0, 1) and spread evenly', () => {
    const values = draw(7, 10000);
    for (const v of values) expect(v).to.be.at.least(0).and.below(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).to.be.within(0.48, 0.52);
    const buckets = Array.from({ length: 10 }, (_, b) => values.filter((v) => Math.floor(v * 10) === b).length);
    for (const count of buckets) expect(count).to.be.within(900, 1100);
  });

  it('refuse a seed that is not an integer', () => {
    expect(() => mulberry32(0.5)).to.throw(TypeError, /seed/);
  });
});
