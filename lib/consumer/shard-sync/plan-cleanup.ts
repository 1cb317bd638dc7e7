/**
 * Which finished leases to delete (`kcl.cleanupLeasesUponShardCompletion`), simplified from the
 * KCL's `LeaseCleanupManager` (kcl-kpl-spec §4.4).
 *
 * A lease is deleted when it is checkpointed SHARD_END, none of its parents still has a lease
 * (lineages are removed from the top, so shard sync can always walk from an open shard up to a
 * leased ancestor), and either
 * - every child shard has a lease whose checkpoint is past the start (a sequence number or
 *   SHARD_END): the children have made progress, so nothing can need the parent again; or
 * - the shard is no longer listed by the stream (its records have been trimmed): there is nothing
 *   left to protect, and keeping the lease would only have workers look after a shard that is gone.
 *
 * The children are the lease's `childShardIds` (written at shard end), or else the listed shards
 * that name it as a parent (leases written by an old KCL carry no child ids). A finished lease whose
 * children are unknown is kept. Leases that are not finished are never deleted here.
 *
 * Any worker may run the cleanup: each delete is conditional on the counter it saw, so a lease that
 * changed in the meantime is left alone.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';
import type { Shard } from '../../ports/kinesis-port';

/** A lease to delete, with the counter the delete is conditional on. */
export interface LeaseDeletion {
  readonly leaseKey: string;
  readonly expectedCounter: number;
}

const NOT_STARTED: ReadonlySet<string> = new Set(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']);

/**
 * The finished leases that can go.
 * @param leases every lease of the table
 * @param shards an unfiltered ListShards result, or `undefined` when the shards are not known (then
 *   only the children rule applies)
 */
export function planCleanup(leases: readonly Lease[], shards: readonly Shard[] | undefined): LeaseDeletion[] {
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const listed = shards === undefined ? undefined : new Set(shards.map((s) => s.shardId));
  const childrenOf = (lease: Lease): readonly string[] => {
    if (lease.childShardIds !== undefined && lease.childShardIds.length > 0) return lease.childShardIds;
    return (shards ?? [])
      .filter((s) => s.parentShardId === lease.leaseKey || s.adjacentParentShardId === lease.leaseKey)
      .map((s) => s.shardId);
  };
  const hasProgressed = (shardId: string): boolean => {
    const child = byKey.get(shardId);
    return child !== undefined && !NOT_STARTED.has(child.checkpoint);
  };
  return leases
    .filter((lease) => lease.checkpoint === 'SHARD_END')
    .filter((lease) => lease.parentShardIds.every((parentId) => !byKey.has(parentId)))
    .filter((lease) => {
      const gone = listed !== undefined && listed.size > 0 && !listed.has(lease.leaseKey);
      const children = childrenOf(lease);
      return gone || (children.length > 0 && children.every(hasProgressed));
    })
    .map((lease) => ({ leaseKey: lease.leaseKey, expectedCounter: lease.leaseCounter }));
}
