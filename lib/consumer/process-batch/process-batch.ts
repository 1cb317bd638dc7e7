/**
 * `processBatch`: the seed's `ConsumerWorker` as an operator over one shard's committable events.
 *
 * ```
 * events ─▶ batches (one page, ≤ maxRecords) ─▶ one batch at a time:
 *            dispatch every event ─▶ answers ─▶ commit ─▶ all answered? next batch
 *               ▲ after batchTimeout: the unanswered again, failedMessageRetries times
 *               └ then: unanswered ≤ tolerance? skip them : ConsumerWorkerFailure, the shard stops
 * ```
 *
 * Each answer commits its event at once (`commit(successful)`), so the shard's checkpointer can move
 * while a batch is still in progress, but never past an unanswered event. Events skipped within the
 * tolerance are committed with `successful = false`; the events of a failed batch are never
 * committed, so the checkpoint stays below them and they are read again by the next lease holder.
 *
 * Seed behaviours fixed here (seed-spec §8): the retry count does not restart when answers trickle
 * in (it did on every answer); only answers for events of the batch count; an empty batch never
 * waits; a failed batch stops its shard, not the whole process, and the shard still gets its
 * `ConsumerShutdown`; a stop ends the batch in progress at once instead of waiting for it.
 * @packageDocumentation
 */
import {
  EMPTY,
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  connect,
  defer,
  endWith,
  filter,
  from,
  ignoreElements,
  merge,
  mergeMap,
  NEVER,
  of,
  take,
  takeUntil,
  takeWhile,
  tap,
  throwIfEmpty,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ConsumerConf } from '../../config/consumer-config';
import type { ConsumerEvent } from '../../model/consumer-event';
import { consumerShutdown, consumerWorkerFailure, type ConsumerNotification } from '../../model/notifications';
import type { CompoundSequenceNumber } from '../../model/sequence-number';
import { requireMillis } from '../polling/backoff';
import type { CommittableEvent } from '../committable-event';
import { BatchProgress, allowedFailures } from './batch-progress';
import { batches } from './batches';
import { answerOf, asEventProcessor, type Ack, type Processor } from './event-processor';

/** What batch processing reports on the side: the seed's log lines, as values. */
export type BatchDiagnostic =
  /** The processor answered `successful = false`: the event is skipped (the seed logged a warning). */
  | { readonly _tag: 'EventSkipped'; readonly shardId: string; readonly sequenceNumber: CompoundSequenceNumber }
  /** The processor gave no answer for an event: it threw, rejected, errored or completed empty. */
  | { readonly _tag: 'NoAnswer'; readonly shardId: string; readonly sequenceNumber: CompoundSequenceNumber; readonly error: unknown }
  /** An answer named an event that is not in the batch; it was ignored. */
  | { readonly _tag: 'ForeignAnswer'; readonly shardId: string; readonly sequenceNumber: CompoundSequenceNumber }
  /** The batch timed out and its unanswered events were sent again (`retry` counts from 1). */
  | { readonly _tag: 'BatchRetried'; readonly shardId: string; readonly retry: number; readonly events: readonly CompoundSequenceNumber[] }
  /** Retries ran out with few enough events unanswered: they are skipped and committed as such. */
  | { readonly _tag: 'UnansweredSkipped'; readonly shardId: string; readonly events: readonly CompoundSequenceNumber[] }
  /** `onFailure` or `onShutdown` of the processor threw. */
  | { readonly _tag: 'CallbackFailed'; readonly shardId: string; readonly callback: 'onFailure' | 'onShutdown'; readonly error: unknown };

/** How batches are processed. Every field is optional; the defaults are the seed's. */
export interface ProcessBatchOptions {
  /** Time allowed for each attempt at a batch (`worker.batchTimeoutSeconds` × 1000). Default 10000. */
  readonly batchTimeoutMillis?: number;
  /** How many times unanswered events are sent again after a timeout (`worker.failedMessageRetries`). Default 1. */
  readonly failedMessageRetries?: number;
  /**
   * Percent (0..100) of a batch that may stay unanswered after the last retry and be skipped
   * (`worker.failureTolerancePercentage`): floor(value / 100 × batch size). Default 0.25.
   */
  readonly failureTolerancePercentage?: number;
  /** Largest batch (`kcl.maxRecords`). Default 10000. */
  readonly maxRecords?: number;
  /** Events arriving within this long of a batch's first event join it. Default 0: one page. */
  readonly batchWindowMillis?: number;
  /**
   * Events of a batch handed to the processor at once. Default 1: one at a time, the next once the
   * previous one is answered. `Infinity` hands over the whole batch at once, as the seed did.
   */
  readonly concurrency?: number;
  /** The shard, for notifications when it delivered no event. Default: the first event's shard, else `"-"`. */
  readonly shardId?: string;
  /**
   * Emits to stop: no further event is handed over and the batch in progress is abandoned; the
   * operator still waits for the shard's events to end (its final checkpoint) before it sends
   * `ConsumerShutdown`. Pass the signal that stops the shard's stream.
   */
  readonly stop$?: Observable<unknown>;
  /** Clock of the batch timeouts and windows. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Told about skips, retries and misbehaving processors; must not throw. */
  readonly onDiagnostic?: (diagnostic: BatchDiagnostic) => void;
}

