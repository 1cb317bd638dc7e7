/**
 * Which leases a worker takes and which it steals in one round: the KCL 2.x lease taker
 * (`DynamoDBLeaseTaker`, kcl-kpl-spec §4.3) as a pure function, with deliberate changes for
 * rebalancing without redelivery and for a fast and even start.
 *
 * The KCL's round, kept here:
 * 1. `available` = every lease nobody owns or whose owner let it expire (see `lease-observations`).
 * 2. Count the leases of every live owner (available leases count for nobody); the workers are
 *    those owners plus this one.
 * 3. target = 1 when there are at least as many workers as leases, else ceil(leases / workers),
 *    never above `maxLeasesForWorker`.
 * 4. needed = target − mine; nothing to do unless needed > 0.
 * 5. Take up to `needed` available leases.
 * 6. Only when none is available, steal from the most loaded worker: min(needed, its count −
 *    target) leases, at least 1 when needed > 1, at most `maxLeasesToStealAtOneTime`.
 *
 * What differs, and why:
 * - **Steals are graceful handoffs.** A KCL 2.x steal takes the lease at once; the victim learns
 *   it at its next renewal and stops without a checkpoint, so the thief reads again everything
 *   since the victim's last checkpoint. Here the coordinator asks for a stolen lease as KCL 3.x
 *   does (`checkpointOwner`), and the victim checkpoints before it hands it over. While that
 *   goes on the lease counts for this worker, and once it is handed over it is taken like any
 *   lease that names this worker; such a lease does not hold the next steal back as a free lease
 *   would (needed counts it), so rebalancing does not slow down to one lease every two rounds.
 * - **No grab-everything rule.** The KCL takes every "very old" lease at once, ignoring the target
 *   (new leases count as very old), so the first worker to scan a fresh table takes every shard and
 *   the others then steal them back one per round, each steal interrupting a shard that had just
 *   started. Here very old leases only come first in the order of preference; the target still
 *   bounds how many are taken.
 * - **One unseen peer on the first round.** Workers only learn of each other through the leases
 *   they own, so on a fresh table every starting worker believes it is alone and would take all.
 *   On its first round a worker therefore counts one worker more than it can see: two workers that
 *   start together each take about half, and a worker that is really alone takes the rest on its
 *   second round, which the coordinator runs half a take interval after the first: a
 *   start-up of two rounds however many shards (not one lease per round, the complaint about
 *   vmware-go-kcl). A lease freed while the worker runs (released by a stopping
 *   peer, or expired) is taken at once, up to the target.
 *
 * Also:
 * - Leases already at SHARD_END are finished: nobody takes them and they count for nobody.
 * - A lease with `checkpointOwner` set whose counter still moves is in a KCL 3.x handoff: it
 *   counts for its new owner (`leaseOwner`) already, and is never stolen. Its new owner takes it
 *   when the old owner has handed it over (the marker is gone), or itself once the handoff is
 *   overdue (`gracefulLeaseHandoffTimeoutMillis` + failover after it began, the KCL leader's
 *   `blockedOnPendingCheckpoint`). Once its counter has stood still for the failover time (the old
 *   owner died) it is available to any worker, like any expired lease.
 * - A lease the table says is ours but that this worker does not hold (a restart under the same
 *   worker id, or a renewal whose answer was lost) is taken back first.
 * - `excluded` leases (released by this worker a moment ago) are never taken, so another worker
 *   gets them first.
 * - The KCL chooses at random among candidates to lower contention. Here each worker orders
 *   leases by a hash of (worker id, lease key): as good at spreading workers over different leases,
 *   and deterministic, so a test can be repeated exactly.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';
import { isAvailable, isExpired, isHandoffOverdue, isVeryOld, type LeaseObservations, type ObservedLease } from './lease-observations';

/** The knobs of the strategy (the KCL's names). */
export interface AssignmentSettings {
  /** A lease whose counter stands still for longer than this is expired. */
  readonly failoverTimeMillis: number;
  /** The most leases this worker holds. */
  readonly maxLeasesForWorker: number;
  /** The most leases stolen in one round; 0 never steals. */
  readonly maxLeasesToStealAtOneTime: number;
  /** How long the old owner of a handoff may take to checkpoint and hand the lease over (KCL 3.x default 30000). */
  readonly gracefulLeaseHandoffTimeoutMillis: number;
}

/** What one round decides from. */
export interface AssignmentInput {
  /** The leases of the last scan, with when this worker saw each counter change. */
  readonly observations: LeaseObservations;
  readonly workerId: string;
  /** Scheduler time of the decision (the time of the scan). */
  readonly nowMillis: number;
  /** Leases this worker holds right now. */
  readonly held: ReadonlySet<string>;
  /** Leases this worker must not take this round. */
  readonly excluded?: ReadonlySet<string>;
  /** Count one worker more than can be seen (the first round after start). */
  readonly assumeUnseenWorker?: boolean;
  readonly settings: AssignmentSettings;
}

/** The decision of one round. */
export interface Assignment {
  /**
   * Available leases to take (unowned, expired, ours but not held, or handed to us and overdue), in
   * order of preference.
   */
  readonly take: readonly Lease[];
  /** Leases of a live worker to ask for: a graceful handoff, never one already in a handoff. */
  readonly steal: readonly Lease[];
  /** The share this worker aims at. */
  readonly target: number;
  /** The workers counted, this one (and the assumed unseen one) included. */
  readonly workers: number;
  /** Leases this worker holds that count towards the target. */
  readonly mine: number;
}

