/**
 * Moving the checkpoints of a lease table, as `reactive-kinesis rewind` does: each chosen lease
 * gets the new checkpoint in one write conditional on the counter just read, so a running worker's
 * write in between is never overwritten; the lease is read again and the write tried again instead.
 * @packageDocumentation
 */
import { catchError, concatMap, defer, from, map, mergeMap, of, toArray, type Observable } from 'rxjs';
import type { Lease } from '../model/lease';
import type { CompoundSequenceNumber } from '../model/sequence-number';
import type { LeaseStorePort, LeaseUpdate } from '../ports/lease-store-port';
import { UsageError } from './flags';
import { columns } from './format';
import { formatCheckpoint } from './lease-table';

/** Conditional writes tried on one lease before it is given up as failed. */
export const REWIND_ATTEMPTS = 5;

/** Leases written at the same time: enough to rewind a large table quickly, few enough not to be throttled. */
const WRITE_CONCURRENCY = 8;

/** What to rewind, and where to. */
export interface RewindPlan {
  /** TRIM_HORIZON, LATEST, or the record (and sub-record) after which reading resumes. */
  readonly to: CompoundSequenceNumber;
  /** The shards whose leases are rewound; absent or empty for every lease of the table. */
  readonly shards?: readonly string[];
  /** Report what would change and write nothing. */
  readonly dryRun: boolean;
}

/**
 * What happened to one lease: `rewound`; `dry-run` (it would have been); `skipped`, because its
 * shard is finished; `failed`, with the reason.
 */
export type RewindStatus = 'rewound' | 'dry-run' | 'skipped' | 'failed';

/** One lease of a rewind. */
export interface RewindRow {
  readonly shardId: string;
  /** The owner the lease had (and still has: a rewind leaves owners alone). */
  readonly owner?: string;
  /** The checkpoint before, formatted as `reactive-kinesis leases` shows it. */
  readonly from: string;
  /** The checkpoint written (or that would be); absent when the lease was skipped. */
  readonly to?: string;
  readonly status: RewindStatus;
  /** Why a lease was skipped or failed. */
  readonly reason?: string;
}

/**
 * Rewinds the leases of `table` that `plan` names, one conditional write each (checkpoint and
 * sub-sequence set, owner switches reset, any pending checkpoint removed; the owner left as it
 * is). A lease in a graceful handoff loses its `checkpointOwner` too: the old owner's checkpoint
 * would be stale anyway, and the new owner then takes the lease at its next round instead of
 * waiting for the handoff to time out. A lease that changed since it was read is read again and written again, up to
 * {@link REWIND_ATTEMPTS} writes, then reported as failed; leases of finished shards (SHARD_END)
 * are skipped, because rewinding a parent would deliver it again after its children.
 *
 * Cold; emits the rows once, sorted by shard, and completes. Errors, before writing anything, with
 * a UsageError when a shard of `plan.shards` has no lease, and with the store's error when the
 * table cannot be read; an error writing one lease fails only that lease's row.
 */
export function rewindLeases(store: LeaseStorePort, table: string, plan: RewindPlan): Observable<RewindRow[]> {
  const to = formatCheckpoint({ checkpoint: plan.to.sequenceNumber, checkpointSubSequenceNumber: plan.to.subSequenceNumber });
  const update = (lease: Lease): LeaseUpdate => ({
    expectedCounter: lease.leaseCounter,
    set: { checkpoint: plan.to.sequenceNumber, checkpointSubSequenceNumber: plan.to.subSequenceNumber, ownerSwitchesSinceCheckpoint: 0 },
    remove: ['pendingCheckpoint', 'pendingCheckpointSubSequenceNumber', ...(lease.checkpointOwner === undefined ? [] : (['checkpointOwner'] as const))],
  });

  const rewind = (lease: Lease, attempt: number): Observable<RewindRow> =>
    defer(() => {
      const row = { shardId: lease.leaseKey, ...(lease.leaseOwner === undefined ? {} : { owner: lease.leaseOwner }), from: formatCheckpoint(lease) };
      if (lease.checkpoint === 'SHARD_END') return of<RewindRow>({ ...row, status: 'skipped', reason: 'finished' });
      if (plan.dryRun) return of<RewindRow>({ ...row, to, status: 'dry-run' });
      return store.updateLease(table, lease.leaseKey, update(lease)).pipe(
        concatMap((result): Observable<RewindRow> => {
          if (result._tag === 'Written') return of({ ...row, to, status: 'rewound' });
          if (attempt >= REWIND_ATTEMPTS) {
            const reason = `the lease changed before each of ${REWIND_ATTEMPTS} writes (a worker keeps writing to it); try again`;
            return of({ ...row, to, status: 'failed', reason });
          }
          // A worker renewed or checkpointed since the read: rewind what it wrote.
          return store.getLease(table, lease.leaseKey).pipe(
            concatMap((current) =>
              current === undefined ? of<RewindRow>({ ...row, to, status: 'failed', reason: 'the lease was deleted' }) : rewind(current, attempt + 1),
            ),
          );
        }),
        catchError((error: unknown) => of<RewindRow>({ ...row, to, status: 'failed', reason: error instanceof Error ? error.message : String(error) })),
      );
    });

  return defer(() => store.listLeases(table)).pipe(
    concatMap((leases) => from(chooseLeases(leases, plan.shards ?? [], table))),
    mergeMap((lease) => rewind(lease, 1), WRITE_CONCURRENCY),
    toArray(),
    map((rows) => rows.sort((a, b) => a.shardId.localeCompare(b.shardId))),
  );
}

/**
 * The leases of `shards`, or every lease when it is empty.
 * @throws UsageError naming the shards that have no lease
 */
function chooseLeases(leases: readonly Lease[], shards: readonly string[], table: string): readonly Lease[] {
  if (shards.length === 0) return leases;
  const byShard = new Map(leases.map((lease) => [lease.leaseKey, lease]));
  const named = [...new Set(shards)];
  const unknown = named.filter((shardId) => !byShard.has(shardId));
  if (unknown.length > 0) {
    const which = unknown.length === 1 ? `shard ${unknown[0]!}` : `shards ${unknown.join(', ')}`;
    throw new UsageError(`no lease for ${which} in table ${table} (reactive-kinesis leases ${table} lists them); nothing was written`, 'rewind');
  }
  return named.map((shardId) => byShard.get(shardId)!);
}

/** The outcome column of a row. */
function outcome(row: RewindRow): string {
  switch (row.status) {
    case 'rewound':
      return 'rewound';
    case 'dry-run':
      return 'would rewind';
    case 'skipped':
      return `skipped (${row.reason ?? 'finished'})`;
    case 'failed':
      return `failed: ${row.reason ?? 'unknown'}`;
  }
}

/** The rows as aligned columns, then a line of counts. */
export function formatRewindRows(rows: readonly RewindRow[], dryRun: boolean): string {
  const table = columns([
    ['SHARD', 'OWNER', 'CHECKPOINT', ''],
    ...rows.map((row) => [row.shardId, row.owner ?? '-', row.to === undefined ? row.from : `${row.from} → ${row.to}`, outcome(row)]),
  ]);
  const count = (status: RewindStatus) => rows.filter((row) => row.status === status).length;
  const parts = [
    dryRun ? `${count('dry-run')} would be rewound` : `${count('rewound')} rewound`,
    ...(count('skipped') > 0 ? [`${count('skipped')} skipped (finished)`] : []),
    ...(count('failed') > 0 ? [`${count('failed')} failed`] : []),
  ];
  return `${table}\n${parts.join(', ')}${dryRun ? '; dry run, nothing written' : ''}`;
}