/** The batch options a consumer configuration sets. */
export type ConfiguredBatchOptions = Required<
  Pick<ProcessBatchOptions, 'batchTimeoutMillis' | 'failedMessageRetries' | 'failureTolerancePercentage' | 'maxRecords'>
>;

/** `worker.*` and `kcl.maxRecords` of a consumer configuration, as {@link ProcessBatchOptions}. */
export function batchOptions(conf: ConsumerConf): ConfiguredBatchOptions {
  return {
    batchTimeoutMillis: conf.worker.batchTimeoutMillis,
    failedMessageRetries: conf.worker.failedMessageRetries,
    failureTolerancePercentage: conf.worker.failureTolerancePercentage,
    maxRecords: conf.polling.maxRecords,
  };
}

interface Settings {
  readonly batchTimeoutMillis: number;
  readonly retries: number;
  readonly tolerance: number;
  readonly maxRecords: number;
  readonly windowMillis: number;
  readonly concurrency: number;
  readonly scheduler: SchedulerLike;
}

function checkOptions(options: ProcessBatchOptions): Settings {
  const {
    batchTimeoutMillis = 10_000,
    failedMessageRetries = 1,
    failureTolerancePercentage = 0.25,
    maxRecords = 10_000,
    batchWindowMillis = 0,
    concurrency = 1,
  } = options;
  requireMillis(batchTimeoutMillis, 'processBatch: batchTimeoutMillis');
  if (batchTimeoutMillis === 0) throw new TypeError('processBatch: batchTimeoutMillis must be above 0');
  requireMillis(batchWindowMillis, 'processBatch: batchWindowMillis');
  if (!(Number.isSafeInteger(failedMessageRetries) && failedMessageRetries >= 0)) {
    throw new TypeError(`processBatch: failedMessageRetries must be a non-negative integer, got ${failedMessageRetries}`);
  }
  allowedFailures(failureTolerancePercentage, 0);
  if (!(Number.isSafeInteger(maxRecords) && maxRecords >= 1)) {
    throw new TypeError(`processBatch: maxRecords must be a positive integer, got ${maxRecords}`);
  }
  if (!(concurrency === Infinity || (Number.isSafeInteger(concurrency) && concurrency >= 1))) {
    throw new TypeError(`processBatch: concurrency must be a positive integer or Infinity, got ${concurrency}`);
  }
  return {
    batchTimeoutMillis,
    retries: failedMessageRetries,
    tolerance: failureTolerancePercentage,
    maxRecords,
    windowMillis: batchWindowMillis,
    concurrency,
    scheduler: options.scheduler ?? asyncScheduler,
  };
}

/** Ends a batch: every event answered, or the unanswered skipped within the tolerance. */
const COMPLETED = Symbol('batch completed');
/** The last attempt at a batch timed out. */
const FINAL_TIMEOUT = Symbol('final timeout');

/**
 * Hands each batch of a shard's events to `processor` and emits the shard's notifications:
 * `ConsumerWorkerFailure` when a batch fails beyond the tolerance (the shard then stops), and one
 * `ConsumerShutdown` when the shard's processing ends: its events completed (graceful stop, lost
 * lease, shard end), `stop$` fired and they completed, or a batch failed. An error of the events
 * is passed on as is.
 *
 * A batch (see `batches`) completes once every event in it is answered. After each
 * `batchTimeoutMillis` without that, the unanswered events are sent again in their original order,
 * up to `failedMessageRetries` times; answers to earlier sends still count. When the last attempt
 * times out, the unanswered events are skipped if they are at most the tolerated share of the
 * batch, otherwise the batch fails. The next batch starts only once the previous one completed;
 * one operator per shard, so shards run in parallel. Delivery is at least once: a re-sent event may
 * reach the processor twice, and a re-sent event whose earlier send is still running overlaps it.
 *
 * The end of the events ends processing at once: the batch in progress is abandoned and events
 * still waiting are not handed out. A shard's stream from `shards$` ends only once its events are
 * committed, or on a stop, a lost lease or a read failure, so nothing is lost that way; a plain
 * source that completes at once (`of(...)`) gets nothing processed.
 *
 * Processor callbacks `onFailure` and `onShutdown` are called with the notifications, just before
 * they are emitted.
 * @param processor a function of the payload, or an object with `processEvent`
 * @throws TypeError when an option is out of range, or the processor is neither
 */
