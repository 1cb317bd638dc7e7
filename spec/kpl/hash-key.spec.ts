import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { effectiveHashKey, hashKeyOf, MAX_HASH_KEY, parseExplicitHashKey } from '../../lib/kpl';
import { compareHashKeyWords, hashKeyFromWords, hashKeyToWords, hashKeyWordsOf } from '../../lib/kpl/hash-key';
import { InvalidRecordError } from '../../lib/model/errors';

describe('hash-key', () => {
  describe('hashKeyOf', () => {
    it('reads the MD5 of the partition key as a big-endian unsigned 128-bit integer', () => {
      expect(hashKeyOf('a')).to.equal(16955237001963240173058271559858726497n);
      expect(hashKeyOf('abc')).to.equal(191415658344158766168031473277922803570n);
      expect(hashKeyOf('78feb12a-dba0-45ca-a91e-bb1f2f1819b4')).to.equal(10275509497057480009973535037572470479n);
    });

    it('hashes the UTF-8 bytes of the key', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (key) => {
          const hex = createHash('md5').update(Buffer.from(key, 'utf8')).digest('hex');
          expect(hashKeyOf(key)).to.equal(BigInt(`0x${hex}`));
        }),
      );
    });

    it('stays within [0, 2^128 − 1]', () => {
      fc.assert(
        fc.property(fc.string(), (key) => {
          const hash = hashKeyOf(key);
          expect(hash >= 0n && hash <= MAX_HASH_KEY).to.equal(true);
        }),
      );
    });
  });

  describe('hash keys as words', () => {
    const hashKey = fc.oneof(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), fc.constantFrom(0n, MAX_HASH_KEY, 1n << 127n, (1n << 127n) - 1n, (1n << 32n) - 1n, 1n << 96n));

    it('round-trip every hash key', () => {
      fc.assert(
        fc.property(hashKey, (value) => {
          expect(hashKeyFromWords(hashKeyToWords(value))).to.equal(value);
        }),
      );
    });

    it('compare as the numbers they hold, unsigned', () => {
      fc.assert(
        fc.property(hashKey, hashKey, (a, b) => {
          expect(Math.sign(compareHashKeyWords(hashKeyToWords(a), hashKeyToWords(b)))).to.equal(a === b ? 0 : a < b ? -1 : 1);
        }),
      );
    });

    it('hashKeyWordsOf holds hashKeyOf', () => {
      const out = new Int32Array(4);
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (key) => {
          hashKeyWordsOf(key, out);
          expect(hashKeyFromWords(out)).to.equal(hashKeyOf(key));
        }),
      );
    });
  });

  it('MAX_HASH_KEY is 2^128 − 1', () => {
    expect(MAX_HASH_KEY.toString()).to.equal('340282366920938463463374607431768211455');
  });

  describe('parseExplicitHashKey', () => {
    it('reads decimal integers from 0 to 2^128 − 1', () => {
      expect(parseExplicitHashKey('0')).to.equal(0n);
      expect(parseExplicitHashKey('340282366920938463463374607431768211455')).to.equal(MAX_HASH_KEY);
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), (n) => {
          expect(parseExplicitHashKey(n.toString())).to.equal(n);
        }),
      );
    });

    it('tolerates leading zeros, as the KPL (Java BigInteger) does', () => {
      expect(parseExplicitHashKey('007')).to.equal(7n);
      expect(parseExplicitHashKey(`000${MAX_HASH_KEY}`)).to.equal(MAX_HASH_KEY);
    });

    it('rejects everything else', () => {
      for (const bad of ['', '-1', '+1', ' 1', '1 ', '1e3', '0x10', '1.0', '١٢', '340282366920938463463374607431768211456', '9'.repeat(400)]) {
        expect(parseExplicitHashKey(bad), JSON.stringify(bad)).to.equal(undefined);
      }
      fc.assert(
        fc.property(fc.bigInt({ min: MAX_HASH_KEY + 1n }), (n) => {
          expect(parseExplicitHashKey(n.toString())).to.equal(undefined);
        }),
      );
    });
  });

  describe('effectiveHashKey', () => {
    it('is the explicit hash key when there is one, else the hash of the partition key', () => {
      expect(effectiveHashKey({ partitionKey: 'abc' })).to.equal(191415658344158766168031473277922803570n);
      expect(effectiveHashKey({ partitionKey: 'abc', explicitHashKey: '12' })).to.equal(12n);
    });

    it('throws InvalidRecordError naming the field for a malformed explicit hash key', () => {
      expect(() => effectiveHashKey({ partitionKey: 'p', explicitHashKey: '-5' }))
        .to.throw(InvalidRecordError, /explicitHashKey.*"-5"/)
        .with.property('field', 'explicitHashKey');
    });
  });
});
