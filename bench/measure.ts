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
 * Times two contenders on the same work, alternating which goes first in each round, so that a
 * noisy machine slows both alike.
 */
export function compare(
  ours: () => unknown,
  anchor: () => unknown,
  options: MeasureOptions = {},
): { readonly ours: Timing; readonly anchor: Timing } {
  const { runs = 7, warmups = 3 } = options;
  for (let i = 0; i < warmups; i++) {
    sink = ours();
    sink = anchor();
  }
  const oursMs: number[] = [];
  const anchorMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      oursMs.push(time(ours));
      anchorMs.push(time(anchor));
    } else {
      anchorMs.push(time(anchor));
      oursMs.push(time(ours));
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
