/**
 * Sets of event indexes in a compact form for the messages from workers to the demo: sorted, as
 * runs of consecutive indexes. A shard delivers runs of consecutive indexes (see `payload.ts`), so
 * a batch of thousands of events is a few numbers.
 * @packageDocumentation
 */

/**
 * `indexes` (any order, repeats allowed) as a flat list `[start, length, start, length, …]` of
 * runs of consecutive indexes, in ascending order; a repeated index starts a run of its own, so
 * repeats survive the round trip.
 */
export function encodeRuns(indexes: readonly number[]): number[] {
  const sorted = Float64Array.from(indexes).sort();
  const runs: number[] = [];
  let start = Number.NaN;
  let length = 0;
  for (const index of sorted) {
    if (index === start + length) {
      length += 1;
      continue;
    }
    if (length > 0) runs.push(start, length);
    start = index;
    length = 1;
  }
  if (length > 0) runs.push(start, length);
  return runs;
}

/**
 * Calls `visit` with every index of `runs`, repeats included, in ascending order.
 * @throws RangeError when `runs` is not a list of [start, length] pairs of non-negative integers
 */
export function forEachIndex(runs: readonly number[], visit: (index: number) => void): void {
  if (runs.length % 2 !== 0) throw new RangeError(`index runs come in [start, length] pairs, got ${runs.length} numbers`);
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i]!;
    const length = runs[i + 1]!;
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 1) {
      throw new RangeError(`bad index run [${start}, ${length}]`);
    }
    for (let index = start; index < start + length; index++) visit(index);
  }
}

/** The indexes of `runs`, in ascending order. */
export function decodeRuns(runs: readonly number[]): number[] {
  const indexes: number[] = [];
  forEachIndex(runs, (index) => indexes.push(index));
  return indexes;
}
