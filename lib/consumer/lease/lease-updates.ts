/**
 * Every conditional write the lease coordinator makes, as pure functions from the lease as last
 * seen to the update to send: the KCL's `takeLease` / `renewLease` / `evictLease`, the KCL 3.x
 * graceful handoff (`initiateGracefulLeaseHandoff` and its completion), checkpoints and the shard's
 * end, and the withdrawal of a handoff request by a worker that stops before it took the lease.
 *
 * Each update is conditional on the counter seen, so that a write based on an old view of the
 * lease fails instead of overwriting a newer one. Writes to a lease this worker holds also carry
 * {@link heldConditions}.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';
import type { CompoundSequenceNumber } from '../../model/sequence-number';
import type { LeaseUpdate } from '../../ports/lease-store-port';

/**
 * Takes `lease` for `workerId`: owner := this worker, counter + 1, any handoff marker removed, and
 * `ownerSwitchesSinceCheckpoint` + 1 when another worker read the shard last (the checkpoint owner
 * of a handoff, else the owner), as the KCL's `takeLease` does.
 */
export function takeUpdate(lease: Lease, workerId: string): LeaseUpdate {
  const lastReader = lease.checkpointOwner ?? lease.leaseOwner;
  return {
    expectedCounter: lease.leaseCounter,
    expectedCheckpointOwner: lease.checkpointOwner ?? null,
    set: { leaseOwner: workerId },
    ...(lease.checkpointOwner === undefined ? {} : { remove: ['checkpointOwner'] as const }),
    incrementOwnerSwitches: lastReader !== undefined && lastReader !== workerId,
  };
}

/** Whether a lease read back shows the take of `seen` by `workerId` applied. */
export function showsTake(seen: Lease, workerId: string, stored: Lease): boolean {
  return stored.leaseOwner === workerId && stored.leaseCounter === seen.leaseCounter + 1 && stored.checkpointOwner === undefined;
}

/**
 * Asks the owner of `lease` to hand it to `workerId` (KCL 3.x `initiateGracefulLeaseHandoff`):
 * owner := this worker, `checkpointOwner` := the owner, the counter left alone, conditional on the
 * counter and owner seen and on no handoff being under way. `undefined` when the lease has no
 * owner or is in a handoff already.
 */
export function requestHandoffUpdate(lease: Lease, workerId: string): LeaseUpdate | undefined {
  const holder = lease.leaseOwner;
  if (holder === undefined || lease.checkpointOwner !== undefined) return undefined;
  return {
    expectedCounter: lease.leaseCounter,
    expectedOwner: holder,
    expectedCheckpointOwner: null,
    keepCounter: true,
    set: { leaseOwner: workerId, checkpointOwner: holder },
  };
}

/** Whether a lease read back shows the handoff request of `seen` by `workerId` applied. */
export function showsHandoffRequest(seen: Lease, workerId: string, stored: Lease): boolean {
  return stored.leaseOwner === workerId && stored.checkpointOwner === seen.leaseOwner && stored.leaseCounter === seen.leaseCounter;
}

/**
 * Withdraws a handoff request `workerId` made and has not taken up (it is stopping): the lease goes
 * back to the worker asked, which keeps holding it as if nothing had happened, conditional on the
 * request still standing. The counter is left alone, so the holder's writes still match it.
 * `undefined` when `lease` does not show this worker's request.
 */
export function withdrawHandoffUpdate(lease: Lease, workerId: string): LeaseUpdate | undefined {
  const holder = lease.checkpointOwner;
  if (holder === undefined || lease.leaseOwner !== workerId) return undefined;
  return {
    expectedCounter: lease.leaseCounter,
    expectedOwner: workerId,
    expectedCheckpointOwner: holder,
    keepCounter: true,
    set: { leaseOwner: holder },
    remove: ['checkpointOwner'],
  };
}

/** A renewal: the counter moves, nothing else changes. */
export function renewUpdate(lease: Lease): LeaseUpdate {
  return { expectedCounter: lease.leaseCounter };
}

/** Checkpoints a record position; resets `ownerSwitchesSinceCheckpoint` and drops any pending checkpoint. */
export function checkpointUpdate(lease: Lease, workerId: string, position: CompoundSequenceNumber): LeaseUpdate {
  return {
    expectedCounter: lease.leaseCounter,
    expectedOwner: workerId,
    set: {
      checkpoint: position.sequenceNumber,
      checkpointSubSequenceNumber: position.subSequenceNumber,
      ownerSwitchesSinceCheckpoint: 0,
    },
    remove: ['pendingCheckpoint', 'pendingCheckpointSubSequenceNumber'],
  };
}

/**
 * The shard has been read to its end: checkpoint SHARD_END, record the children and give the lease
 * up (no owner), so that a finished shard counts for no worker. A shard that ends during a handoff
 * is finished for its new owner too, so the handoff marker goes as well.
 */
export function shardEndUpdate(lease: Lease, workerId: string, childShardIds: readonly string[]): LeaseUpdate {
  return {
    expectedCounter: lease.leaseCounter,
    expectedOwner: workerId,
    set: {
      checkpoint: 'SHARD_END',
      checkpointSubSequenceNumber: 0,
      ownerSwitchesSinceCheckpoint: 0,
      ...(childShardIds.length > 0 ? { childShardIds } : {}),
    },
    remove: [
      'leaseOwner',
      'pendingCheckpoint',
      'pendingCheckpointSubSequenceNumber',
      ...(lease.checkpointOwner === undefined ? [] : (['checkpointOwner'] as const)),
    ],
  };
}

/**
 * Gives a held lease up after the final checkpoint: no owner, counter + 1, so any worker may take
 * it at its next round. During a handoff the lease names the worker that asked for it, and giving
 * it up means completing the handoff ({@link completeHandoffUpdate}) instead: removing the owner
 * would leave the lease to nobody, and its stale marker would keep every worker off it.
 */
export function releaseUpdate(lease: Lease, workerId: string, inHandoff: boolean): LeaseUpdate {
  return inHandoff ? completeHandoffUpdate(lease) : { expectedCounter: lease.leaseCounter, expectedOwner: workerId, remove: ['leaseOwner'] };
}

/** Whether a lease read back shows {@link releaseUpdate} applied. */
export function showsRelease(workerId: string, stored: Lease, inHandoff: boolean): boolean {
  // A completed handoff names the worker that asked; a withdrawn one names this worker again.
  return inHandoff ? stored.checkpointOwner === undefined && stored.leaseOwner !== workerId : stored.leaseOwner === undefined;
}

/**
 * Completes a handoff: `checkpointOwner` removed and the counter moved on, so the worker that asked
 * sees the lease free for it, and nothing the old holder might still write can land.
 */
export function completeHandoffUpdate(lease: Lease): LeaseUpdate {
  return { expectedCounter: lease.leaseCounter, remove: ['checkpointOwner'] };
}

/**
 * The conditions every write to a held lease carries besides its counter. Normally: this worker
 * owns it and no `checkpointOwner` is set (as the KCL 3.x renewer requires), so a handoff asked for
 * by another worker fails the write instead of being overlooked. During a handoff the lease names
 * the new owner, and what authorises this worker's writes is `checkpointOwner` naming it.
 */
export function heldConditions(update: LeaseUpdate, workerId: string, inHandoff: boolean): LeaseUpdate {
  if (!inHandoff) return { ...update, expectedCheckpointOwner: null };
  const { expectedOwner: _owner, ...rest } = update;
  return { ...rest, expectedCheckpointOwner: workerId };
}
