/**
 * The narrow view of the lease table (DynamoDB) the lease coordinator and checkpointer talk to.
 * Every method returns a cold Observable that performs the call on subscribe and emits once.
 * A failed condition is an expected outcome and arrives as a value; throttling and other faults
 * arrive on the error channel as `LeaseStoreThrottledError`, `LeaseTableNotFoundError` or
 * `LeaseStoreError`.
 * @packageDocumentation
 */
import type { Observable } from 'rxjs';
import type { Lease, LeaseChanges, RemovableLeaseAttribute } from '../model/lease';

/** The outcome of a conditional write. */
export type LeaseWriteResult =
  | { readonly _tag: 'Written'; readonly lease: Lease }
  | {
      readonly _tag: 'ConditionFailed';
      /**
       * The client sent the write more than once: an earlier attempt may have been applied and its
       * answer lost, so only reading the item back tells whether the write is in.
       */
      readonly maybeApplied?: true;
    };

/** The outcome of a (possibly conditional) delete. */
export type LeaseDeleteResult = { readonly _tag: 'Deleted' } | { readonly _tag: 'ConditionFailed' };

/**
 * A conditional update: applied only while the stored counter (and owner and checkpoint owner,
 * when given) match.
 */
export interface LeaseUpdate {
  /** The counter the caller last saw; the write sets it to `expectedCounter + 1` unless `keepCounter`. */
  readonly expectedCounter: number;
  /** When present, the stored owner must also equal this (`null`: there must be no owner). */
  readonly expectedOwner?: string | null;
  /**
   * When present, the stored `checkpointOwner` must also equal this (`null`: there must be none,
   * the KCL 3.x renewal's `attribute_not_exists(checkpointOwner)`).
   */
  readonly expectedCheckpointOwner?: string | null;
  /**
   * Leaves the counter as it is (the KCL 3.x `initiateGracefulLeaseHandoff`), so the holder's
   * renewals still match it and only their checkpoint-owner condition tells them of the handoff.
   * Such an update must set or remove something.
   */
  readonly keepCounter?: boolean;
  readonly set?: LeaseChanges;
  readonly remove?: readonly RemovableLeaseAttribute[];
  /** Adds 1 to `ownerSwitchesSinceCheckpoint` (a take that changes the owner). */
  readonly incrementOwnerSwitches?: boolean;
}

/** What the library needs from the lease table. */
export interface LeaseStorePort {
  /**
   * Creates the table (hash key `leaseKey`, on-demand billing) unless it exists, and waits until it
   * is ACTIVE. Completes without error when it already exists.
   */
  ensureTable(tableName: string): Observable<void>;
  /** Every lease (all pages, consistent read); items whose `entityType` is present and not `LEASE` are skipped. */
  listLeases(tableName: string): Observable<readonly Lease[]>;
  /** One lease, consistently read, or `undefined`. */
  getLease(tableName: string, leaseKey: string): Observable<Lease | undefined>;
  /**
   * Creates the lease unless one with the same key exists (`ConditionFailed` then). `Written`
   * carries the lease as stored, so it equals what `getLease` reads (an empty `childShardIds` is not stored).
   */
  createLease(tableName: string, lease: Lease): Observable<LeaseWriteResult>;
  /**
   * Applies `update` to the lease if its condition holds, returning the lease as written; a missing
   * lease is `ConditionFailed`. Setting `childShardIds` to an empty list removes them. An update
   * that cannot be expressed (one attribute both set and removed, the owner switches both set
   * and incremented, or `keepCounter` with nothing to change) is a `LeaseStoreError` with code `InvalidUpdate`, not retryable, and writes nothing.
   */
  updateLease(tableName: string, leaseKey: string, update: LeaseUpdate): Observable<LeaseWriteResult>;
  /**
   * Deletes the lease; when `expectedCounter` is given, only if the counter still matches (a missing
   * lease is `ConditionFailed` then). Without it, `Deleted` whether or not the lease existed.
   */
  deleteLease(tableName: string, leaseKey: string, expectedCounter?: number): Observable<LeaseDeleteResult>;
}

/** Table administration, used by tests and the command line. */
export interface LeaseStoreAdminPort {
  /** Deletes the table and waits until it is gone; completes without error when it does not exist. */
  deleteTable(tableName: string): Observable<void>;
}
