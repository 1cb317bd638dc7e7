/**
 * `produce`: the KPL's pipeline as one RxJS operator.
 *
 * ```
 * ProducerEvent ─ validate ─┬─ invalid ──────────────────────────────────────────────┬─▶ SendResult
 *                           └─ limitInFlight(max-outstanding-requests) ──────────────┘
 *                              (pullInFlight instead over the iterable behind a pullable)
 *                                  shard map ready → chunks of admitted events → records
 *                                  → aggregate per predicted shard
 *                                  → rate limit per shard → collect into PutRecords
 *                                  → send (≤ MaxConnections batches at once), retry until RecordTtl
 * ```
 *
 * Cost. Hundreds of thousands of events a second go through here, so the per-event path is plain
 * loops over chunks of admitted events, not an Observable notification per stage per event:
 * Observables carry chunks, Kinesis records and requests, and the only objects made per event are
 * its record and its result.
 *
 * Ordering. Results come out as Kinesis acknowledges records, not in input order. Records with the
 * same partition key (or explicit hash key) go to the same shard, into the same aggregate or into
 * aggregates and requests formed in the caller's order. With one request in flight
 * (`kpl.MaxConnections` = 1) and no retries, Kinesis stores them in the caller's order. Several
 * requests in flight may reach Kinesis out of order, and a retried record is stored after records
 * that were sent later; the KPL has the same behaviour ("records can be reordered").
 * @packageDocumentation
 */
import {
  concat,
  defer,
  filter,
  finalize,
  ignoreElements,
  map,
  merge,
  mergeMap,
  NEVER,
  share,
  tap,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ProducerConf } from '../config/producer-config';
import type { ProducerEvent } from '../model/producer-event';
import type { SendResult } from '../model/send-result';
import type { KinesisPort } from '../ports/kinesis-port';
import { resolveKinesisPort } from '../ports/aws/clients';
import { aggregate } from './aggregate';
import { collect } from './collect';
import { ProducerOverflowError } from './errors';
import { limitInFlight, pullInFlight, type AdmissionTurn, type BoundedPipeline } from './in-flight';
import { recordCount } from './pending-record';
import { Pullable } from './pullable';
import { rateLimit, ShardRateLimiter } from './rate-limit';
import { sendWithRetries, type RetryContext } from './retry';
import type { Deps, Logger } from '../ports/deps';
import { producerSettings, SHARD_MAP_RETRY, type ProduceOptions, type ProducerSettings } from './settings';
import { ShardMapState } from './shard-map';
import { checkEvent, MessageIds, refused, toPendingRecords } from './validate';
import { nextTurnScheduler } from './next-turn-scheduler';

/** Where the producer reports what it works around (a failed shard map refresh, …). */
export type ProducerLogger = Logger;

/**
 * What the producer talks to; the shared {@link Deps} without the lease table. Absent `kinesis`: a
 * client is built from the configuration (`kpl.Region`, `kpl.KinesisEndpoint`, `kpl.RequestTimeout`,
 * else the SDK's defaults and endpoint variables) for each subscription and destroyed when it ends.
 */
export type ProducerDeps = Omit<Deps, 'leases'>;

/** What a producer subscription runs on. @internal */
export interface ProducerEnvironment {
  readonly resolvePort: () => { readonly port: KinesisPort; readonly release: () => void };
  readonly scheduler: SchedulerLike;
  readonly logger?: ProducerLogger;
}

/** The environment for `deps`, building the default port from `conf` when none is given. @internal */
export function producerEnvironment(conf: ProducerConf, deps: ProducerDeps): ProducerEnvironment {
  const { region, kinesisEndpoint } = conf.aws;
  const clientOptions = {
    ...(region === undefined ? {} : { region }),
    ...(kinesisEndpoint === undefined ? {} : { endpoint: kinesisEndpoint }),
    requestTimeoutMillis: conf.requestTimeoutMillis,
  };
  return {
    resolvePort: () => resolveKinesisPort(deps.kinesis, clientOptions),
    scheduler: deps.scheduler ?? nextTurnScheduler,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  };
}

/** One producer subscription: what it runs on, and its pipeline, to run under a bound on events in flight. */
interface ProducerRun {
  /** Validates, aggregates, collects, sends and retries; one result per event admitted. */
  readonly pipeline: BoundedPipeline<ProducerEvent, SendResult>;
  /** The `SendFailed` of an event that must not enter the pipeline, else `undefined`. */
  readonly refuse: (event: ProducerEvent) => SendResult | undefined;
  readonly messageIds: MessageIds;
  /** Gives back the Kinesis port (destroys a client built for this subscription). */
  readonly release: () => void;
}

