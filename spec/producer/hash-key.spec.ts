import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_HASH_KEY } from '../../lib/kpl';
import { compareHashKeys, hashKeyDecimalOf, hashKeyFromBigInt, hashKeyHexOf } from '../../lib/producer/hash-key';

const hashKeys = fc.bigInt({ min: 0n, max: MAX_HASH_KEY });

describe('HashKey', () => {
  describe('must', () => {
    it('order keys as the numbers they stand for, across every word and the sign bit', () => {
      fc.assert(
        fc.property(hashKeys, hashKeys, (a, b) => {
          expect(Math.sign(compareHashKeys(hashKeyFromBigInt(a), hashKeyFromBigInt(b)))).to.equal(a < b ? -1 : a > b ? 1 : 0);
        }),
      );
      const edges = [0n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, 1n << 127n, MAX_HASH_KEY].map(hashKeyFromBigInt);
      for (let i = 1; i < edges.length; i++) expect(compareHashKeys(edges[i - 1]!, edges[i]!)).to.be.below(0);
    });

    it('write keys in hex and in decimal', () => {
      fc.assert(
        fc.property(hashKeys, (value) => {
          const key = hashKeyFromBigInt(value);
          expect(hashKeyHexOf(key)).to.equal(value.toString(16).padStart(32, '0'));
          expect(hashKeyDecimalOf(key)).to.equal(value.toString());
        }),
      );
    });
  });
});
