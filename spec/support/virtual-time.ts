/**
 * Driving a VirtualTimeScheduler by the clock rather than to exhaustion: the consumer's and the
 * producer's timers never run out, so `flush()` alone would never return.
 */
import type { VirtualTimeScheduler } from 'rxjs';

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

/** Lease count per owner (`(none)` for unowned), finished (SHARD_END) leases left out: what `reactive-kinesis leases` shows. */
export { ownerCounts as leaseCountsByOwner } from '../../lib/cli/lease-table';
