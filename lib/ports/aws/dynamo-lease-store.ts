/**
 * The lease store port on the AWS SDK v3 `DynamoDBClient`, on a KCL-compatible table. Each method
 * sends its request when subscribed, aborts it when unsubscribed early, turns a failed condition
 * into a `ConditionFailed` value (`maybeApplied` when the SDK's retries sent the write more than
 * once), and reports everything else as the library's named errors.
 * @packageDocumentation
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import {
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  EMPTY,
  expand,
  map,
  of,
  reduce,
  throwError,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { LeaseStoreError, LeaseTableNotFoundError } from '../../model/errors';
import type { Lease } from '../../model/lease';
import type {
  LeaseConditionFailed,
  LeaseDeleteResult,
  LeaseStoreAdminPort,
  LeaseStorePort,
  LeaseUpdate,
  LeaseWriteResult,
} from '../lease-store-port';
import { awaitStatus, type StatusPolling } from './await-status';
import { conditionFailedResult, isConditionFailed, toLeaseStoreError } from './dynamo-errors';
import { fromLeaseItem, LEASE_KEY, toLeaseItem, type LeaseItem } from './lease-item';
import { deleteCondition, toUpdateItemInput } from './lease-update';
import { fromSdkCall } from './sdk-call';

/** Options of {@link awsLeaseStorePort}. */
export interface AwsLeaseStorePortOptions {
  /**
   * `Limit` of each Scan page of `listLeases` (a positive integer). Absent: DynamoDB's own 1 MB pages.
   * Every page is followed either way.
   */
  readonly scanPageSize?: number;
  /** Paces the waits of `ensureTable` and `deleteTable`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * How `ensureTable` and `deleteTable` poll DescribeTable until the table settles. Default: the
   * first re-poll after 50 ms, then doubling up to 2 s, giving up after 10 minutes (the KCL's limit).
   */
  readonly statusPolling?: Partial<Omit<StatusPolling, 'scheduler'>>;
}

const DEFAULT_POLLING = { initialDelayMillis: 50, maxDelayMillis: 2_000, timeoutMillis: 600_000 } as const;

/** Table status while DescribeTable says the table is gone. */
const DELETED = 'DELETED';

/** The KCL goes on using a table that is being updated (say, a GSI being added). */
const USABLE = new Set(['ACTIVE', 'UPDATING']);

/**
 * A lease store port (and the admin call tests and tools use) on an SDK client. The client is not
 * owned: the caller destroys it.
 * @throws RangeError when `scanPageSize` is not a positive integer
 */