/** Sets up one producer subscription; call it inside `defer`, so that nothing is shared. */
function startRun(settings: ProducerSettings, env: ProducerEnvironment, flushes: Observable<unknown>): ProducerRun {
  const { scheduler, logger } = env;
  const { port, release } = env.resolvePort();
  const messageIds = new MessageIds();
  const shardMap = new ShardMapState(port, {
    streamName: settings.streamName,
    scheduler,
    retryInitialMillis: SHARD_MAP_RETRY.initialMillis,
    retryMultiplier: SHARD_MAP_RETRY.multiplier,
    retryMaxMillis: SHARD_MAP_RETRY.maxMillis,
    loadTimeoutMillis: settings.recordTtlMillis,
    onRefreshError: (error) => logger?.warn('shard map refresh failed; keeping the previous map', { streamName: settings.streamName, error }),
  });
  const limiter = new ShardRateLimiter(settings.rateLimitPercent, scheduler);
  const context: RetryContext = {
    port,
    streamName: settings.streamName,
    scheduler,
    shardMap,
    failIfThrottled: settings.failIfThrottled,
    recordTtlMillis: settings.recordTtlMillis,
    requestTimeoutMillis: settings.requestTimeoutMillis,
    aggregation: settings.aggregation,
    backoff: settings.retryBackoff,
    collection: settings.collection,
    limiter,
    ...(logger === undefined ? {} : { logger }),
  };
  const ttl = settings.recordTtlMillis;

  // Records handed to the send stage (first attempts and retries) whose result is not out yet.
  let recordsSending = 0;
  const pipeline = (admitted: Observable<readonly ProducerEvent[]>, saturated: Observable<void>): Observable<readonly SendResult[]> => {
    // Nagle's rule: when no more records can come in (every slot taken) and no request or retry
    // is under way, nothing but sending what is buffered can make progress, so send it now
    // rather than after RecordMaxBufferedTime. Saturation is signalled once the chunk that
    // filled the last slot is in, and the results that freed those slots are counted out before
    // they go on, so the check needs no timer. Shared, so that the aggregates and the collector
    // both flush on the same verdict.
    const idleAndFull = saturated.pipe(
      filter(() => recordsSending === 0),
      share(),
    );
    const flushNow = merge(flushes, idleAndFull);
    return concat(
      // Events wait outside (in limitInFlight's buffer, or in the iterable) until the first shard map is in.
      shardMap.load().pipe(ignoreElements()),
      admitted.pipe(
        map((events) => {
          const now = scheduler.now();
          return toPendingRecords(events, messageIds, { at: now, expiresAt: now + ttl });
        }),
        aggregate({
          ...settings.aggregation,
          maxBufferedTimeMillis: settings.maxBufferedTimeMillis,
          predict: (record) => shardMap.predict(record),
          scheduler,
          flushes: flushNow,
        }),
        rateLimit(limiter, scheduler),
        collect({ ...settings.collection, lingerMillis: settings.collectionLingerMillis, scheduler, flushes: flushNow }),
        tap((batch) => (recordsSending += recordCount(batch))),
        mergeMap((batch) => sendWithRetries(batch, context), settings.maxInFlightRequests),
        tap((results) => (recordsSending -= results.length)),
      ),
    );
  };

  // Invalid events fail at once, without waiting for a slot.
  const refuse = (event: ProducerEvent): SendResult | undefined => {
    const problem = checkEvent(event, settings.validation);
    return problem === undefined ? undefined : refused(event, messageIds.next(), problem);
  };
  return { pipeline, refuse, messageIds, release };
}

/**
 * Most events admitted into the pipeline in one go: about 3 ms of validating, hashing and
 * aggregating. Free slots beyond it are filled on the scheduler's next turn, so that the requests
 * formed meanwhile are sent, and answers read, in between (see `in-flight`).
 */
const ADMIT_PER_TURN = 2048;

/**
 * The pipeline behind `produce` and `KinesisProducer`; `flushes` sends everything buffered at once
 * on each notification. All state lives in the subscription.
 * @internal
 */
