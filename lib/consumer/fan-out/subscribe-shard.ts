/**
 * Reads one shard through enhanced fan-out, as the KCL's `FanOutRecordsPublisher` does:
 *
 * - SubscribeToShard at the starting position, then one event at a time (`next()`), each delivered
 *   as a `Records` page (also when empty: it still says how far behind the reader is); the next
 *   event is asked for only once the last one has been delivered (see {@link fanOutShardThrough})
 *   and the `gate` has opened, so a reader that falls behind stops reading and the service is held
 *   back by flow control rather than buffered for;
 * - the service ends each subscription after at most five minutes; a new one is then made
 *   AFTER_SEQUENCE_NUMBER of the continuation of the last event delivered (it advances even when no
 *   record arrives), or at the starting position when nothing has been delivered yet;
 * - at most one SubscribeToShard a second for the shard: a new subscription waits out the rest of
 *   the second since the last one (the service's limit per consumer and shard);
 * - a subscription that answers nothing for `livenessTimeoutMillis` (the KCL's 60 s health check) is
 *   cancelled and replaced from the same point, at once: a silent connection is not an error;
 * - throttling (`KinesisThrottledError`) and `ResourceInUseException` (the last subscription,
 *   cancelled or not, is still held by the service for up to five seconds) are retried with a new
 *   subscription after an exponential backoff, for as long as they last;
 * - another retryable failure is retried likewise, at most `backoff.maxRetries` times in a row (a
 *   delivered event starts the count again), then passed on; a non-retryable one is passed on at
 *   once;
 * - an event without a continuation ends the shard: its records are delivered (if any), then
 *   `ShardEnd` with the children it announced, then completion. `ResourceNotFoundException`
 *   (`StreamNotFoundError`) also means shard end, with no children, as in the KCL and as in polling,
 *   but only once `isShardGone` confirms it: SubscribeToShard says the same when the stream
 *   consumer is missing (deregistered, or misnamed), and finishing every shard then would skip
 *   all their records. A shard that is still there fails the read instead.
 *
 * A subscription is cancelled (`return()`) when it is replaced for silence, once the shard's end is
 * read, and when the reader is unsubscribed or fails; one that ended or failed by itself is
 * finished and is not told again, as a `for await` loop would not. Nothing is asked of it after
 * that.
 * @packageDocumentation
 */
