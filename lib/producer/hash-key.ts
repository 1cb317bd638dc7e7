/**
 * Hash keys as the producer handles them per record: a 128-bit number held as four 32-bit words,
 * most significant first (the words `hashKeyWordsOf` writes), so that hashing, routing and
 * comparing allocate nothing. Here the words are fields of the record rather than an `Int32Array`
 * of its own, which would cost an allocation per record. Each word is stored as a signed 32-bit
 * integer (which V8 keeps unboxed) and compared as unsigned.
 * @internal
 * @packageDocumentation
 */

/** A 128-bit hash key as four int32 words, most significant first. */
export interface HashKey {
  readonly hash0: number;
  readonly hash1: number;
  readonly hash2: number;
  readonly hash3: number;
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareHashKeys(a: HashKey, b: HashKey): number {
  if (a.hash0 !== b.hash0) return (a.hash0 >>> 0) - (b.hash0 >>> 0);
  if (a.hash1 !== b.hash1) return (a.hash1 >>> 0) - (b.hash1 >>> 0);
  if (a.hash2 !== b.hash2) return (a.hash2 >>> 0) - (b.hash2 >>> 0);
  return (a.hash3 >>> 0) - (b.hash3 >>> 0);
}

/** Writes `value` (in [0, 2^128 − 1]) into `out` as four words, most significant first. */
export function writeHashKey(value: bigint, out: Int32Array): void {
  out[0] = Number(BigInt.asIntN(32, value >> 96n));
  out[1] = Number(BigInt.asIntN(32, value >> 64n));
  out[2] = Number(BigInt.asIntN(32, value >> 32n));
  out[3] = Number(BigInt.asIntN(32, value));
}

/** `value` (in [0, 2^128 − 1]) as a hash key. */
export function hashKeyFromBigInt(value: bigint): HashKey {
  const words = new Int32Array(4);
  writeHashKey(value, words);
  return { hash0: words[0]!, hash1: words[1]!, hash2: words[2]!, hash3: words[3]! };
}

/** The hash key as 32 lowercase hex digits. */
export function hashKeyHexOf(key: HashKey): string {
  const hex = (word: number) => (word >>> 0).toString(16).padStart(8, '0');
  return hex(key.hash0) + hex(key.hash1) + hex(key.hash2) + hex(key.hash3);
}

/** The hash key in decimal, as PutRecords' `ExplicitHashKey` wants it. */
export function hashKeyDecimalOf(key: HashKey): string {
  return BigInt(`0x${hashKeyHexOf(key)}`).toString();
}
