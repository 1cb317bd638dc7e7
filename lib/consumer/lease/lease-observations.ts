/**
 * Lease expiry without comparing clocks across hosts, as the KCL judges it (`Lease.isExpired`,
 * `DynamoDBLeaseTaker.updateAllLeases`): a worker never reads another worker's time. It remembers,
 * on its own scheduler's clock, when it last saw each lease's counter change. A holder renews by
 * moving the counter on every `failoverTimeMillis / 3`, so a counter that has stood still for longer
 * than `failoverTimeMillis` of *our* time means the holder has stopped.
 *
 * The bookkeeping after each scan of the table:
 * - a lease seen before whose counter is unchanged keeps the time it was last seen changing;
 * - a lease whose counter changed gets the time of this scan;
 * - a lease seen for the first time with an owner gets the time of this scan (we cannot know how
 *   long it has stood still, so its owner gets a full failover period from now);
 * - a lease seen for the first time with no owner is available at once, and counts as "very old";
 * - a lease missing from the scan is forgotten (deleted, or cleaned up after its shard ended);
 * - a KCL 3.x handoff (`checkpointOwner` set) keeps the time it was first seen, for as long as the
 *   same owner and checkpoint owner stand; the counter says nothing of it, as a handoff leaves the
 *   counter alone.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';

/** What this worker knows about one lease. */
export interface ObservedLease {
  /** The lease as last scanned. */
  readonly lease: Lease;
  /**
   * Scheduler time at which this worker last saw the counter change. `-Infinity` for a lease first
   * seen without an owner: nobody is renewing it, so it has, for our purposes, stood still forever.
   */
  readonly counterChangedAtMillis: number;
  /**
   * Scheduler time at which this worker first saw the lease's current handoff (its `leaseOwner`
   * and `checkpointOwner` pair), or started it; absent when `checkpointOwner` is not set.
   */
  readonly handoffSinceMillis?: number;
}

/** Every lease of the last scan by key. */
export type LeaseObservations = ReadonlyMap<string, ObservedLease>;

/** Nothing seen yet. */
export const NO_OBSERVATIONS: LeaseObservations = new Map();

/** How many failover periods a counter must stand still before a lease counts as very old (the KCL's `veryOldLeaseDurationNanosMultiplier`). */
export const VERY_OLD_MULTIPLIER = 3;

/**
 * The observations after a scan.
 * @param previous the observations after the previous scan
 * @param scanned every lease of the table, as just read
 * @param nowMillis the scheduler time at which the scan answered
 */
export function observeLeases(previous: LeaseObservations, scanned: readonly Lease[], nowMillis: number): LeaseObservations {
  const next = new Map<string, ObservedLease>();
  for (const lease of scanned) {
    const before = previous.get(lease.leaseKey);
    let counterChangedAtMillis: number;
    if (before === undefined) {
      counterChangedAtMillis = lease.leaseOwner === undefined ? Number.NEGATIVE_INFINITY : nowMillis;
    } else if (before.lease.leaseCounter === lease.leaseCounter) {
      counterChangedAtMillis = before.counterChangedAtMillis;
    } else {
      counterChangedAtMillis = nowMillis;
    }
    const sameHandoff =
      before?.handoffSinceMillis !== undefined &&
      before.lease.checkpointOwner === lease.checkpointOwner &&
      before.lease.leaseOwner === lease.leaseOwner;
    const handoffSinceMillis = lease.checkpointOwner === undefined ? undefined : sameHandoff ? before.handoffSinceMillis : nowMillis;
    next.set(lease.leaseKey, { lease, counterChangedAtMillis, ...(handoffSinceMillis === undefined ? {} : { handoffSinceMillis }) });
  }
  return next;
}

/**
 * True when a handoff has waited for its old owner longer than it may: the KCL leader's
 * `blockedOnPendingCheckpoint` ends at handoff start + `handoffTimeoutMillis` + failover.
 */
export function isHandoffOverdue(observed: ObservedLease, nowMillis: number, handoffTimeoutMillis: number, failoverTimeMillis: number): boolean {
  const since = observed.handoffSinceMillis;
  return since !== undefined && nowMillis - since >= handoffTimeoutMillis + failoverTimeMillis;
}

/** True when the counter has stood still for longer than `failoverTimeMillis` of our time. */
export function isExpired(observed: ObservedLease, nowMillis: number, failoverTimeMillis: number): boolean {
  return nowMillis - observed.counterChangedAtMillis > failoverTimeMillis;
}

/** True when nobody owns the lease, or its owner has stopped renewing it. */
export function isAvailable(observed: ObservedLease, nowMillis: number, failoverTimeMillis: number): boolean {
  return observed.lease.leaseOwner === undefined || isExpired(observed, nowMillis, failoverTimeMillis);
}

/**
 * True when the counter has stood still for more than {@link VERY_OLD_MULTIPLIER} failover periods,
 * which includes every lease first seen without an owner.
 */
export function isVeryOld(observed: ObservedLease, nowMillis: number, failoverTimeMillis: number): boolean {
  return nowMillis - observed.counterChangedAtMillis > VERY_OLD_MULTIPLIER * failoverTimeMillis;
}