export function processBatch<A = ConsumerEvent>(
  processor: Processor<A>,
  options: ProcessBatchOptions = {},
): OperatorFunction<CommittableEvent<A>, ConsumerNotification> {
  const handler = asEventProcessor(processor);
  const settings = checkOptions(options);
  const { batchTimeoutMillis, retries, tolerance, concurrency, scheduler } = settings;
  const onDiagnostic = options.onDiagnostic;
  const stop$ = options.stop$ ?? NEVER;

  return (source) =>
    defer(() => {
      let shardId = options.shardId;
      let failed = false;
      let stopped = false;
      const stopped$ = stop$.pipe(
        take(1),
        tap(() => (stopped = true)),
      );
      const shard = (): string => shardId ?? '-';

      /** One batch: emits its failure, if it fails, and completes when it is over. */
      const runBatch = (batch: readonly CommittableEvent<A>[]): Observable<ConsumerNotification> =>
        defer(() => {
          const progress = new BatchProgress(batch);
          let attempt = 0;

          const send = (sentIn: number, event: CommittableEvent<A>): Observable<Ack> =>
            defer(() =>
              // A later attempt has taken over, or an answer came in the meantime: nothing to send.
              sentIn !== attempt || progress.isAcknowledged(event.sequenceNumber)
                ? EMPTY
                : answerOf(handler, event.payload, event.sequenceNumber).pipe(
                    throwIfEmpty(() => new TypeError('the processor completed without an answer')),
                    catchError((error: unknown) => {
                      onDiagnostic?.({ _tag: 'NoAnswer', shardId: shard(), sequenceNumber: event.sequenceNumber, error });
                      return EMPTY;
                    }),
                  ),
            );

          const sendAll = (n: number): Observable<Ack> =>
            defer(() => {
              attempt = n;
              const unanswered = progress.unacknowledged();
              if (n > 0) onDiagnostic?.({ _tag: 'BatchRetried', shardId: shard(), retry: n, events: unanswered.map((e) => e.sequenceNumber) });
              return from(unanswered).pipe(mergeMap((event) => send(n, event), concurrency));
            });

          const record = (ack: Ack): (typeof COMPLETED)[] => {
            const { outcome, events } = progress.acknowledge(ack);
            if (outcome === 'foreign') onDiagnostic?.({ _tag: 'ForeignAnswer', shardId: shard(), sequenceNumber: ack.sequenceNumber });
            if (outcome !== 'acknowledged') return [];
            if (!ack.successful) onDiagnostic?.({ _tag: 'EventSkipped', shardId: shard(), sequenceNumber: ack.sequenceNumber });
            for (const event of events) event.commit(ack.successful);
            return progress.done ? [COMPLETED] : [];
          };

          const conclude = (): (typeof COMPLETED | ConsumerNotification)[] => {
            const verdict = progress.verdict(tolerance);
            if (verdict._tag === 'WithinTolerance') {
              onDiagnostic?.({ _tag: 'UnansweredSkipped', shardId: shard(), events: verdict.skipped.map((e) => e.sequenceNumber) });
              for (const event of verdict.skipped) event.commit(false);
              return [COMPLETED];
            }
            failed = true;
            return [consumerWorkerFailure(verdict.failed.map((e) => e.event), shard())];
          };

          // Attempt n + 1 starts when attempt n times out; the timeout after the last one decides.
          const timeouts$ = timer(batchTimeoutMillis, batchTimeoutMillis, scheduler).pipe(take(retries + 1));
          return merge(sendAll(0), timeouts$.pipe(mergeMap((n) => (n < retries ? sendAll(n + 1) : of(FINAL_TIMEOUT))))).pipe(
            concatMap((signal) => (signal === FINAL_TIMEOUT ? conclude() : record(signal))),
            take(1),
            filter((outcome): outcome is ConsumerNotification => outcome !== COMPLETED),
          );
        });

      const notified = (notification: ConsumerNotification): void => {
        const callback = notification._tag === 'ConsumerWorkerFailure' ? 'onFailure' : 'onShutdown';
        try {
          if (notification._tag === 'ConsumerWorkerFailure') handler.onFailure?.(notification);
          else handler.onShutdown?.(notification);
        } catch (error: unknown) {
          onDiagnostic?.({ _tag: 'CallbackFailed', shardId: shard(), callback, error });
        }
      };

      return source.pipe(
        tap((event) => (shardId ??= event.shardId)),
        connect((events$) => {
          // Completes (or errors) with the shard's events.
          const ended$ = events$.pipe(ignoreElements(), endWith(undefined));
          const work$ = events$.pipe(
            batches({ maxRecords: settings.maxRecords, windowMillis: settings.windowMillis, scheduler }),
            concatMap(runBatch),
            takeWhile((notification) => notification._tag !== 'ConsumerWorkerFailure', true),
            // The end of the events (or a stop) abandons the batch in progress and those waiting.
            takeUntil(merge(ended$, stopped$)),
          );
          // After a stop, the shard's events end once their final checkpoint is written. After a
          // failure, unsubscribing ends them, unless a stop came meanwhile (a failure that stops
          // the whole consumer): then they end as on any stop.
          const drained$ = defer(() => (failed && !stopped ? EMPTY : ended$.pipe(ignoreElements())));
          return concat(
            work$,
            drained$,
            defer(() => of(consumerShutdown(shard()))),
          );
        }),
        tap(notified),
      );
    });
}
