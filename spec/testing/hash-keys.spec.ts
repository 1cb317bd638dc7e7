import { expect } from 'chai';
import fc from 'fast-check';
import { evenHashKeyRanges, parseApiHashKey, rangeContains, rangesAdjacent } from '../../lib/testing/hash-keys';

const MAX = 2n ** 128n - 1n;

describe('hash keys must', () => {
  it('cover the key space with even, contiguous ranges for any shard count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), (count) => {
        const ranges = evenHashKeyRanges(count);
        expect(ranges).to.have.length(count);
        expect(ranges[0]?.startingHashKey).to.equal(0n);
        expect(ranges[count - 1]?.endingHashKey).to.equal(MAX);
        const sizes = ranges.map((r) => r.endingHashKey - r.startingHashKey + 1n);
        ranges.slice(1).forEach((r, i) => expect(r.startingHashKey).to.equal((ranges[i]?.endingHashKey ?? -2n) + 1n));
        const smallest = sizes.reduce((a, b) => (a < b ? a : b));
        const largest = sizes.reduce((a, b) => (a > b ? a : b));
        expect(largest - smallest <= 1n).to.equal(true);
      }),
      { numRuns: 200 },
    );
  });

  it('give one shard the whole space', () => {
    expect(evenHashKeyRanges(1)).to.deep.equal([{ startingHashKey: 0n, endingHashKey: MAX }]);
  });

  it('accept explicit hash keys only as the API pattern allows', () => {
    expect(parseApiHashKey('0')).to.equal(0n);
    expect(parseApiHashKey(String(MAX))).to.equal(MAX);
    for (const bad of [String(MAX + 1n), '007', '-1', '+1', '1.0', ' 1', '', 'x']) expect(parseApiHashKey(bad), bad).to.equal(undefined);
  });

  it('tell containment and adjacency with both ends included', () => {
    const range = { startingHashKey: 10n, endingHashKey: 20n };
    expect([9n, 10n, 20n, 21n].map((k) => rangeContains(range, k))).to.deep.equal([false, true, true, false]);
    expect(rangesAdjacent(range, { startingHashKey: 21n, endingHashKey: 30n })).to.equal(true);
    expect(rangesAdjacent({ startingHashKey: 0n, endingHashKey: 9n }, range)).to.equal(true);
    expect(rangesAdjacent(range, { startingHashKey: 22n, endingHashKey: 30n })).to.equal(false);
  });
});
