/**
 * Which lease updates can be expressed at all, whatever the stored item holds. Both lease-store
 * implementations (DynamoDB and in-memory) refuse the same updates with the same error, so a test
 * on the fake tells the truth about the real store.
 * @packageDocumentation
 */
import { LeaseStoreError } from '../model/errors';
import type { LeaseChanges, RemovableLeaseAttribute } from '../model/lease';
import type { LeaseUpdate } from './lease-store-port';

const SETTABLE: ReadonlySet<string> = new Set<keyof LeaseChanges>([
  'leaseOwner',
  'checkpoint',
  'checkpointSubSequenceNumber',
  'ownerSwitchesSinceCheckpoint',
  'childShardIds',
  'startingHashKey',
  'endingHashKey',
  'pendingCheckpoint',
  'pendingCheckpointSubSequenceNumber',
  'checkpointOwner',
]);

const REMOVABLE: ReadonlySet<string> = new Set<RemovableLeaseAttribute>([
  'leaseOwner',
  'checkpointOwner',
  'pendingCheckpoint',
  'pendingCheckpointSubSequenceNumber',
]);

/** An update that cannot be expressed: code `InvalidUpdate`, not retryable. */
export function invalidLeaseUpdate(operation: string, message: string): LeaseStoreError {
  return new LeaseStoreError(operation, 'InvalidUpdate', message);
}

/** @throws LeaseStoreError `InvalidUpdate` unless the counter is a non-negative integer */
export function checkExpectedCounter(operation: string, counter: number): void {
  if (!(Number.isSafeInteger(counter) && counter >= 0)) {
    throw invalidLeaseUpdate(operation, `expectedCounter must be a non-negative integer, got ${counter}`);
  }
}

/**
 * @throws LeaseStoreError `InvalidUpdate` for a bad counter, an attribute that cannot be set or
 *   removed, one changed twice (set and removed, or set and incremented), or an update that keeps
 *   the counter and changes nothing (DynamoDB has no empty update)
 */
export function checkLeaseUpdate(update: LeaseUpdate): void {
  checkExpectedCounter('UpdateItem', update.expectedCounter);
  const set = Object.entries(update.set ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  const remove: readonly string[] = update.remove ?? [];
  for (const name of set) if (!SETTABLE.has(name)) throw invalidLeaseUpdate('UpdateItem', `${name} cannot be set`);
  for (const name of remove) if (!REMOVABLE.has(name)) throw invalidLeaseUpdate('UpdateItem', `${name} cannot be removed`);
  const twice = set.filter((name) => remove.includes(name));
  if (update.incrementOwnerSwitches === true && set.includes('ownerSwitchesSinceCheckpoint')) twice.push('ownerSwitchesSinceCheckpoint');
  if (twice.length > 0) throw invalidLeaseUpdate('UpdateItem', `${twice.join(', ')} changed twice in one update`);
  if (update.keepCounter === true && set.length === 0 && remove.length === 0 && update.incrementOwnerSwitches !== true) {
    throw invalidLeaseUpdate('UpdateItem', 'an update that keeps the counter must change something');
  }
}
