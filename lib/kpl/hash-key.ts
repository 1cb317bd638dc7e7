/**
 * Hash keys: the unsigned 128-bit numbers Kinesis uses to route a record to the shard whose hash key
 * range contains it, computed exactly as Kinesis, the KPL and the KCL do.
 * @packageDocumentation
 */
import { InvalidRecordError } from '../model/errors';
import { md5Utf8Words } from './md5';

/** The largest hash key, 2^128 − 1: the end of the last shard's range. */
export const MAX_HASH_KEY: bigint = (1n << 128n) - 1n;

// At most 39 digits (2^128 − 1 has 39); leading zeros are tolerated, as Java's BigInteger does in the KPL.
const DECIMAL_DIGITS = /^[0-9]+$/;
const LEADING_ZEROS = /^0+(?=[0-9])/;

/**
 * The hash key Kinesis derives from a partition key: the MD5 digest of its UTF-8 bytes, read as a
 * big-endian unsigned 128-bit integer.
 */
export function hashKeyOf(partitionKey: string): bigint {
  md5Utf8Words(partitionKey, scratch);
  return hashKeyFromWords(scratch);
}

const scratch = new Int32Array(4);

/**
 * Hash keys as four int32 words, most significant first, for checks that run per user record:
 * hashing into them and comparing them allocates nothing, where a `bigint` allocates every time.
 * Words are stored signed (V8 keeps them unboxed) and compared unsigned.
 * @internal
 */
export type HashKeyWords = Int32Array;

/** Writes the hash key of `partitionKey` (see {@link hashKeyOf}) into `out` as words. @internal */
export function hashKeyWordsOf(partitionKey: string, out: HashKeyWords): void {
  md5Utf8Words(partitionKey, out);
}

/** `value`, in [0, 2^128 − 1], as words. @internal */
export function hashKeyToWords(value: bigint): HashKeyWords {
  const out = new Int32Array(4);
  out[0] = Number(BigInt.asIntN(32, value >> 96n));
  out[1] = Number(BigInt.asIntN(32, value >> 64n));
  out[2] = Number(BigInt.asIntN(32, value >> 32n));
  out[3] = Number(BigInt.asIntN(32, value));
  return out;
}

/** The hash key the words hold. @internal */
export function hashKeyFromWords(words: HashKeyWords): bigint {
  return (
    (BigInt(words[0]! >>> 0) << 96n) |
    (BigInt(words[1]! >>> 0) << 64n) |
    (BigInt(words[2]! >>> 0) << 32n) |
    BigInt(words[3]! >>> 0)
  );
}

/** Negative, zero or positive as the hash key `a` is below, equal to or above `b`. @internal */
export function compareHashKeyWords(a: HashKeyWords, b: HashKeyWords): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return (x >>> 0) < (y >>> 0) ? -1 : 1;
  }
  return 0;
}

/**
 * Parses an explicit hash key: a plain decimal integer in [0, 2^128 − 1] (no sign, no spaces, no
 * exponent). Returns `undefined` for anything else.
 */
export function parseExplicitHashKey(s: string): bigint | undefined {
  if (!DECIMAL_DIGITS.test(s)) return undefined;
  const digits = s.replace(LEADING_ZEROS, '');
  if (digits.length > 39) return undefined;
  const value = BigInt(digits);
  return value <= MAX_HASH_KEY ? value : undefined;
}

/**
 * The hash key that routes a record: its explicit hash key when it has one, else the hash of its
 * partition key.
 * @throws InvalidRecordError when `explicitHashKey` is present but not a decimal in [0, 2^128 − 1]
 */
export function effectiveHashKey(record: { readonly partitionKey: string; readonly explicitHashKey?: string }): bigint {
  if (record.explicitHashKey === undefined) return hashKeyOf(record.partitionKey);
  const value = parseExplicitHashKey(record.explicitHashKey);
  if (value === undefined) {
    throw new InvalidRecordError(
      'explicitHashKey',
      `must be a decimal integer between 0 and 2^128-1, got ${JSON.stringify(record.explicitHashKey.slice(0, 64))}` +
        (record.explicitHashKey.length > 64 ? '…' : ''),
    );
  }
  return value;
}
