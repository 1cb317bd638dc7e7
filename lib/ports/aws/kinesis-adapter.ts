/**
 * The Kinesis port on the AWS SDK v3 `KinesisClient`. Each method sends its request when subscribed
 * (so `retry` sends it again), aborts it when unsubscribed early, and reports failures as the
 * library's named errors with the SDK error as `cause`.
 * @packageDocumentation
 */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
  type ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';
import {
  asyncScheduler,
  catchError,
  concatMap,
  EMPTY,
  expand,
  map,
  of,
  reduce,
  throwError,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { KinesisCallError, StreamNotFoundError } from '../../model/errors';
import type {
  GetRecordsOutput,
  IteratorPosition,
  KinesisAdminPort,
  KinesisFanOutPort,
  KinesisPort,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
} from '../kinesis-port';
import { awaitStatus, type StatusPolling } from './await-status';
import { awsFanOutPort } from './fan-out';
import { kinesisCall } from './kinesis-errors';
import {
  toChildShard,
  toIteratorParameters,
  toKinesisRecord,
  toPutRecordsResults,
  toSdkShardFilter,
  toShard,
} from './kinesis-shapes';

/** Options of {@link awsKinesisPort}. */
export interface AwsKinesisPortOptions {
  /**
   * `MaxResults` of each ListShards page (1–10000). Absent: the service's default page size.
   * `listShards` follows every page either way; a small value only costs more calls.
   */
  readonly listShardsPageSize?: number;
  /**
   * Paces the waits of the admin calls (create, delete, split, merge) and of `ensureStreamConsumer`.
   * Default `asyncScheduler`.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * How the admin calls poll DescribeStreamSummary until the stream settles, and how
   * `ensureStreamConsumer` polls DescribeStreamConsumer until a new consumer is ACTIVE. Default: the
   * first re-poll after 50 ms, then doubling up to 2 s, giving up after 5 minutes.
   */
  readonly statusPolling?: Partial<Omit<StatusPolling, 'scheduler'>>;
}

const DEFAULT_POLLING = { initialDelayMillis: 50, maxDelayMillis: 2_000, timeoutMillis: 300_000 } as const;
const MAX_LIST_SHARDS_PAGE = 10_000;

/** Stream status while DescribeStreamSummary says the stream is gone. */
const DELETED = 'DELETED';

/**
 * A Kinesis port with enhanced fan-out (and the admin calls tests and tools use) on an SDK client.
 * The client is not owned: the caller destroys it.
 *
 * SubscribeToShard needs a transport that keeps an event stream open: the SDK's default HTTP/2
 * handler on AWS; on kinesis-local, the HTTP/1.1 handler (`kinesisClient({ http1: true })`).
 * @throws RangeError when `listShardsPageSize` is not an integer in 1..10000
 */
export function awsKinesisPort(
  client: KinesisClient,
  options: AwsKinesisPortOptions = {},
): KinesisPort & KinesisAdminPort & KinesisFanOutPort {
  const { listShardsPageSize } = options;
  if (
    listShardsPageSize !== undefined &&
    !(Number.isInteger(listShardsPageSize) && listShardsPageSize >= 1 && listShardsPageSize <= MAX_LIST_SHARDS_PAGE)
  ) {
    throw new RangeError(`listShardsPageSize must be an integer from 1 to ${MAX_LIST_SHARDS_PAGE}, got ${listShardsPageSize}`);
  }
  const polling: StatusPolling = {
    ...DEFAULT_POLLING,
    ...options.statusPolling,
    scheduler: options.scheduler ?? asyncScheduler,
  };

  function streamStatus(streamName: string): Observable<string> {
    return kinesisCall('DescribeStreamSummary', streamName, (abortSignal) =>
      client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), { abortSignal }),
    ).pipe(map((output) => output.StreamDescriptionSummary?.StreamStatus ?? 'UNKNOWN'));
  }

  function untilStatus(operation: string, streamName: string, wanted: string, status$: Observable<string>): Observable<void> {
    return awaitStatus(
      status$,
      (status) => status === wanted,
      polling,
      () =>
        new KinesisCallError(operation, 'Timeout', `stream ${streamName} not ${wanted} after ${polling.timeoutMillis} ms`, {
          retryable: true,
        }),
    );
  }

  function untilActive(operation: string, streamName: string): Observable<void> {
    return untilStatus(operation, streamName, 'ACTIVE', streamStatus(streamName));
  }

  function listShardsPage(streamName: string, filter: ShardFilter | undefined, nextToken: string | undefined) {
    // With a NextToken the service rejects StreamName (and the filter, which the token already carries).
    const input =
      nextToken === undefined
        ? {
            StreamName: streamName,
            MaxResults: listShardsPageSize,
            ShardFilter: filter === undefined ? undefined : toSdkShardFilter(filter),
          }
        : { NextToken: nextToken, MaxResults: listShardsPageSize };
    return kinesisCall('ListShards', streamName, (abortSignal) => client.send(new ListShardsCommand(input), { abortSignal }));
  }

  return {
    ...awsFanOutPort(client, polling),

    listShards(streamName: string, filter?: ShardFilter): Observable<readonly Shard[]> {
      const hasNextPage = (page: ListShardsCommandOutput): page is ListShardsCommandOutput & { NextToken: string } =>
        page.NextToken !== undefined && page.NextToken !== '';
      return listShardsPage(streamName, filter, undefined).pipe(
        expand((page) => (hasNextPage(page) ? listShardsPage(streamName, filter, page.NextToken) : EMPTY)),
        reduce((shards: readonly Shard[], page) => [...shards, ...(page.Shards ?? []).map(toShard)], []),
      );
    },

    getShardIterator(streamName: string, shardId: string, position: IteratorPosition): Observable<string> {
      return kinesisCall('GetShardIterator', streamName, (abortSignal) =>
        client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...toIteratorParameters(position) }), {
          abortSignal,
        }),
      ).pipe(
        map((output) => {
          if (output.ShardIterator === undefined) {
            throw new KinesisCallError('GetShardIterator', 'MalformedResponse', 'response has no ShardIterator');
          }
          return output.ShardIterator;
        }),
      );
    },

    getRecords(shardIterator: string, limit: number): Observable<GetRecordsOutput> {
      return kinesisCall('GetRecords', '', (abortSignal) =>
        client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: limit }), { abortSignal }),
      ).pipe(
        map((output): GetRecordsOutput => {
          const childShards = output.ChildShards ?? [];
          return {
            records: (output.Records ?? []).map((record) => toKinesisRecord(record)),
            ...(output.NextShardIterator == null ? {} : { nextShardIterator: output.NextShardIterator }),
            ...(output.MillisBehindLatest === undefined ? {} : { millisBehindLatest: output.MillisBehindLatest }),
            ...(childShards.length === 0 ? {} : { childShards: childShards.map((child) => toChildShard(child)) }),
          };
        }),
      );
    },

    putRecords(streamName: string, entries: readonly PutRecordsEntry[]): Observable<readonly PutRecordsResultEntry[]> {
      // The service rejects an empty request; nothing to put is simply nothing put.
      if (entries.length === 0) return of([]);
      const records = entries.map((entry) => ({
        Data: entry.data,
        PartitionKey: entry.partitionKey,
        ExplicitHashKey: entry.explicitHashKey,
      }));
      return kinesisCall('PutRecords', streamName, (abortSignal) =>
        client.send(new PutRecordsCommand({ StreamName: streamName, Records: records }), { abortSignal }),
      ).pipe(map((output) => toPutRecordsResults(output.Records, entries.length)));
    },

    createStream(streamName: string, shardCount: number): Observable<void> {
      return kinesisCall('CreateStream', streamName, (abortSignal) =>
        client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }), { abortSignal }),
      ).pipe(concatMap(() => untilActive('CreateStream', streamName)));
    },

    deleteStream(streamName: string): Observable<void> {
      const statusOrDeleted$ = streamStatus(streamName).pipe(
        catchError((error: unknown) => (error instanceof StreamNotFoundError ? of(DELETED) : throwError(() => error))),
      );
      return kinesisCall('DeleteStream', streamName, (abortSignal) =>
        client.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }), { abortSignal }),
      ).pipe(
        concatMap(() => untilStatus('DeleteStream', streamName, DELETED, statusOrDeleted$)),
        catchError((error: unknown) => (error instanceof StreamNotFoundError ? of(undefined) : throwError(() => error))),
      );
    },

    splitShard(streamName: string, shardId: string, newStartingHashKey: bigint): Observable<void> {
      const input = { StreamName: streamName, ShardToSplit: shardId, NewStartingHashKey: newStartingHashKey.toString() };
      return kinesisCall('SplitShard', streamName, (abortSignal) => client.send(new SplitShardCommand(input), { abortSignal })).pipe(
        concatMap(() => untilActive('SplitShard', streamName)),
      );
    },

    mergeShards(streamName: string, shardId: string, adjacentShardId: string): Observable<void> {
      const input = { StreamName: streamName, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId };
      return kinesisCall('MergeShards', streamName, (abortSignal) => client.send(new MergeShardsCommand(input), { abortSignal })).pipe(
        concatMap(() => untilActive('MergeShards', streamName)),
      );
    },
  };
}
