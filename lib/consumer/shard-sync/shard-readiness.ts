/**
 * Whether a shard may be consumed yet: after a split or merge, the records of a child must not be
 * handed out before those of its parents, so a child waits until every parent has been read to
 * its end (KCL `BlockOnParentShardTask`).
 *
 * A parent is finished when its lease is checkpointed SHARD_END, or when it has no lease at all:
 * either it was deleted after it finished, or nobody was ever going to read it (a shard closed
 * before the application started at LATEST). Shard sync creates parent leases before their
 * children's, so a child is never seen before a parent that will get a lease.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';

/** The current lease of a shard, or `undefined` when it has none. */
export type LeaseLookup = (shardId: string) => Lease | undefined;

/** True when the lease of a parent says it no longer holds anything back. */
export function isParentFinished(parent: Lease | undefined): boolean {
  return parent === undefined || parent.checkpoint === 'SHARD_END';
}

/** The parents of `lease` that still hold it back, in the lease's order. */
export function unfinishedParents(lease: Lease, lookup: LeaseLookup): string[] {
  return lease.parentShardIds.filter((parentId) => !isParentFinished(lookup(parentId)));
}

/**
 * True when the shard of `lease` may be read now: it is not finished itself, and each of its
 * parents is finished.
 */
export function isReadyToConsume(lease: Lease, lookup: LeaseLookup): boolean {
  return lease.checkpoint !== 'SHARD_END' && unfinishedParents(lease, lookup).length === 0;
}
