/**
 * Reads one shard with GetRecords, as the KCL's polling retrieval does (`KinesisDataFetcher`):
 *
 * - one GetShardIterator at the starting position, then GetRecords with `maxRecords`, each next
 *   call using the iterator the last page returned;
 * - between two calls, at least `idleTimeBetweenReadsMillis` (measured from the arrival of the last
 *   page, so time the subscriber spends on a page counts), until the last page has been delivered
 *   (see {@link pollShardThrough}) and until the `gate` opens;
 * - throttling (`KinesisThrottledError`, on either call) is retried with the same iterator after an
 *   exponential backoff, for as long as it lasts: a throttled shard is not an error, and an iterator
 *   that expires meanwhile is replaced as below;
 * - an expired iterator (`ExpiredIteratorError`, five minutes after it was issued, e.g. after the
 *   gate stayed shut) is replaced at once by one AFTER_SEQUENCE_NUMBER of the last record delivered,
 *   or at the starting position when nothing has been delivered yet;
 * - another retryable failure, or a call left unanswered for `callTimeoutMillis` when one is
 *   given, is retried after a backoff, at most `backoff.maxRetries` times in a row, then passed on;
 *   a non-retryable one is passed on at once. The consumer gives none: it bounds every call at the
 *   port (`bounded-calls`), where a call that runs out of time is such a retryable failure;
 * - a page without a next iterator ends the shard: its records are emitted, then `ShardEnd` with
 *   the children it announced, then completion. `ResourceNotFoundException` (`StreamNotFoundError`)
 *   on either call also means shard end, with no children, as in the KCL: a closed shard whose
 *   records are past retention is deleted.
 *
 * The next call is not hurried after a full page: at the default pacing (up to 10000 records per
 * call, one call a second) a poller reads ten times faster than a shard can be written (1000
 * records/s), and calling again at once would run into the per-shard limits of five reads a second
 * and of 10 MiB then a five-second pause.
 * @packageDocumentation
 */
