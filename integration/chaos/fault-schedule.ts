/**
 * The faults of a chaos run, planned from its seed before it starts: when each comes, what it is,
 * which worker slot it aims at, how long a pause lasts and how soon a stopped worker is restarted.
 * The same seed plans the same faults; which process receives one still depends on what the
 * workers are doing then (a slot that is paused or restarting passes the fault on to the next).
 * @packageDocumentation
 */
import { mulberry32, type Random } from '../../lib/testing/prng';

/**
 * - `kill`: SIGKILL, then a new process in the slot;
 * - `pause`: SIGSTOP for longer than the failover time, then SIGCONT (the same process goes on);
 * - `term`: SIGTERM, a graceful stop (final checkpoints, leases released), then a new process.
 */
export type FaultKind = 'kill' | 'pause' | 'term';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'term'];

/** One fault as planned. */
export interface PlannedFault {
  /** Milliseconds after production starts. */
  readonly atMillis: number;
  readonly kind: FaultKind;
  /** The slot aimed at (0-based). */
  readonly slot: number;
  /** `pause`: how long the process stays stopped, 1.5 to 2.5 failover times. */
  readonly pauseMillis: number;
  /** `kill` and `term`: how long after the process has gone a new one is started. */
  readonly restartAfterMillis: number;
}

/** What a schedule is planned for. */
export interface ScheduleOptions {
  readonly seed: number;
  readonly workers: number;
  /** Faults come while events are produced, this long. */
  readonly durationMillis: number;
  readonly failoverTimeMillis: number;
}

const between = (random: Random, low: number, high: number): number => Math.round(low + random() * (high - low));

/** The kinds in shuffled blocks of one of each, so that every kind comes as often as the others. */
function kinds(random: Random): () => FaultKind {
  let block: FaultKind[] = [];
  return () => {
    if (block.length === 0) {
      block = [...FAULT_KINDS];
      for (let i = block.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [block[i], block[j]] = [block[j]!, block[i]!];
      }
    }
    return block.pop()!;
  };
}

/**
 * The faults for `options`: the first a quarter of the duration in (at most 8 s, when the leases
 * have spread), then one every 1.5 to 3 failover times while production lasts.
 */
export function faultSchedule(options: ScheduleOptions): PlannedFault[] {
  const random = mulberry32(options.seed);
  const nextKind = kinds(random);
  const failover = options.failoverTimeMillis;
  const faults: PlannedFault[] = [];
  for (let at = Math.min(8_000, options.durationMillis / 4); at < options.durationMillis; at += between(random, 1.5 * failover, 3 * failover)) {
    faults.push({
      atMillis: Math.round(at),
      kind: nextKind(),
      slot: Math.floor(random() * options.workers),
      pauseMillis: between(random, 1.5 * failover, 2.5 * failover),
      restartAfterMillis: between(random, 500, 3_000),
    });
  }
  return faults;
}
