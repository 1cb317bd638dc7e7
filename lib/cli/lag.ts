/**
 * `reactive-kinesis lag <stream> [--table T]`: how far behind the tip of each shard a consumer
 * is, as Kinesis' `millisBehindLatest` of one GetRecords (limit 1) from the consumer's checkpoint;
 * without a lease table, from TRIM_HORIZON (the age of the oldest record kept).
 * @packageDocumentation
 */
import { concatMap, defer, forkJoin, lastValueFrom, map, of, type Observable } from 'rxjs';
import type { Lease } from '../model/lease';
import type { IteratorPosition, KinesisPort, Shard } from '../ports/kinesis-port';
import type { LeaseStorePort } from '../ports/lease-store-port';
import { AWS_FLAGS, awsTargetOf, connectDynamoDb, connectKinesis } from './aws-flags';
import { ExitCode, type Command } from './command';
import { textFlag, positionals } from './flags';
import { columns, formatMillis } from './format';
import { formatCheckpoint } from './lease-table';

/** The lag of one shard. */
export interface ShardLag {
  readonly shardId: string;
  readonly closed: boolean;
  readonly owner?: string;
  /** The checkpoint the lag is measured from, formatted; absent without a lease. */
  readonly checkpoint?: string;
  /** Absent when nothing was read (see `note`) or Kinesis did not say. */
  readonly millisBehindLatest?: number;
  /** Why there is no figure, or what it is measured from. */
  readonly note?: string;
}

/** Where to read a shard from to measure its lag, or why not to. */
export type LagPosition = { readonly position: IteratorPosition; readonly note?: string } | { readonly skip: string };

/**
 * Where the lag of a shard is measured from: just after its lease's checkpoint; from the start
 * position the checkpoint names; from TRIM_HORIZON without a lease table or lease.
 */
export function lagPosition(lease: Lease | undefined, withTable: boolean): LagPosition {
  if (lease === undefined) return { position: { type: 'TRIM_HORIZON' }, note: withTable ? 'no lease: from TRIM_HORIZON' : 'from TRIM_HORIZON' };
  switch (lease.checkpoint) {
    case 'SHARD_END':
      return { skip: 'finished (SHARD_END)' };
    case 'TRIM_HORIZON':
      return { position: { type: 'TRIM_HORIZON' } };
    case 'LATEST':
      return { position: { type: 'LATEST' } };
    case 'AT_TIMESTAMP':
      return { skip: 'not started (AT_TIMESTAMP)' };
    default:
      return { position: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lease.checkpoint } };
  }
}

/** The lag of every shard of `streamName`, by shard id. */
export function shardLags(kinesis: KinesisPort, streamName: string, leases?: { readonly port: LeaseStorePort; readonly table: string }): Observable<ShardLag[]> {
  const leases$: Observable<readonly Lease[]> = leases === undefined ? of([]) : defer(() => leases.port.listLeases(leases.table));
  return forkJoin([defer(() => kinesis.listShards(streamName)), leases$]).pipe(
    concatMap(([shards, table]) => {
      const byShard = new Map(table.map((lease) => [lease.leaseKey, lease]));
      const sorted = [...shards].sort((a, b) => a.shardId.localeCompare(b.shardId));
      return sorted.length === 0 ? of([]) : forkJoin(sorted.map((shard) => shardLag(kinesis, streamName, shard, byShard.get(shard.shardId), leases !== undefined)));
    }),
  );
}

function shardLag(kinesis: KinesisPort, streamName: string, shard: Shard, lease: Lease | undefined, withTable: boolean): Observable<ShardLag> {
  const base: ShardLag = {
    shardId: shard.shardId,
    closed: shard.endingSequenceNumber !== undefined,
    ...(lease?.leaseOwner === undefined ? {} : { owner: lease.leaseOwner }),
    ...(lease === undefined ? {} : { checkpoint: formatCheckpoint(lease) }),
  };
  const where = lagPosition(lease, withTable);
  if ('skip' in where) return of({ ...base, note: where.skip });
  return defer(() => kinesis.getShardIterator(streamName, shard.shardId, where.position)).pipe(
    concatMap((iterator) => kinesis.getRecords(iterator, 1)),
    map((page) => ({
      ...base,
      ...(page.millisBehindLatest === undefined ? {} : { millisBehindLatest: page.millisBehindLatest }),
      ...(where.note === undefined ? {} : { note: where.note }),
    })),
  );
}

/** The lags as aligned columns. */
export function formatLags(lags: readonly ShardLag[]): string {
  const rows = lags.map((lag) => [
    `${lag.shardId}${lag.closed ? ' (closed)' : ''}`,
    lag.owner ?? '-',
    lag.checkpoint ?? '-',
    lag.millisBehindLatest === undefined ? '-' : formatMillis(lag.millisBehindLatest),
    lag.note ?? '',
  ]);
  return columns([['SHARD', 'OWNER', 'CHECKPOINT', 'BEHIND', ''], ...rows]);
}

export const lagCommand: Command = {
  name: 'lag',
  summary: 'show how far behind the tip of each shard a consumer is',
  synopsis: [
    'usage: reactive-kinesis lag <stream> [--table <table>] [options]',
    '',
    "For each shard of <stream>: Kinesis' millisBehindLatest for one GetRecords (limit 1) just",
    "after the checkpoint in the lease table <table>, i.e. how far the consumer is behind. Without",
    '--table, from TRIM_HORIZON: the age of the oldest record the stream keeps.',
  ].join('\n'),
  flags: [{ name: 'table', value: 'TABLE', description: 'the lease table of the consumer to measure' }, { name: 'json', description: 'print JSON instead' }, ...AWS_FLAGS],
  async run(parsed, { io }) {
    const [stream] = positionals(parsed, ['stream']) as [string];
    const table = textFlag(parsed, 'table');
    const target = awsTargetOf(parsed);
    const kinesis = connectKinesis(target);
    const dynamo = table === undefined ? undefined : connectDynamoDb(target);
    try {
      const lags = await lastValueFrom(shardLags(kinesis.port, stream, dynamo === undefined || table === undefined ? undefined : { port: dynamo.port, table }));
      io.out(parsed.switches.has('json') ? JSON.stringify(lags, null, 2) : formatLags(lags));
    } finally {
      kinesis.close();
      dynamo?.close();
    }
    return ExitCode.ok;
  },
};
