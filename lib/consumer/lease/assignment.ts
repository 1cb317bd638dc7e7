/**
 * Which leases a worker takes and which it steals in one round: the KCL 2.x lease taker
 * (`DynamoDBLeaseTaker`, kcl-kpl-spec §4.3) as a pure function, with two deliberate changes for a
 * fast and even start.
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
 * - Leases with `checkpointOwner` set are in a KCL 3.x handoff and are left alone.
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
import { isAvailable, isVeryOld, type LeaseObservations, type ObservedLease } from './lease-observations';

/** The knobs of the strategy (the KCL's names). */
export interface AssignmentSettings {
  /** A lease whose counter stands still for longer than this is expired. */
  readonly failoverTimeMillis: number;
  /** The most leases this worker holds. */
  readonly maxLeasesForWorker: number;
  /** The most leases stolen in one round; 0 never steals. */
  readonly maxLeasesToStealAtOneTime: number;
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
  /** Available leases to take (unowned, expired, or ours but not held), in order of preference. */
  readonly take: readonly Lease[];
  /** Leases of a live worker to take over. */
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
  let mine = 0;
  for (const observed of assignable) {
    const { leaseKey, leaseOwner } = observed.lease;
    if (held.has(leaseKey) && leaseOwner === workerId) {
      mine += 1;
    } else if (leaseOwner === workerId || isAvailable(observed, nowMillis, failoverTimeMillis)) {
      if (!excluded.has(leaseKey)) available.push(observed);
    } else if (leaseOwner !== undefined) {
      // Held by a live worker. (A lease we hold that the table gives to someone else has been stolen.)
      byOwner.set(leaseOwner, [...(byOwner.get(leaseOwner) ?? []), observed]);
    }
  }

  const workers = byOwner.size + 1 + (input.assumeUnseenWorker === true ? 1 : 0);
  const fairShare = workers >= assignable.length ? 1 : Math.ceil(assignable.length / workers);
  const target = Math.min(fairShare, settings.maxLeasesForWorker);
  const needed = target - mine;
  const nothing: Assignment = { take: [], steal: [], target, workers, mine };
  if (assignable.length === 0 || needed <= 0) return nothing;

  if (available.length > 0) {
    const ordered = [...available].sort(byPreference(workerId, nowMillis, failoverTimeMillis));
    return { ...nothing, take: ordered.slice(0, needed).map((o) => o.lease) };
  }

  const victim = mostLoaded(byOwner, workerId);
  if (victim === undefined) return nothing;
  const [, victimLeases] = victim;
  let count = 0;
  if (victimLeases.length >= target) {
    count = Math.min(needed, victimLeases.length - target);
    if (count === 0 && needed > 1) count = 1;
  }
  count = Math.min(count, settings.maxLeasesToStealAtOneTime);
  const steal = [...victimLeases]
    .sort((a, b) => preference(workerId, a.lease.leaseKey) - preference(workerId, b.lease.leaseKey))
    .slice(0, count)
    .map((o) => o.lease);
  return { ...nothing, steal };
}

/** Finished leases and leases in a KCL 3.x handoff are nobody's business here. */
function isAssignable(observed: ObservedLease): boolean {
  return observed.lease.checkpoint !== 'SHARD_END' && observed.lease.checkpointOwner === undefined;
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
