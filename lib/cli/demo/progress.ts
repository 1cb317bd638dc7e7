/**
 * The demo's progress line, printed about once a second.
 * @packageDocumentation
 */
import { formatCount, shortShardId } from '../format';

/** Where a worker process is. */
export type WorkerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'killed' | 'exited';

/** One worker in a progress line. */
export interface WorkerProgress {
  readonly id: string;
  readonly state: WorkerState;
  /** Deliveries it reported. */
  readonly consumed: number;
  /** Shards it reads. */
  readonly shards: readonly string[];
}

/** What a progress line shows. */
export interface ProgressSnapshot {
  readonly elapsedMillis: number;
  readonly events: number;
  readonly sent: number;
  readonly distinct: number;
  readonly duplicates: number;
  readonly workers: readonly WorkerProgress[];
}

/** `[  3.0 s] produced 45,000/100,000  consumed 39,983 (0 dup)  w1: 20,113 shards 0,1  w2: 19,870 shards 2,3`. */
export function formatProgress(snapshot: ProgressSnapshot): string {
  const seconds = `${(snapshot.elapsedMillis / 1000).toFixed(1)} s`.padStart(7);
  const workers = snapshot.workers.map((worker) => {
    const where = worker.state === 'running' ? `shards ${worker.shards.length === 0 ? '-' : worker.shards.map(shortShardId).join(',')}` : worker.state;
    return `${worker.id}: ${formatCount(worker.consumed)} ${where}`;
  });
  return [
    `[${seconds}]`,
    `produced ${formatCount(snapshot.sent)}/${formatCount(snapshot.events)}`,
    ` consumed ${formatCount(snapshot.distinct)} (${formatCount(snapshot.duplicates)} dup)`,
    ...workers.map((w) => ` ${w}`),
  ].join(' ');
}
