/**
 * One in-memory lease table and DynamoDB's conditional-write semantics over it, as
 * `LeaseStorePort` documents them: every update is conditional on the counter (and optionally the
 * owner and checkpoint owner) and adds 1 to it unless it keeps the counter; a failed condition is a value. Leases are copied on the way in and out,
 * so a caller can never change what the table holds except through a write.
 * @packageDocumentation
 */
import type { Lease, LeaseChanges, RemovableLeaseAttribute } from '../model/lease';
import { LeaseStoreError } from '../model/errors';
import type { LeaseDeleteResult, LeaseUpdate, LeaseWriteResult } from '../ports/lease-store-port';
import { checkExpectedCounter, checkLeaseUpdate } from '../ports/lease-update-rules';

export { checkExpectedCounter };

const CONDITION_FAILED = { _tag: 'ConditionFailed' } as const;

function validation(operation: string, message: string): LeaseStoreError {
  return new LeaseStoreError(operation, 'ValidationException', message);
}


/**
 * A deep copy of a lease holding only the attributes that are present, as DynamoDB would return it:
 * no `undefined` members, and no empty `childShardIds` (DynamoDB has no empty sets).
 */
export function copyLease(lease: Lease): Lease {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(lease)) {
    if (value === undefined) continue;
    copy[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  if (Array.isArray(copy['childShardIds']) && copy['childShardIds'].length === 0) delete copy['childShardIds'];
  if (!Array.isArray(copy['parentShardIds'])) copy['parentShardIds'] = [];
  return copy as unknown as Lease;
}

/** @throws LeaseStoreError ValidationException when the lease could not be stored */
function checkLease(operation: string, lease: Lease): void {
  if (typeof lease.leaseKey !== 'string' || lease.leaseKey.length === 0) {
    throw validation(operation, 'leaseKey must be a non-empty string');
  }
  if (!Number.isSafeInteger(lease.leaseCounter)) {
    throw validation(operation, `leaseCounter of ${lease.leaseKey} must be an integer, got ${lease.leaseCounter}`);
  }
}

/** The lease after `set`, `remove` and the owner-switch increment, with the counter moved on by 1 unless `keepCounter`. */
export function applyChanges(
  lease: Lease,
  set: LeaseChanges = {},
  remove: readonly RemovableLeaseAttribute[] = [],
  incrementOwnerSwitches = false,
  keepCounter = false,
): Lease {
  const next: Record<string, unknown> = { ...lease };
  for (const [name, value] of Object.entries(set)) if (value !== undefined) next[name] = value;
  for (const name of remove) delete next[name];
  if (incrementOwnerSwitches) next['ownerSwitchesSinceCheckpoint'] = lease.ownerSwitchesSinceCheckpoint + 1;
  if (!keepCounter) next['leaseCounter'] = lease.leaseCounter + 1;
  return copyLease(next as unknown as Lease);
}

/** The leases of one table, keyed by `leaseKey`. */
export class LeaseTable {
  private readonly items = new Map<string, Lease>();

  /** Every lease (copies), sorted by key; DynamoDB promises no order, this makes tests repeatable. */
  list(): Lease[] {
    return [...this.items.keys()].sort().map((key) => copyLease(this.items.get(key) as Lease));
  }

  get(leaseKey: string): Lease | undefined {
    const lease = this.items.get(leaseKey);
    return lease === undefined ? undefined : copyLease(lease);
  }

  /** PutItem with `attribute_not_exists(leaseKey)`. */
  create(lease: Lease): LeaseWriteResult {
    checkLease('PutItem', lease);
    if (this.items.has(lease.leaseKey)) return CONDITION_FAILED;
    return { _tag: 'Written', lease: this.store(lease) };
  }

  /** UpdateItem conditional on the counter and, when given, the owner and checkpoint owner (`null`: none). */
  update(leaseKey: string, update: LeaseUpdate): LeaseWriteResult {
    checkLeaseUpdate(update);
    const current = this.items.get(leaseKey);
    if (current === undefined || current.leaseCounter !== update.expectedCounter) return CONDITION_FAILED;
    if (update.expectedOwner !== undefined && (current.leaseOwner ?? null) !== update.expectedOwner) return CONDITION_FAILED;
    if (update.expectedCheckpointOwner !== undefined && (current.checkpointOwner ?? null) !== update.expectedCheckpointOwner) return CONDITION_FAILED;
    const next = applyChanges(current, update.set, update.remove, update.incrementOwnerSwitches === true, update.keepCounter === true);
    return { _tag: 'Written', lease: this.store(next) };
  }

  /** DeleteItem, conditional on the counter when `expectedCounter` is given; deleting nothing succeeds. */
  delete(leaseKey: string, expectedCounter?: number): LeaseDeleteResult {
    if (expectedCounter !== undefined) {
      checkExpectedCounter('DeleteItem', expectedCounter);
      const current = this.items.get(leaseKey);
      if (current === undefined || current.leaseCounter !== expectedCounter) return CONDITION_FAILED;
    }
    this.items.delete(leaseKey);
    return { _tag: 'Deleted' };
  }

  /** Stores a copy without any condition and returns another copy. */
  store(lease: Lease): Lease {
    checkLease('putLease', lease);
    this.items.set(lease.leaseKey, copyLease(lease));
    return copyLease(lease);
  }
}
