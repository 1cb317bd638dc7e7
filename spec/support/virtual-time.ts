/**
 * Driving a VirtualTimeScheduler by the clock rather than to exhaustion: the consumer's and the
 * producer's timers never run out, so `flush()` alone would never return.
 */
import type { VirtualTimeScheduler } from 'rxjs';
import type { Lease } from '../../lib/model/lease';

/** Runs everything due up to virtual time `t`, and leaves the clock at `t` even when nothing is due then. */
export function runUntil(scheduler: VirtualTimeScheduler, t: number): void {
  scheduler.schedule(() => undefined, t - scheduler.now());
  scheduler.maxFrames = t;
  scheduler.flush();
  scheduler.maxFrames = Number.POSITIVE_INFINITY;
}

/** Lets `millis` of virtual time pass. */
export function runFor(scheduler: VirtualTimeScheduler, millis: number): void {
  runUntil(scheduler, scheduler.now() + millis);
}

/** Lease count per owner (`(none)` for unowned), finished (SHARD_END) leases left out. */
export function leaseCountsByOwner(leases: readonly Lease[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const lease of leases) {
    if (lease.checkpoint === 'SHARD_END') continue;
    const owner = lease.leaseOwner ?? '(none)';
    counts[owner] = (counts[owner] ?? 0) + 1;
  }
  return counts;
}