/** Decides one round. Pure: the same input gives the same answer. */
export function assignLeases(input: AssignmentInput): Assignment {
  const { observations, workerId, nowMillis, held, settings } = input;
  const { failoverTimeMillis } = settings;
  const excluded = input.excluded ?? new Set<string>();
  const assignable = [...observations.values()].filter(isAssignable);

  const available: ObservedLease[] = [];
  const byOwner = new Map<string, ObservedLease[]>();
  const countFor = (owner: string, observed: ObservedLease): void => {
    const leases = byOwner.get(owner);
    if (leases === undefined) byOwner.set(owner, [observed]);
    else leases.push(observed);
  };
  let mine = 0;
  for (const observed of assignable) {
    const { leaseKey, leaseOwner } = observed.lease;
    if (inHandoff(observed, nowMillis, failoverTimeMillis)) {
      // The old owner is checkpointing before it hands the lease to `leaseOwner`: it counts for the
      // new owner already, and nobody else may touch it. The new owner takes it once the old owner
      // has given it up, or after the handoff timed out.
      if (leaseOwner === workerId) {
        if (isHandoffOverdue(observed, nowMillis, settings.gracefulLeaseHandoffTimeoutMillis, failoverTimeMillis) && !excluded.has(leaseKey)) {
          available.push(observed);
        } else {
          mine += 1;
        }
      } else if (leaseOwner !== undefined) {
        countFor(leaseOwner, observed);
      }
    } else if (held.has(leaseKey) && leaseOwner === workerId) {
      mine += 1;
    } else if (leaseOwner === workerId || isAvailable(observed, nowMillis, failoverTimeMillis)) {
      if (!excluded.has(leaseKey)) available.push(observed);
    } else if (leaseOwner !== undefined) {
      // Held by a live worker. (A lease we hold that the table gives to someone else has been stolen.)
      countFor(leaseOwner, observed);
    }
  }

  const workers = byOwner.size + 1 + (input.assumeUnseenWorker === true ? 1 : 0);
  const fairShare = workers >= assignable.length ? 1 : Math.ceil(assignable.length / workers);
  const target = Math.min(fairShare, settings.maxLeasesForWorker);
  const needed = target - mine;
  const nothing: Assignment = { take: [], steal: [], target, workers, mine };
  if (assignable.length === 0 || needed <= 0) return nothing;

  const take = [...available]
    .sort(byPreference(workerId, nowMillis, failoverTimeMillis))
    .slice(0, needed)
    .map((o) => o.lease);
  // Leases already ours (handed over after an earlier steal, most often) do not hold a steal back:
  // they are that steal's end, not a free lease.
  const stillNeeded = needed - take.length;
  if (stillNeeded <= 0 || available.some((o) => o.lease.leaseOwner !== workerId)) return { ...nothing, take };

  const victim = mostLoaded(byOwner, workerId);
  if (victim === undefined) return { ...nothing, take };
  const [, victimLeases] = victim;
  let count = 0;
  if (victimLeases.length >= target) {
    count = Math.min(stillNeeded, victimLeases.length - target);
    if (count === 0 && stillNeeded > 1) count = 1;
  }
  count = Math.min(count, settings.maxLeasesToStealAtOneTime);
  const steal = victimLeases
    .filter((o) => o.lease.checkpointOwner === undefined)
    .sort((a, b) => preference(workerId, a.lease.leaseKey) - preference(workerId, b.lease.leaseKey))
    .slice(0, count)
    .map((o) => o.lease);
  return { ...nothing, take, steal };
}

/** Finished leases are nobody's business here. */
function isAssignable(observed: ObservedLease): boolean {
  return observed.lease.checkpoint !== 'SHARD_END';
}

/** A handoff whose old owner is alive: `checkpointOwner` set and the counter still moving. */
function inHandoff(observed: ObservedLease, nowMillis: number, failoverTimeMillis: number): boolean {
  return observed.lease.checkpointOwner !== undefined && !isExpired(observed, nowMillis, failoverTimeMillis);
}

/** Ours first, then very old, then the rest; ties by this worker's hash order. */
function byPreference(workerId: string, nowMillis: number, failoverTimeMillis: number): (a: ObservedLease, b: ObservedLease) => number {
  const rank = (o: ObservedLease): number => {
    if (o.lease.leaseOwner === workerId) return 0;
    return isVeryOld(o, nowMillis, failoverTimeMillis) ? 1 : 2;
  };
  return (a, b) => rank(a) - rank(b) || preference(workerId, a.lease.leaseKey) - preference(workerId, b.lease.leaseKey);
}

/** The worker with the most live leases; ties broken by this worker's hash order, so thieves spread. */
function mostLoaded(byOwner: ReadonlyMap<string, readonly ObservedLease[]>, workerId: string): [string, readonly ObservedLease[]] | undefined {
  let best: [string, readonly ObservedLease[]] | undefined;
  for (const entry of byOwner) {
    if (
      best === undefined ||
      entry[1].length > best[1].length ||
      (entry[1].length === best[1].length && preference(workerId, entry[0]) < preference(workerId, best[0]))
    ) {
      best = entry;
    }
  }
  return best;
}

/**
 * A number that orders keys differently for each worker: 32-bit FNV-1a of `workerId`, a separator
 * and `key`. Only its order matters.
 */
export function preference(workerId: string, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${workerId}\u0000${key}`;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
