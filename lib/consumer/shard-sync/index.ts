/**
 * Shard sync: leases for the stream's shards, readiness of children after resharding, cleanup.
 * @packageDocumentation
 */
export { syncShards } from './sync-shards';
export type { ShardSyncDeps, ShardSyncResult, ShardSyncSettings } from './sync-shards';
export { creationWaves, descendantCheckpoint, newLease, planLeases, shardFilterFor } from './plan-leases';
export type { LeasePlanInput } from './plan-leases';
export { planCleanup } from './plan-cleanup';
export type { LeaseDeletion } from './plan-cleanup';
export { isParentFinished, isReadyToConsume, unfinishedParents } from './shard-readiness';
export type { LeaseLookup } from './shard-readiness';
