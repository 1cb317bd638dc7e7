/**
 * Every user record of a stream, deaggregated, read straight from the shards without leases or
 * checkpoints: what `reactive-kinesis tail` prints. Shards are read in parallel, each in order;
 * shards created after the start (by a reshard) are not followed.
 * @packageDocumentation
 */
import { EMPTY, asyncScheduler, concatMap, defer, expand, from, merge, mergeMap, retry, throwError, timer, type Observable, type SchedulerLike } from 'rxjs';
import { deaggregate } from '../consumer/deaggregate/deaggregate';
import type { ConsumerEvent } from '../model/consumer-event';
import { KinesisCallError } from '../model/errors';
import type { GetRecordsOutput, KinesisPort, Shard } from '../ports/kinesis-port';

/** Where reading starts in each shard. */
export type TailStart = 'trim-horizon' | 'latest';

/** How {@link tailRecords} reads. */
export interface TailOptions {
  readonly from: TailStart;
  /**
   * Keep polling each shard once it is caught up (until unsubscribed). False: a shard is done once
   * a page says it is caught up (`millisBehindLatest` 0), and the Observable completes when all are.
   */
  readonly follow: boolean;
  /** Pause before polling a caught-up shard again. */
  readonly pollMillis: number;
  /** GetRecords limit. Default 10000. */
  readonly limit?: number;
  readonly scheduler?: SchedulerLike;
}

/** Kinesis allows five GetRecords per second per shard: a shard with more to read waits this long. */
const MIN_POLL_MILLIS = 200;
const RETRIES = 8;
const MAX_RETRY_DELAY_MILLIS = 5_000;

/**
 * The user records of `streamName`: KPL aggregates are split into their records (with
 * sub-sequence numbers), nothing is dropped by hash-key range, and plain records come as they are.
 * Throttled and retryable calls are retried with backoff; other failures error.
 */
export function tailRecords(kinesis: KinesisPort, streamName: string, options: TailOptions): Observable<ConsumerEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return defer(() => withRetries(kinesis.listShards(streamName), scheduler)).pipe(
    // From LATEST a closed shard has nothing more to give.
    mergeMap((shards) => merge(...shards.filter((shard) => options.from === 'trim-horizon' || shard.endingSequenceNumber === undefined).map((shard) => shardRecords(kinesis, streamName, shard, options, scheduler)))),
  );
}

function shardRecords(kinesis: KinesisPort, streamName: string, shard: Shard, options: TailOptions, scheduler: SchedulerLike): Observable<ConsumerEvent> {
  const position = options.from === 'latest' ? ({ type: 'LATEST' } as const) : ({ type: 'TRIM_HORIZON' } as const);
  const limit = options.limit ?? 10_000;
  const read = (iterator: string): Observable<GetRecordsOutput> => withRetries(defer(() => kinesis.getRecords(iterator, limit)), scheduler);
  return withRetries(defer(() => kinesis.getShardIterator(streamName, shard.shardId, position)), scheduler).pipe(
    concatMap((iterator) =>
      read(iterator).pipe(
        expand((page) => {
          const next = page.nextShardIterator;
          if (next === undefined) return EMPTY;
          const caughtUp = page.millisBehindLatest === undefined ? page.records.length === 0 : page.millisBehindLatest === 0;
          if (caughtUp && !options.follow) return EMPTY;
          return timer(caughtUp ? options.pollMillis : MIN_POLL_MILLIS, scheduler).pipe(concatMap(() => read(next)));
        }),
      ),
    ),
    concatMap((page) => from(deaggregate(page.records, { shardId: shard.shardId }))),
  );
}

/** Retries throttled and other retryable calls with exponential backoff. */
function withRetries<T>(call$: Observable<T>, scheduler: SchedulerLike): Observable<T> {
  return call$.pipe(
    retry({
      count: RETRIES,
      delay: (error: unknown, attempt) =>
        error instanceof KinesisCallError && error.retryable
          ? timer(Math.min(MAX_RETRY_DELAY_MILLIS, MIN_POLL_MILLIS * 2 ** (attempt - 1)), scheduler)
          : throwError(() => error),
    }),
  );
}
