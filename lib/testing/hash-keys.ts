/**
 * The 128-bit hash-key space of a stream and how Kinesis lays shards over it.
 * @packageDocumentation
 */
import { MAX_HASH_KEY, parseExplicitHashKey } from '../kpl/hash-key';
import type { HashKeyRange } from '../ports/kinesis-port';

// The API's pattern for ExplicitHashKey: unlike the KPL, the service refuses leading zeros.
const API_HASH_KEY = /^(0|[1-9]\d{0,38})$/;

/** An ExplicitHashKey as PutRecords accepts it, or `undefined` when the service would refuse it. */
export function parseApiHashKey(text: string): bigint | undefined {
  return API_HASH_KEY.test(text) ? parseExplicitHashKey(text) : undefined;
}

/**
 * `count` ranges that split the key space evenly, as CreateStream does: range i starts at
 * ⌊i·2^128/count⌋ and the last one ends at 2^128−1.
 */
export function evenHashKeyRanges(count: number): HashKeyRange[] {
  const space = MAX_HASH_KEY + 1n;
  const n = BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    startingHashKey: (BigInt(i) * space) / n,
    endingHashKey: ((BigInt(i) + 1n) * space) / n - 1n,
  }));
}

/** True when `key` lies in `range` (both ends included). */
export function rangeContains(range: HashKeyRange, key: bigint): boolean {
  return range.startingHashKey <= key && key <= range.endingHashKey;
}

/** True when the two ranges touch with no gap, in either order. */
export function rangesAdjacent(a: HashKeyRange, b: HashKeyRange): boolean {
  return a.endingHashKey + 1n === b.startingHashKey || b.endingHashKey + 1n === a.startingHashKey;
}