export function producePipeline(settings: ProducerSettings, env: ProducerEnvironment, flushes: Observable<unknown>): OperatorFunction<ProducerEvent, SendResult> {
  const { maxOutstanding, maxBufferedEvents } = settings;
  const turn: AdmissionTurn = { scheduler: env.scheduler, maxPerTurn: ADMIT_PER_TURN };
  return (events) =>
    defer(() => {
      const run = startRun(settings, env, flushes);
      // Over a `Pullable`, events are pulled from the iterable behind it only while slots are free,
      // so none waits in a buffer; any other Observable pushes, and what cannot go in yet waits.
      const results$ =
        events instanceof Pullable
          ? pullInFlight<ProducerEvent, SendResult>({ max: maxOutstanding, refuse: run.refuse, turn }, run.pipeline)(events.iterable)
          : events.pipe(
              limitInFlight<ProducerEvent, SendResult>(
                {
                  max: maxOutstanding,
                  turn,
                  maxBuffered: maxBufferedEvents,
                  refuse: run.refuse,
                  onOverflow: (event) => refused(event, run.messageIds.next(), new ProducerOverflowError(maxOutstanding, maxBufferedEvents)),
                },
                run.pipeline,
              ),
            );
      return results$.pipe(finalize(run.release));
    });
}

/**
 * Puts events into Kinesis the way the KPL does, as an operator: exactly one `SendSuccessful` or
 * `SendFailed` per event, in the order Kinesis acknowledges them (see the module notes on ordering).
 *
 * - Invalid events (partition key empty, over 256 characters or not Unicode; data plus partition
 *   key over `kpl.MaxUserRecordSize`; explicit hash key not a decimal in [0, 2^128 − 1]) fail at
 *   once with `InvalidRecordError`, and nothing else is affected.
 * - A record Kinesis refuses anyway (the stream's maximum record size is below
 *   `kpl.MaxUserRecordSize`, say) fails alone with `RecordRefusedError`: a request Kinesis refuses
 *   whole as invalid is sent again in halves until the records it refuses are found, and every
 *   other record of it is sent.
 * - Valid ones are aggregated per predicted shard, rate limited per shard, collected into PutRecords
 *   calls, and retried with backoff when refused, until `kpl.RecordTtl`; then they fail with
 *   `RecordExpiredError` naming the last cause. Errors that retrying cannot fix (no such stream,
 *   access denied, a malformed request) fail the records at once with that error.
 * - At most `akka.max-outstanding-requests` events are in flight. Over a `pullable` source the next
 *   event is pulled only when one of them has its result; over any other Observable further events
 *   wait in a buffer of `maxBufferedEvents` (default 100 × `max-outstanding-requests`) and beyond
 *   that fail at once with `ProducerOverflowError`.
 *
 * Feeding many events. An RxJS source cannot be paused, and a synchronous one (`from(array)`,
 * `range`) pushes all its events during `subscribe`, before Kinesis has acknowledged any: they can
 * only wait in the buffer (or be refused beyond it), and each event is held until its result is out.
 * To send a large batch (a file, a million generated events), make it an `Iterable` or
 * `AsyncIterable` (a generator, a line reader) and pipe `pullable(generator())` straight into
 * `produce`: events are then pulled only as slots free, so memory stays bounded whatever the batch's
 * size. Any operator between the two pushes again (map inside the generator instead).
 * `kinesisSink(conf)(generator())` does the same and returns a Promise; `await producer.ready()`
 * before each `KinesisProducer.send` is the imperative way. Other sources are for events that arrive
 * over time (messages, requests), where the buffer absorbs bursts.
 *
 * The output errors only when the producer cannot work at all: the shard map cannot be loaded
 * within `RecordTtl` (or the stream does not exist), or the source errors (or the iterable behind
 * a `pullable` throws).
 *
 * @example
 * orders$.pipe(map(toEvent), produce(producerConf(config, 'orders'))).subscribe(logResult);
 * pullable(readOrders(file)).pipe(produce(producerConf(config, 'orders'))).subscribe(logResult); // a large batch, pulled
 *
 * @param conf from `producerConf(config, name)`
 * @param deps Kinesis port or client, scheduler, logger
 * @param options producer options outside the seed's configuration
 * @throws TypeError when an option is out of range
 */
export function produce(conf: ProducerConf, deps: ProducerDeps = {}, options: ProduceOptions = {}): OperatorFunction<ProducerEvent, SendResult> {
  return producePipeline(producerSettings(conf, options), producerEnvironment(conf, deps), NEVER);
}
