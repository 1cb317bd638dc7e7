/**
 * An in-memory lease table store (DynamoDB as the KCL uses it) on the scheduler's clock.
 * @packageDocumentation
 */
import { asyncScheduler, catchError, defer, map, type Observable, type SchedulerLike } from 'rxjs';
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../model/errors';
import type { Lease, LeaseChanges, RemovableLeaseAttribute } from '../model/lease';
import type {
  LeaseConditionFailed,
  LeaseDeleteResult,
  LeaseStoreAdminPort,
  LeaseStorePort,
  LeaseUpdate,
  LeaseWriteResult,
} from '../ports/lease-store-port';
import {
  FaultInjector,
  LEASE_STORE_FAULTS,
  type CallFault,
  type FaultOptions,
  type LeaseStoreCall,
  type LeaseStoreFaultRule,
  type LeaseStoreOperation,
} from './faults';
import { applyChanges, LeaseTable } from './lease-table';
import { answer, timingOf, type Timing } from './respond';

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/** How an `InMemoryLeaseStore` behaves. */
export interface InMemoryLeaseStoreOptions {
  /** The clock for latency. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Every call answers this many milliseconds after it is subscribed. Default 0. */
  readonly latencyMillis?: number;
  /** Seed and initial rules of `faults`. */
  readonly faults?: FaultOptions<LeaseStoreFaultRule>;
  /**
   * Attempts per call, including the first, of the fake's client, which sends a call again after a
   * `lostResponse` as the SDK's retry does. A positive integer; default 4, the DynamoDB client's.
   * With 1, a lost answer reaches the caller as a retryable `ECONNRESET` error.
   */
  readonly maxAttempts?: number;
  /** Tables that exist from the start. */
  readonly tables?: readonly string[];
}

/** What `forceUpdate` may change: any settable attribute, and attributes to remove. */
export type ForcedLeaseChanges = LeaseChanges & { readonly remove?: readonly RemovableLeaseAttribute[] };

/**
 * The lease table in memory, implementing `LeaseStorePort` and `LeaseStoreAdminPort` with
 * DynamoDB's conditional semantics: `createLease` only when the key is free, `updateLease` only
 * while the stored counter (and owner and checkpoint owner, when given; `null` meaning none) match,
 * adding 1 to the counter on every update but one with `keepCounter`; `ConditionFailed` is a value; a missing table fails with
 * `LeaseTableNotFoundError`; `ensureTable` and `deleteTable` are idempotent. Leases are copied on
 * the way in and out.
 *
 * Every call returns a cold Observable that takes effect on subscribe and answers `latencyMillis`
 * later on the scheduler. Faults are injected through {@link InMemoryLeaseStore.faults}; another
 * worker's writes are simulated with {@link InMemoryLeaseStore.forceUpdate}. Errors name the
 * DynamoDB action (`UpdateItem`, …) and use the codes the AWS adapter uses.
 *
 * A `lostResponse` looks as it does through the SDK: the attempt takes effect, its answer is lost,
 * and once that lost answer's `latencyMillis` have passed the fake's client sends the call again,
 * with no backoff, up to `maxAttempts` in all. A read or an unconditional write simply succeeds
 * then; a conditional write usually fails its condition on what the lost attempt wrote, and answers
 * `ConditionFailed` with `maybeApplied: true`, as the AWS adapter does for a write the SDK sent more
 * than once. Each attempt faces the fault rules anew: when every attempt's answer is lost the caller
 * sees the retryable error, and a `throttle`, `transient` or `hang` a later attempt meets ends the
 * call as it would the first (those faults stand for what a client reports once its retries are spent).
 */
export class InMemoryLeaseStore implements LeaseStorePort, LeaseStoreAdminPort {
  /** Fault rules for this fake: `add` a {@link LeaseStoreFaultRule}, `clear` them all. */
  readonly faults: FaultInjector<LeaseStoreFaultRule>;
  private readonly timing: Timing;
  private readonly maxAttempts: number;
  private readonly tables = new Map<string, LeaseTable>();
  private readonly counts = new Map<LeaseStoreOperation, number>();

