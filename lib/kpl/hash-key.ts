/**
 * Hash keys: the unsigned 128-bit numbers Kinesis uses to route a record to the shard whose hash key
 * range contains it, computed exactly as Kinesis, the KPL and the KCL do.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { InvalidRecordError } from '../model/errors';

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
  const digest = createHash('md5').update(partitionKey, 'utf8').digest();
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
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
