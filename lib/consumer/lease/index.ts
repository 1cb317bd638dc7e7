/**
 * Leases: who reads which shard. The coordinator and its pure parts.
 * @packageDocumentation
 */
export { leaseCoordinator } from './lease-coordinator';
export type { LeaseCoordinator, LeaseCoordinatorDeps, LeaseEvent } from './lease-coordinator';
export { defaultTakeIntervalMillis, resolveLeaseSettings } from './lease-settings';
export type { LeaseCoordinatorSettings, ResolvedLeaseSettings } from './lease-settings';
export { assignLeases } from './assignment';
export type { Assignment, AssignmentInput, AssignmentSettings } from './assignment';
export { isAvailable, isExpired, isVeryOld, NO_OBSERVATIONS, observeLeases } from './lease-observations';
export type { LeaseObservations, ObservedLease } from './lease-observations';