import {
  EMPTY,
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  forkJoin,
  from,
  identity,
  map,
  of,
  repeat,
  retry,
  take,
  throwError,
  timeout,
  timer,
  type MonoTypeOperatorFunction,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { ExpiredIteratorError, KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../model/errors';
import type { ChildShard, GetRecordsOutput, IteratorPosition, KinesisPort, KinesisRecord } from '../../ports/kinesis-port';
import { backoff, requireMillis, type Backoff, type BackoffSettings } from './backoff';

/** Most records one GetRecords call may ask for. */
export const MAX_RECORDS_PER_CALL = 10000;

/** What polling a shard yields. */
export type PollEvent =
  /** One GetRecords page (possibly empty: it still says how far behind the reader is). */
  | { readonly _tag: 'Records'; readonly records: readonly KinesisRecord[]; readonly millisBehindLatest: number }
  /** The shard is closed and has been read to its end; always the last event. */
  | { readonly _tag: 'ShardEnd'; readonly childShards: readonly ChildShard[] };

/** What to read and how fast. */
export interface PollShardOptions {
  readonly streamName: string;
  readonly shardId: string;
  /** Where the first iterator starts (see `startingPosition`). */
  readonly start: IteratorPosition;
  /** GetRecords limit (`kcl.maxRecords`), 1..10000. */
  readonly maxRecords: number;
  /** Least time between the arrival of one page and the next call (`kcl.idleTimeBetweenReadsInMillis`). */
  readonly idleTimeBetweenReadsMillis: number;
  /** Retry pacing for throttling and transient failures. */
  readonly backoff?: BackoffSettings;
  /**
   * A call not answered within this time is abandoned and retried as a transient failure. Default:
   * none here, for a port whose calls are bounded already (the consumer's are).
   */
  readonly callTimeoutMillis?: number;
  /** The clock of every wait. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Backpressure: called after each page; the next GetRecords call waits until the returned
 * Observable emits. If it completes without emitting, polling ends (the Observable completes
 * without `ShardEnd`).
 */
export type PollGate = () => Observable<unknown>;

/** Where the next call reads from: the iterator in hand, and where a fresh one would start. */
interface Cursor {
  readonly iterator: string | undefined;
  readonly resume: IteratorPosition;
}

/** One answered call: what to emit, and where to go on (nothing after the shard's end). */
interface Step {
  readonly events: readonly PollEvent[];
  readonly next: Cursor | undefined;
}

/**
 * Polls one shard until its end. Cold: each subscription reads on its own.
 * @param kinesis the Kinesis port
 * @param options what to read and how fast
 * @param gate backpressure; without one, only the idle time paces the calls
 * @throws TypeError when an option is out of range
 */
export function pollShard(kinesis: KinesisPort, options: PollShardOptions, gate?: PollGate): Observable<PollEvent> {
  return pollShardThrough(kinesis, options, (event) => of(event), gate);
}

/**
 * Hands each page to `deliver`, then the shard's end, in order. Polls one shard until its end as
 * {@link pollShard} does, except that the next call also waits until the Observable `deliver`
 * returned for the last page has completed: a consumer that emits a page bit by bit, as its
 * subscriber keeps up, holds one page at a time. Cold: each subscription reads on its own.
 * @param kinesis the Kinesis port
 * @param options what to read and how fast
 * @param deliver what a page or the shard's end becomes; its values are passed on
 * @param gate backpressure, asked once the last page is delivered; without one, only the idle
 *   time paces the calls
 * @throws TypeError when an option is out of range
 */
export function pollShardThrough<T>(
  kinesis: KinesisPort,
  options: PollShardOptions,
  deliver: (event: PollEvent) => ObservableInput<T>,
  gate?: PollGate,
): Observable<T> {
  const { streamName, shardId, start, maxRecords, idleTimeBetweenReadsMillis } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const retries = checkPollOptions(options);
  const { callTimeoutMillis } = options;
  // A call that never answers is abandoned and retried like any transient failure.
  const bounded = <T>(operation: string): MonoTypeOperatorFunction<T> =>
    callTimeoutMillis === undefined
      ? identity
      : timeout<T, Observable<never>>({
          first: callTimeoutMillis,
          scheduler,
          with: () =>
            throwError(() => new KinesisCallError(operation, 'RequestTimeout', `no answer within ${callTimeoutMillis} ms (shard ${shardId})`, { retryable: true })),
        });

  const fetchPage = (cursor: Cursor): Observable<Step> =>
    defer(() => {
      // Per call: the iterator in use (dropped when it expires) and the failures in a row.
      let iterator = cursor.iterator;
      let throttled = 0;
      let failed = 0;
      const issue = (): Observable<GetRecordsOutput> =>
        defer(() =>
          iterator === undefined ? kinesis.getShardIterator(streamName, shardId, cursor.resume).pipe(bounded('GetShardIterator')) : of(iterator),
        ).pipe(
          concatMap((current) => {
            iterator = current;
            return kinesis.getRecords(current, maxRecords).pipe(bounded('GetRecords'));
          }),
        );
      return issue().pipe(
        retry({
          delay: (error: unknown) => {
            if (error instanceof KinesisThrottledError) {
              throttled += 1;
              return timer(retries.delay(throttled), scheduler);
            }
            if (!(error instanceof KinesisCallError && error.retryable) || error instanceof StreamNotFoundError) throw error;
            failed += 1;
            if (failed > retries.maxRetries) throw error;
            if (error instanceof ExpiredIteratorError) {
              iterator = undefined;
              return of(0);
            }
            return timer(retries.delay(failed), scheduler);
          },
        }),
        map((output) => stepOf(output, cursor)),
        catchError((error: unknown) =>
          error instanceof StreamNotFoundError ? of<Step>({ events: [{ _tag: 'ShardEnd', childShards: [] }], next: undefined }) : throwError(() => error),
        ),
      );
    });

  // The idle time runs from the page's arrival, so the time spent delivering it counts.
  const pause = (arrivedAt: number): Observable<unknown> => {
    const idle = timer(Math.max(0, arrivedAt + idleTimeBetweenReadsMillis - scheduler.now()), scheduler);
    return gate === undefined ? idle : forkJoin([idle, gate().pipe(take(1))]);
  };

  return defer(() => {
    // Per subscription: where the next call reads (none after the shard's end), and when the last page came.
    let cursor: Cursor | undefined = { iterator: undefined, resume: start };
    let arrivedAt = scheduler.now();
    // One round: a call, then the delivery of what it answered. repeat starts the next round only
    // once this one has completed, i.e. once the page is delivered, and without nesting the rounds.
    const round = defer(() => (cursor === undefined ? EMPTY : fetchPage(cursor))).pipe(
      concatMap((step) => {
        cursor = step.next;
        arrivedAt = scheduler.now();
        return from(step.events).pipe(concatMap((event) => deliver(event)));
      }),
    );
    return round.pipe(repeat({ delay: () => (cursor === undefined ? EMPTY : pause(arrivedAt)) }));
  });
}

/**
 * Checks the pacing options of {@link pollShard}.
 * @returns the backoff, defaults filled in
 * @throws TypeError naming the option out of range
 * @internal
 */
export function checkPollOptions(options: Pick<PollShardOptions, 'maxRecords' | 'idleTimeBetweenReadsMillis' | 'backoff' | 'callTimeoutMillis'>): Backoff {
  const { maxRecords } = options;
  if (!(Number.isInteger(maxRecords) && maxRecords >= 1 && maxRecords <= MAX_RECORDS_PER_CALL)) {
    throw new TypeError(`pollShard: maxRecords must be an integer from 1 to ${MAX_RECORDS_PER_CALL}, got ${maxRecords}`);
  }
  requireMillis(options.idleTimeBetweenReadsMillis, 'pollShard: idleTimeBetweenReadsMillis');
  if (options.callTimeoutMillis !== undefined && !(options.callTimeoutMillis > 0 && Number.isFinite(options.callTimeoutMillis))) {
    throw new TypeError(`pollShard: callTimeoutMillis must be a positive number of milliseconds, got ${options.callTimeoutMillis}`);
  }
  return backoff(options.backoff, 'pollShard');
}

function stepOf(output: GetRecordsOutput, cursor: Cursor): Step {
  const { records } = output;
  const page: PollEvent = { _tag: 'Records', records, millisBehindLatest: output.millisBehindLatest ?? 0 };
  if (output.nextShardIterator === undefined) {
    return { events: [page, { _tag: 'ShardEnd', childShards: output.childShards ?? [] }], next: undefined };
  }
  const last = records[records.length - 1];
  return {
    events: [page],
    next: {
      iterator: output.nextShardIterator,
      resume: last === undefined ? cursor.resume : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber },
    },
  };
}