import {
  EMPTY,
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  finalize,
  from,
  map,
  of,
  repeat,
  take,
  timeout,
  timer,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../model/errors';
import type { IteratorPosition, KinesisFanOutPort, ShardSubscriptionEvent } from '../../ports/kinesis-port';
import { backoff, type Backoff, type BackoffSettings } from '../polling/backoff';
import type { PollEvent, PollGate } from '../polling/poll-shard';

/** How long a subscription may answer nothing before it is replaced (the KCL's `MAX_TIME_BETWEEN_REQUEST_RESPONSE`). */
export const DEFAULT_LIVENESS_TIMEOUT_MILLIS = 60_000;
/** Least time between two SubscribeToShard calls for one shard (the service allows one a second). */
export const MIN_MILLIS_BETWEEN_SUBSCRIBES = 1000;

/** What to read, as which stream consumer, and how to retry. */
export interface FanOutShardOptions {
  /**
   * The stream the shard belongs to, for whoever reports on the read: SubscribeToShard names only
   * the consumer, and the failures passed on are the port's own.
   */
  readonly streamName: string;
  readonly shardId: string;
  /** The registered stream consumer to read as (`ensureStreamConsumer`). */
  readonly consumerArn: string;
  /** Where the first subscription starts (see `startingPosition`). */
  readonly start: IteratorPosition;
  /** Retry pacing for throttling, `ResourceInUseException` and transient failures. */
  readonly backoff?: BackoffSettings;
  /** A subscription that answers nothing for this long is cancelled and replaced. Default 60000 (the KCL's). */
  readonly livenessTimeoutMillis?: number;
  /** The clock of every wait. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Asked when a subscription is refused as not found: whether the shard itself is gone (then it
   * has ended) rather than the stream consumer. Default: the shard is gone, as the KCL assumes.
   */
  readonly isShardGone?: () => Observable<boolean>;
  /**
   * Told each time a subscription is replaced for silence, with how long it was silent: a transport
   * that connects and then never delivers (an HTTP/2 stream the other end cut off) would otherwise
   * be retried without a word.
   */
  readonly onSilence?: (silentMillis: number) => void;
}

/** {@link FanOutShardOptions} pacing, checked, with the defaults filled in. */
export interface FanOutPacing {
  readonly retries: Backoff;
  readonly livenessTimeoutMillis: number;
}

/** What one `next()` came to. */
type Answer =
  | { readonly _tag: 'Event'; readonly event: ShardSubscriptionEvent }
  /** The service ended the subscription. */
  | { readonly _tag: 'Ended' }
  /** Nothing came within the liveness timeout. */
  | { readonly _tag: 'Silent' };

const ENDED: Answer = { _tag: 'Ended' };
const SILENT: Answer = { _tag: 'Silent' };
const NOTHING: readonly PollEvent[] = [];

/**
 * Reads one shard through enhanced fan-out until its end. Cold: each subscription reads on its own.
 * @param kinesis the fan-out side of the Kinesis port
 * @param options what to read and how to retry
 * @param gate backpressure; without one, each event is asked for as soon as the last is emitted
 * @throws TypeError when an option is out of range
 */
export function fanOutShard(kinesis: KinesisFanOutPort, options: FanOutShardOptions, gate?: PollGate): Observable<PollEvent> {
  return fanOutShardThrough(kinesis, options, (event) => of(event), gate);
}

/**
 * Hands each event to `deliver` as a `Records` page, then the shard's end, in order. Reads one shard
 * as {@link fanOutShard} does: the next event is asked for only once the Observable `deliver`
 * returned for the last one has completed and the gate has opened. Cold: each subscription reads on
 * its own, with subscriptions of its own.
 * @param kinesis the fan-out side of the Kinesis port
 * @param options what to read and how to retry
 * @param deliver what an event or the shard's end becomes; its values are passed on
 * @param gate backpressure, asked once the last event is delivered
 * @throws TypeError when an option is out of range
 */
export function fanOutShardThrough<T>(
  kinesis: KinesisFanOutPort,
  options: FanOutShardOptions,
  deliver: (event: PollEvent) => ObservableInput<T>,
  gate?: PollGate,
): Observable<T> {
  const { shardId, consumerArn, start } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const { retries, livenessTimeoutMillis } = checkFanOutOptions(options);

  return defer(() => {
    // Per subscription: the service subscription being read (none between two), where the next one
    // starts, when one may be made, the failures in a row, and whether the shard's end is read.
    let live: AsyncIterator<ShardSubscriptionEvent> | undefined;
    let resume = start;
    let lastSubscribeAt = Number.NEGATIVE_INFINITY;
    let notBefore = Number.NEGATIVE_INFINITY;
    let throttled = 0;
    let failed = 0;
    let ended = false;
    // Whether the last round delivered something, so that the gate is asked before the next.
    let delivered = false;

    const cancel = (): void => {
      const current = live;
      live = undefined;
      // As in RxJS's own `from(asyncIterable)`: a failure to cancel has nowhere to go.
      const closing = current?.return?.();
      if (closing !== undefined) Promise.resolve(closing).catch(() => undefined);
    };

    const connection = (): Observable<AsyncIterator<ShardSubscriptionEvent>> =>
      defer(() => {
        if (live !== undefined) return of(live);
        const wait = Math.max(notBefore, lastSubscribeAt + MIN_MILLIS_BETWEEN_SUBSCRIBES) - scheduler.now();
        return (wait > 0 ? timer(wait, scheduler) : of(0)).pipe(
          map(() => {
            lastSubscribeAt = scheduler.now();
            live = kinesis.subscribeToShard(consumerArn, shardId, resume)[Symbol.asyncIterator]();
            return live;
          }),
        );
      });

    // The liveness timer runs only while an answer is awaited: time spent delivering is the
    // reader's, and the service is then held back on purpose.
    const pull = (): Observable<Answer> =>
      connection().pipe(
        concatMap((subscription) =>
          defer(() => from(subscription.next())).pipe(
            map((result): Answer => (result.done === true ? ENDED : { _tag: 'Event', event: result.value })),
            timeout({ first: livenessTimeoutMillis, scheduler, with: () => of(SILENT) }),
          ),
        ),
      );

    const eventsOf = (answer: Answer): readonly PollEvent[] => {
      switch (answer._tag) {
        case 'Ended':
          live = undefined;
          return NOTHING;
        case 'Silent':
          options.onSilence?.(livenessTimeoutMillis);
          cancel();
          return NOTHING;
        case 'Event': {
          const { event } = answer;
          throttled = 0;
          failed = 0;
          const page: PollEvent = { _tag: 'Records', records: event.records, millisBehindLatest: event.millisBehindLatest ?? 0 };
          if (event.continuationSequenceNumber !== undefined) {
            resume = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: event.continuationSequenceNumber };
            return [page];
          }
          ended = true;
          // Nothing more is read from it, however long the delivery takes.
          cancel();
          const end: PollEvent = { _tag: 'ShardEnd', childShards: event.childShards ?? [] };
          return event.records.length > 0 ? [page, end] : [end];
        }
      }
    };

    const recover = (error: unknown): Observable<readonly PollEvent[]> => {
      // A subscription whose next() rejected is finished (or was never made).
      live = undefined;
      if (error instanceof StreamNotFoundError) {
        return (options.isShardGone?.() ?? of(true)).pipe(
          take(1),
          map((gone): readonly PollEvent[] => {
            if (!gone) {
              const why = `the stream consumer ${consumerArn} was not found while shard ${shardId} exists (was the consumer deregistered?)`;
              throw new KinesisCallError('SubscribeToShard', 'ResourceNotFoundException', why, { retryable: false, cause: error });
            }
            ended = true;
            return [{ _tag: 'ShardEnd', childShards: [] }];
          }),
        );
      }
      if (error instanceof KinesisThrottledError || (error instanceof KinesisCallError && error.code === 'ResourceInUseException')) {
        throttled += 1;
        notBefore = scheduler.now() + retries.delay(throttled);
        return of(NOTHING);
      }
      if (!(error instanceof KinesisCallError && error.retryable)) throw error;
      failed += 1;
      if (failed > retries.maxRetries) throw error;
      notBefore = scheduler.now() + retries.delay(failed);
      return of(NOTHING);
    };

    // One round: an answer, then the delivery of what it came to. repeat starts the next round only
    // once this one has completed, i.e. once the event is delivered, and without nesting the rounds.
    const round = defer(() => (ended ? EMPTY : pull())).pipe(
      map(eventsOf),
      catchError(recover),
      concatMap((events) => {
        delivered = events.length > 0;
        return from(events).pipe(concatMap((event) => deliver(event)));
      }),
    );
    return round.pipe(
      repeat({ delay: () => (ended ? EMPTY : delivered && gate !== undefined ? gate().pipe(take(1)) : of(0)) }),
      finalize(cancel),
    );
  });
}