export function awsLeaseStorePort(client: DynamoDBClient, options: AwsLeaseStorePortOptions = {}): LeaseStorePort & LeaseStoreAdminPort {
  const { scanPageSize } = options;
  if (scanPageSize !== undefined && !(Number.isInteger(scanPageSize) && scanPageSize >= 1)) {
    throw new RangeError(`scanPageSize must be a positive integer, got ${scanPageSize}`);
  }
  const polling: StatusPolling = {
    ...DEFAULT_POLLING,
    ...options.statusPolling,
    scheduler: options.scheduler ?? asyncScheduler,
  };

  function call<T>(operation: string, tableName: string, invoke: (abortSignal: AbortSignal) => Promise<T>): Observable<T> {
    return fromSdkCall(invoke).pipe(catchError((error: unknown) => throwError(() => toLeaseStoreError(operation, tableName, error))));
  }

  /** `ConditionFailed` instead of an error when the write's condition did not hold. */
  function conditional<T>(write$: Observable<T>): Observable<T | LeaseConditionFailed> {
    return write$.pipe(
      catchError((error: unknown) => (isConditionFailed(error) ? of(conditionFailedResult(error)) : throwError(() => error))),
    );
  }

  function tableStatus(tableName: string): Observable<string> {
    return call('DescribeTable', tableName, (abortSignal) => client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal })).pipe(
      map((output) => output.Table?.TableStatus ?? 'UNKNOWN'),
    );
  }

  function untilStatus(operation: string, tableName: string, isReady: (status: string) => boolean, status$: Observable<string>) {
    return awaitStatus(
      status$,
      isReady,
      polling,
      () =>
        new LeaseStoreError(operation, 'Timeout', `table ${tableName} not settled after ${polling.timeoutMillis} ms`, {
          retryable: true,
        }),
    );
  }

  function createTable(tableName: string): Observable<unknown> {
    const input = {
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: LEASE_KEY, AttributeType: 'S' as const }],
      KeySchema: [{ AttributeName: LEASE_KEY, KeyType: 'HASH' as const }],
      BillingMode: 'PAY_PER_REQUEST' as const,
    };
    return call('CreateTable', tableName, (abortSignal) => client.send(new CreateTableCommand(input), { abortSignal })).pipe(
      // Another worker created it first: just as good.
      catchError((error: unknown) =>
        error instanceof LeaseStoreError && error.code === 'ResourceInUseException' ? of(undefined) : throwError(() => error),
      ),
    );
  }

  function scanPage(tableName: string, exclusiveStartKey: LeaseItem | undefined): Observable<ScanCommandOutput> {
    const input = { TableName: tableName, ConsistentRead: true, Limit: scanPageSize, ExclusiveStartKey: exclusiveStartKey };
    return call('Scan', tableName, (abortSignal) => client.send(new ScanCommand(input), { abortSignal }));
  }

  return {
    ensureTable(tableName: string): Observable<void> {
      return tableStatus(tableName).pipe(
        catchError((error: unknown) =>
          error instanceof LeaseTableNotFoundError ? createTable(tableName).pipe(map(() => 'CREATING')) : throwError(() => error),
        ),
        concatMap((status) =>
          USABLE.has(status) ? of(undefined) : untilStatus('CreateTable', tableName, (s) => USABLE.has(s), tableStatus(tableName)),
        ),
      );
    },

    listLeases(tableName: string): Observable<readonly Lease[]> {
      return scanPage(tableName, undefined).pipe(
        expand((page) => (page.LastEvaluatedKey === undefined ? EMPTY : scanPage(tableName, page.LastEvaluatedKey))),
        reduce(
          (leases: readonly Lease[], page) => [
            ...leases,
            ...(page.Items ?? []).flatMap((item) => fromLeaseItem(item, 'Scan') ?? []),
          ],
          [],
        ),
      );
    },

    getLease(tableName: string, leaseKey: string): Observable<Lease | undefined> {
      const input = { TableName: tableName, Key: { [LEASE_KEY]: { S: leaseKey } }, ConsistentRead: true };
      return call('GetItem', tableName, (abortSignal) => client.send(new GetItemCommand(input), { abortSignal })).pipe(
        map((output) => (output.Item === undefined ? undefined : fromLeaseItem(output.Item, 'GetItem'))),
      );
    },

    createLease(tableName: string, lease: Lease): Observable<LeaseWriteResult> {
      return defer(() => {
        const item = toLeaseItem(lease);
        const input = {
          TableName: tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#leaseKey)',
          ExpressionAttributeNames: { '#leaseKey': LEASE_KEY },
        };
        // Answer with the lease as stored, so it equals what a read returns (empty sets are not stored);
        // decoding it also rejects a lease DynamoDB could not hold, before anything is sent.
        const stored = fromLeaseItem(item, 'PutItem');
        if (stored === undefined) {
          return throwError(() => new LeaseStoreError('PutItem', 'MalformedLease', `${lease.leaseKey} does not encode as a lease`));
        }
        return conditional(
          call('PutItem', tableName, (abortSignal) => client.send(new PutItemCommand(input), { abortSignal })).pipe(
            map((): LeaseWriteResult => ({ _tag: 'Written', lease: stored })),
          ),
        );
      });
    },

    updateLease(tableName: string, leaseKey: string, update: LeaseUpdate): Observable<LeaseWriteResult> {
      return defer(() => {
        const input = toUpdateItemInput(tableName, leaseKey, update);
        return conditional(
          call('UpdateItem', tableName, (abortSignal) => client.send(new UpdateItemCommand(input), { abortSignal })).pipe(
            map((output): LeaseWriteResult => {
              const lease = output.Attributes === undefined ? undefined : fromLeaseItem(output.Attributes, 'UpdateItem');
              if (lease === undefined) {
                throw new LeaseStoreError('UpdateItem', 'MalformedResponse', `no lease attributes returned for ${leaseKey}`);
              }
              return { _tag: 'Written', lease };
            }),
          ),
        );
      });
    },

    deleteLease(tableName: string, leaseKey: string, expectedCounter?: number): Observable<LeaseDeleteResult> {
      return defer(() => {
        const input = { TableName: tableName, Key: { [LEASE_KEY]: { S: leaseKey } }, ...deleteCondition(expectedCounter) };
        return conditional(
          call('DeleteItem', tableName, (abortSignal) => client.send(new DeleteItemCommand(input), { abortSignal })).pipe(
            map((): LeaseDeleteResult => ({ _tag: 'Deleted' })),
          ),
        );
      });
    },

    deleteTable(tableName: string): Observable<void> {
      const statusOrDeleted$ = tableStatus(tableName).pipe(
        catchError((error: unknown) => (error instanceof LeaseTableNotFoundError ? of(DELETED) : throwError(() => error))),
      );
      return call('DeleteTable', tableName, (abortSignal) => client.send(new DeleteTableCommand({ TableName: tableName }), { abortSignal })).pipe(
        concatMap(() => untilStatus('DeleteTable', tableName, (status) => status === DELETED, statusOrDeleted$)),
        catchError((error: unknown) => (error instanceof LeaseTableNotFoundError ? of(undefined) : throwError(() => error))),
      );
    },
  };
}
