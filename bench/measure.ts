/**
 * Timing helpers for benchmarks: warm up, then time several runs and report the median. Benchmarks
 * print; they never assert on time.
 */
import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Median of the timed runs, in milliseconds. */
  readonly medianMs: number;
  /** Every timed run, in milliseconds, in the order they ran. */
  readonly runsMs: readonly number[];
}

export interface MeasureOptions {
  /** Timed runs (default 7). */
  readonly runs?: number;
  /** Untimed runs first, so the JIT has settled (default 3). */
  readonly warmups?: number;
}

/** Anything a run returns is kept here so the work cannot be optimised away. */
export let sink: unknown;

/** Times `run` after warm-up runs. */
export function measure(run: () => unknown, options: MeasureOptions = {}): Timing {
  const { runs = 7, warmups = 3 } = options;
  for (let i = 0; i < warmups; i++) sink = run();
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(time(run));
  return { medianMs: median(runsMs), runsMs };
}

/**
 * Times two contenders on the same work. Runs go in blocks that alternate between the two, so a
 * load that drifts over time slows both alike; each block opens with an untimed run, so that
 * garbage the other contender left behind is not collected on this one's clock.
 */
export function compare(
  ours: () => unknown,
  anchor: () => unknown,
  options: MeasureOptions & { readonly blocks?: number } = {},
): { readonly ours: Timing; readonly anchor: Timing } {
  const { runs = 9, warmups = 3, blocks = 3 } = options;
  for (let i = 0; i < warmups; i++) {
    sink = ours();
    sink = anchor();
  }
  const oursMs: number[] = [];
  const anchorMs: number[] = [];
  const block = (run: () => unknown, into: number[], count: number) => {
    sink = run();
    for (let i = 0; i < count; i++) into.push(time(run));
  };
  for (let b = 0; b < blocks; b++) {
    const count = Math.ceil((runs - oursMs.length) / (blocks - b));
    if (b % 2 === 0) {
      block(ours, oursMs, count);
      block(anchor, anchorMs, count);
    } else {
      block(anchor, anchorMs, count);
      block(ours, oursMs, count);
    }
  }
  return { ours: { medianMs: median(oursMs), runsMs: oursMs }, anchor: { medianMs: median(anchorMs), runsMs: anchorMs } };
}

function time(run: () => unknown): number {
  const start = performance.now();
  sink = run();
  return performance.now() - start;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Items per second for `count` items done in `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

/** `1234567` → `"1.23 M"`. */
export function formatRate(perSec: number): string {
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : `${(perSec / 1e3).toFixed(1)} k`;
}