/**
 * The fan-out side of `kinesis`.
 * @throws TypeError when the port cannot subscribe to shards
 */
export function fanOutPort(kinesis: Partial<KinesisFanOutPort>): KinesisFanOutPort {
  const { ensureStreamConsumer, subscribeToShard } = kinesis;
  if (ensureStreamConsumer === undefined || subscribeToShard === undefined) {
    throw new TypeError('kcl.retrievalMode FANOUT needs a Kinesis port with ensureStreamConsumer and subscribeToShard (the AWS port and InMemoryKinesis have them)');
  }
  return { ensureStreamConsumer: ensureStreamConsumer.bind(kinesis), subscribeToShard: subscribeToShard.bind(kinesis) };
}

/**
 * Checks the pacing options of {@link fanOutShard}.
 * @returns the backoff and the liveness timeout, defaults filled in
 * @throws TypeError naming the option out of range
 * @internal
 */
export function checkFanOutOptions(options: Pick<FanOutShardOptions, 'backoff' | 'livenessTimeoutMillis'>): FanOutPacing {
  const livenessTimeoutMillis = options.livenessTimeoutMillis ?? DEFAULT_LIVENESS_TIMEOUT_MILLIS;
  if (!(typeof livenessTimeoutMillis === 'number' && livenessTimeoutMillis > 0 && Number.isFinite(livenessTimeoutMillis))) {
    throw new TypeError(`fanOutShard: livenessTimeoutMillis must be a positive number of milliseconds, got ${String(livenessTimeoutMillis)}`);
  }
  return { retries: backoff(options.backoff, 'fanOutShard'), livenessTimeoutMillis };
}
