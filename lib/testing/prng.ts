/**
 * A tiny seeded pseudo-random generator, so injected faults repeat exactly from run to run.
 * @packageDocumentation
 */

/** A source of numbers in [0, 1), like `Math.random`, but reproducible. */
export type Random = () => number;

/**
 * Mulberry32: 32 bits of state, fast, and good enough to decide which calls fail. Not for anything
 * that needs cryptographic or statistical quality.
 * @param seed any integer; only its low 32 bits matter
 */
export function mulberry32(seed: number): Random {
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