  /** @throws TypeError when an option is out of range */
  constructor(options: InMemoryLeaseStoreOptions = {}) {
    this.timing = timingOf(options, asyncScheduler);
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!(Number.isSafeInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new TypeError(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
    this.faults = new FaultInjector<LeaseStoreFaultRule>(LEASE_STORE_FAULTS, options.faults);
    for (const name of options.tables ?? []) this.createTable('CreateTable', name);
  }

  // ---------------------------------------------------------------- LeaseStorePort

  ensureTable(tableName: string): Observable<void> {
    return this.call({ operation: 'ensureTable', tableName }, () => {
      this.createTable('CreateTable', tableName);
    });
  }

  listLeases(tableName: string): Observable<readonly Lease[]> {
    return this.call({ operation: 'listLeases', tableName }, () => this.table('Scan', tableName).list());
  }

  getLease(tableName: string, leaseKey: string): Observable<Lease | undefined> {
    return this.call({ operation: 'getLease', tableName, leaseKey }, () => this.table('GetItem', tableName).get(leaseKey));
  }

  createLease(tableName: string, lease: Lease): Observable<LeaseWriteResult> {
    return this.call({ operation: 'createLease', tableName, leaseKey: lease.leaseKey }, () => this.table('PutItem', tableName).create(lease));
  }

  updateLease(tableName: string, leaseKey: string, update: LeaseUpdate): Observable<LeaseWriteResult> {
    return this.call({ operation: 'updateLease', tableName, leaseKey }, () => this.table('UpdateItem', tableName).update(leaseKey, update));
  }

  deleteLease(tableName: string, leaseKey: string, expectedCounter?: number): Observable<LeaseDeleteResult> {
    return this.call({ operation: 'deleteLease', tableName, leaseKey }, () => {
      return this.table('DeleteItem', tableName).delete(leaseKey, expectedCounter);
    });
  }

  // ---------------------------------------------------------------- LeaseStoreAdminPort

  deleteTable(tableName: string): Observable<void> {
    return this.call({ operation: 'deleteTable', tableName }, () => {
      this.tables.delete(tableName);
    });
  }

  // ---------------------------------------------------------------- for tests

  /** The names of the tables that exist. */
  tableNames(): readonly string[] {
    return [...this.tables.keys()];
  }

  /**
   * Every lease of the table (copies), sorted by key.
   * @throws LeaseTableNotFoundError
   */
  leases(tableName: string): readonly Lease[] {
    return this.table('leases', tableName).list();
  }

  /**
   * One lease (a copy), or `undefined`.
   * @throws LeaseTableNotFoundError
   */
  lease(tableName: string, leaseKey: string): Lease | undefined {
    return this.table('lease', tableName).get(leaseKey);
  }

  /**
   * Stores a lease as given, replacing any with the same key, at once and with no condition: for
   * setting up a test.
   * @returns the lease as stored (a copy)
   * @throws LeaseTableNotFoundError
   */
  putLease(tableName: string, lease: Lease): Lease {
    return this.table('putLease', tableName).store(lease);
  }

  /**
   * Changes a lease behind the back of whoever holds it, as another worker would (a steal, a
   * checkpoint, an eviction), adding 1 to its counter so the holder's next conditional write fails.
   * @returns the lease as stored (a copy)
   * @throws LeaseTableNotFoundError, or Error when the lease does not exist
   */
  forceUpdate(tableName: string, leaseKey: string, changes: ForcedLeaseChanges): Lease {
    const table = this.table('forceUpdate', tableName);
    const current = table.get(leaseKey);
    if (current === undefined) throw new Error(`forceUpdate: no lease ${leaseKey} in table ${tableName}`);
    const { remove, ...set } = changes;
    return table.store(applyChanges(current, set, remove));
  }

  /**
   * How many times each operation was called (subscribed), faults and failures included; the
   * attempts the fake's client makes again after a lost answer are not counted.
   */
  get calls(): Readonly<Record<LeaseStoreOperation, number>> {
    return Object.fromEntries(
      Object.keys(LEASE_STORE_FAULTS).map((op) => [op, this.counts.get(op as LeaseStoreOperation) ?? 0]),
    ) as Record<LeaseStoreOperation, number>;
  }

  /** Sets every call counter back to 0. */
  resetCalls(): void {
    this.counts.clear();
  }

  // ---------------------------------------------------------------- internals

  private call<T>(call: LeaseStoreCall, perform: () => T): Observable<T> {
    return defer(() => {
      this.counts.set(call.operation, (this.counts.get(call.operation) ?? 0) + 1);
      return this.attempt(call, perform, 1);
    });
  }

  /** One attempt of the fake's client; must be called when it is sent. */
  private attempt<T>(call: LeaseStoreCall, perform: () => T, attempt: number): Observable<T> {
    const fault: CallFault | undefined = this.faults.decide(call.operation, call);
    const answer$ = answer(this.timing, fault, (f) => leaseStoreFaultError(f, LEASE_STORE_ACTIONS[call.operation]), perform);
    if (fault === 'lostResponse' && attempt < this.maxAttempts) {
      // All the client saw was a reset connection, so it sends the call again, as the SDK does.
      return answer$.pipe(catchError(() => defer(() => this.attempt(call, perform, attempt + 1))));
    }
    return attempt === 1 ? answer$ : answer$.pipe(map(sentAgain));
  }

  private table(operation: string, tableName: string): LeaseTable {
    const table = this.tables.get(tableName);
    if (table === undefined) throw new LeaseTableNotFoundError(operation, tableName);
    return table;
  }

  private createTable(operation: string, tableName: string): void {
    if (!TABLE_NAME.test(tableName)) {
      throw new LeaseStoreError(operation, 'ValidationException', `table name ${JSON.stringify(tableName)} must be 3 to 255 characters of a-z, A-Z, 0-9, _ . -`);
    }
    if (!this.tables.has(tableName)) this.tables.set(tableName, new LeaseTable());
  }
}

/** The SDK's DynamoDB client makes 4 attempts unless told otherwise. */
const DEFAULT_MAX_ATTEMPTS = 4;

/**
 * The answer of a call the client sent more than once: a failed condition may have failed on what
 * an earlier, answer-lost attempt wrote, so it says `maybeApplied`, as the AWS adapter's does.
 */
function sentAgain<T>(value: T): T {
  const failed = value as Partial<LeaseConditionFailed> | undefined;
  return failed?._tag === 'ConditionFailed' ? ({ ...failed, maybeApplied: true } as T) : value;
}

/** The DynamoDB action behind each port method; errors name the action, as the AWS adapter's do. */
const LEASE_STORE_ACTIONS: Readonly<Record<LeaseStoreOperation, string>> = {
  ensureTable: 'CreateTable',
  listLeases: 'Scan',
  getLease: 'GetItem',
  createLease: 'PutItem',
  updateLease: 'UpdateItem',
  deleteLease: 'DeleteItem',
  deleteTable: 'DeleteTable',
};

function leaseStoreFaultError(fault: Exclude<CallFault, 'hang'>, operation: string): LeaseStoreError {
  switch (fault) {
    case 'throttle':
      return new LeaseStoreThrottledError(
        operation,
        'ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded. (injected)',
      );
    case 'transient':
      return new LeaseStoreError(operation, 'InternalServerError', 'Internal server error. (injected)', { retryable: true });
    case 'lostResponse':
      return new LeaseStoreError(operation, 'ECONNRESET', 'connection reset after the request was applied (injected)', { retryable: true });
  }
}
