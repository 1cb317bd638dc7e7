/**
 * `KinesisConsumer`: the seed's actor-style consumer for imperative code. A processor gets one
 * event at a time and answers when it is done; batches, timeouts, retries and the failure
 * tolerance work as in the seed (see `processBatch`), on top of `shards$`:
 *
 * ```
 * shards$ ──▶ per shard: events$ ─▶ processBatch(processor) ──▶ notifications$
 *    ▲ stop$ ◀── stop() / SIGTERM / SIGINT / a failure, when it stops the consumer
 *                        shard.stop() ◀── a failure, when it stops the shard
 * ```
 *
 * This is the library's imperative edge for consumption, so its Subjects live here: the stop
 * signals (the consumer's, and each shard's own), and the notifications handed to callers as a
 * read-only Observable.
 * @packageDocumentation
 */
import {
  EMPTY,
  ReplaySubject,
  Subject,
  concat,
  concatMap,
  defer,
  merge,
  mergeMap,
  of,
  take,
  takeUntil,
  tap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { ConsumerConf } from '../config/consumer-config';
import { ReactiveKinesisError } from '../model/errors';
import { consumerShutdown, type ConsumerNotification, type ConsumerShutdown } from '../model/notifications';
import type { ConsumerDiagnostic, Deps, Logger } from './consumer-deps';
import type { ConsumeOptions } from './consumer-settings';
import { monotonicScheduler } from './monotonic-scheduler';
import { batchOptions, processBatch, type BatchDiagnostic, type ProcessBatchOptions } from './process-batch/process-batch';
import { asEventProcessor, type EventProcessor, type Processor } from './process-batch/event-processor';
import { shards$, type LeasedShard } from './shards';

/** `start()` on a consumer that has been stopped. */
export class ConsumerStoppedError extends ReactiveKinesisError {
  constructor() {
    super('this KinesisConsumer has been stopped; create a new one to consume again');
  }
}

/** Where SIGTERM and SIGINT come from: `process`, unless a test says otherwise. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  listenerCount(signal: NodeJS.Signals): number;
  kill(pid: number, signal: NodeJS.Signals): unknown;
  readonly pid: number;
}

/** What a `KinesisConsumer` talks to; everything is optional (see `shards$`). */
export interface KinesisConsumerDeps extends Deps {
  /** Told about pages, checkpoints, skipped events and retries; must not throw. */
  readonly onDiagnostic?: (diagnostic: ConsumerDiagnostic | BatchDiagnostic) => void;
}

/** Choices with no configuration key. */
export interface KinesisConsumerOptions
  extends Pick<ProcessBatchOptions, 'concurrency' | 'batchWindowMillis'>,
    Pick<ConsumeOptions, 'outOfRangeRecords' | 'callTimeouts'> {
  /**
   * What a batch failing beyond the tolerance stops: `'shard'` (the default) stops that shard
   * gracefully (see `LeasedShard.stop`): its answered prefix is checkpointed and its lease released
   * before its `ConsumerShutdown` is sent (at most `worker.shutdownTimeoutSeconds` after the
   * failure), and it is read again from that checkpoint after a failover period, here or by another
   * worker; `'consumer'` stops the whole consumer gracefully, as the seed did.
   */
  readonly onBatchFailure?: 'shard' | 'consumer';
  /**
   * Events of a shard delivered and not yet answered beyond which it stops emitting (in chunks of
   * `kcl.maxRecords`) and fetching. Default `kcl.maxRecords`; 0 hands over the next chunk only once the
   * last batch is complete, as the seed's KCL without prefetching did.
   */
  readonly maxUncommitted?: number;
  /** Where `worker.gracefulShutdownHook` listens for SIGTERM and SIGINT. Default `process`. */
  readonly signals?: SignalSource;
}

type State = 'created' | 'running' | 'stopped';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * A consumer of one stream: `start()` it, read `notifications$`, `stop()` it.
 *
 * @example
 * const consumer = KinesisConsumer.create(consumerConf(config, 'my-consumer'), {
 *   processEvent: async (event) => { await save(event.payloadAsString()); }, // answered when resolved
 *   onFailure: (failure) => console.error('shard failed', failure.shardId),
 * });
 * consumer.start().catch((error) => console.error('consumer failed', error));
 * // later: await consumer.stop();
 */
export class KinesisConsumer {
  /**
   * `ConsumerWorkerFailure` when a batch fails beyond the tolerance, and one `ConsumerShutdown` per
   * shard when its processing ends (graceful stop, lease lost, shard end, failure), once its final
   * checkpoint and release are done or have overrun the shutdown timeout. Hot: subscribe
   * before `start()` to see everything. Completes when the consumer has stopped.
   */
  readonly notifications$: Observable<ConsumerNotification>;

  private readonly notifications = new Subject<ConsumerNotification>();
  /** Replays the stop to shards that start after it. */
  private readonly stopping = new ReplaySubject<void>(1);
  private readonly processor: EventProcessor;
  private state: State = 'created';
  private stopRequested = false;
  private removeSignalHandlers: () => void = () => undefined;
  private readonly finished: Promise<void>;
  private settle!: { readonly resolve: () => void; readonly reject: (error: unknown) => void };

  private constructor(
    private readonly conf: ConsumerConf,
    processor: Processor,
    private readonly deps: KinesisConsumerDeps,
    private readonly options: KinesisConsumerOptions,
  ) {
    this.processor = asEventProcessor(processor);
    this.notifications$ = this.notifications.asObservable();
    this.finished = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // A caller who never awaits start() must not crash the process with an unhandled rejection;
    // the failure is logged and reaches whoever awaits.
    this.finished.catch(() => undefined);
  }

  /**
   * A consumer, not started.
   * @param conf from `consumerConf(config, name)`
   * @param processor a function of the event, or an object with `processEvent` (and optionally
   *   `onFailure`, `onShutdown`); see `processBatch` for what it may answer
   * @param deps Kinesis, the lease table, scheduler, logger, diagnostics; all optional
   * @throws TypeError when the processor or an option is not usable, ConfigError when a setting is out of range
   */
  static create(conf: ConsumerConf, processor: Processor, deps: KinesisConsumerDeps = {}, options: KinesisConsumerOptions = {}): KinesisConsumer {
    const consumer = new KinesisConsumer(conf, processor, deps, options);
    // Check everything now rather than at start(): both calls throw on bad settings.
    consumer.shardEvents();
    processBatch(consumer.processor, consumer.batchOptionsFor('-', consumer.stopping));
    return consumer;
  }

  /**
   * Starts consuming: leases are taken and every leased shard is processed.
   * @returns a Promise that resolves once the consumer has stopped (after `stop()`, or after a
   *   failure when `onBatchFailure` is `'consumer'`), and rejects when it cannot go on (the lease
   *   table or the stream cannot be used). A second call returns the same Promise.
   */
  start(): Promise<void> {
    if (this.state === 'running') {
      this.deps.logger?.warn('KinesisConsumer.start() called again; the consumer is already running', { streamName: this.conf.streamName });
      return this.finished;
    }
    if (this.state === 'stopped') return Promise.reject(new ConsumerStoppedError());
    this.state = 'running';
    if (this.conf.worker.gracefulShutdownHook) this.installSignalHandlers();

    const deadline$ = this.deadlineAfter(this.stopping);
    // shards$ itself completes at the stop; its shards take their time.
    this.shardEvents()
      .pipe(mergeMap((shard) => this.processShard(shard, deadline$)))
      .subscribe({
        next: (notification) => {
          this.notifications.next(notification);
          // Only once the failure is out: the stop it starts sends the shutdowns and completes.
          if (notification._tag === 'ConsumerWorkerFailure' && this.options.onBatchFailure === 'consumer') void this.stop();
        },
        error: (error: unknown) => {
          this.deps.logger?.warn('KinesisConsumer failed', { streamName: this.conf.streamName, error });
          this.finish();
          this.settle.reject(error);
        },
        complete: () => {
          this.finish();
          this.settle.resolve();
        },
      });
    return this.finished;
  }

  /**
   * Stops gracefully: no new lease is taken, no event is handed out any more, the batches in
   * progress are abandoned, each shard checkpoints its answered prefix and releases its lease, and
   * every shard gets its `ConsumerShutdown`. Resolves when all of that is done, or after
   * `worker.shutdownTimeoutSeconds` at most (the remaining final writes then go on detached).
   * Idempotent: every call returns the same outcome. Never rejects.
   */
  stop(): Promise<void> {
    if (this.state === 'created') {
      this.state = 'stopped';
      this.notifications.complete();
      this.settle.resolve();
    } else if (!this.stopRequested && this.state === 'running') {
      this.stopRequested = true;
      this.stopping.next();
    }
    return this.finished.catch(() => undefined);
  }

  /** The clock of the batches and the stop deadline: the one `shards$` runs on. */
  private get scheduler(): SchedulerLike {
    return this.deps.scheduler ?? monotonicScheduler;
  }

  private shardEvents(): Observable<LeasedShard> {
    const { onDiagnostic, ...deps } = this.deps;
    const { maxUncommitted, outOfRangeRecords, callTimeouts } = this.options;
    return shards$(
      this.conf,
      { ...deps, ...(onDiagnostic === undefined ? {} : { onDiagnostic }) },
      {
        stop$: this.stopping.asObservable(),
        ...(maxUncommitted === undefined ? {} : { maxUncommitted }),
        ...(outOfRangeRecords === undefined ? {} : { outOfRangeRecords }),
        ...(callTimeouts === undefined ? {} : { callTimeouts }),
      },
    );
  }

  /**
   * A graceful stop that overruns the shutdown timeout is cut short: the shards still running are
   * unsubscribed, which still writes their final checkpoints and releases, detached.
   */
  private deadlineAfter(stop$: Observable<unknown>): Observable<unknown> {
    return stop$.pipe(
      take(1),
      concatMap(() => timer(this.conf.worker.shutdownTimeoutMillis, this.scheduler)),
    );
  }

  private batchOptionsFor(shardId: string, stop$: Observable<unknown>): ProcessBatchOptions {
    const { concurrency, batchWindowMillis } = this.options;
    return {
      ...batchOptions(this.conf),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(batchWindowMillis === undefined ? {} : { batchWindowMillis }),
      shardId,
      stop$,
      scheduler: this.scheduler,
      onDiagnostic: (diagnostic) => this.report(diagnostic),
    };
  }

  /** One shard's notifications; exactly one `ConsumerShutdown`, even when cut short by the stop deadline. */
  private processShard(shard: LeasedShard, deadline$: Observable<unknown>): Observable<ConsumerNotification> {
    const { shardId, events$ } = shard;
    return defer(() => {
      let shutDown = false;
      // This shard's own stop, after a failed batch: replayed like the consumer's, so that
      // processBatch, seeing it at the failure, waits for the events to end (after the final
      // checkpoint and release) before it sends the shutdown.
      const stoppingShard = new ReplaySubject<void>(1);
      const stopShard = (): void => {
        shard.stop();
        stoppingShard.next();
      };
      return concat(
        events$.pipe(
          processBatch(this.processor, this.batchOptionsFor(shardId, merge(this.stopping, stoppingShard))),
          tap((notification) => {
            if (notification._tag === 'ConsumerShutdown') {
              shutDown = true;
              return;
            }
            const stopsShard = this.options.onBatchFailure !== 'consumer';
            this.deps.logger?.warn('a batch failed beyond the failure tolerance; its events are not checkpointed', { shardId, stops: stopsShard ? 'the shard' : 'the consumer' });
            // Synchronously, while the failure is on its way out of processBatch.
            if (stopsShard) stopShard();
          }),
          takeUntil(merge(deadline$, this.deadlineAfter(stoppingShard))),
        ),
        defer(() => {
          if (shutDown) return EMPTY;
          this.deps.logger?.warn('shard did not stop within worker.shutdownTimeoutSeconds; stopped at once', { shardId });
          return of(this.shutDownLate(consumerShutdown(shardId)));
        }),
      );
    });
  }

  /** A shard cut short by the stop deadline gets its `ConsumerShutdown` as the others do. */
  private shutDownLate(shutdown: ConsumerShutdown): ConsumerShutdown {
    try {
      this.processor.onShutdown?.(shutdown);
    } catch (error: unknown) {
      this.report({ _tag: 'CallbackFailed', shardId: shutdown.shardId, callback: 'onShutdown', error });
    }
    return shutdown;
  }

  private report(diagnostic: BatchDiagnostic): void {
    this.deps.onDiagnostic?.(diagnostic);
    const logger: Logger | undefined = this.deps.logger;
    if (logger === undefined) return;
    switch (diagnostic._tag) {
      case 'UnansweredSkipped':
        logger.warn('skipping unanswered events within the failure tolerance; the checkpoint moves past them', {
          shardId: diagnostic.shardId,
          events: diagnostic.events.map((p) => p.toString()),
        });
        return;
      case 'NoAnswer':
        logger.warn('the processor gave no answer for an event; it is sent again after the batch timeout', {
          shardId: diagnostic.shardId,
          sequenceNumber: diagnostic.sequenceNumber.toString(),
          error: diagnostic.error,
        });
        return;
      case 'CallbackFailed':
        logger.warn(`the processor's ${diagnostic.callback} threw`, { shardId: diagnostic.shardId, error: diagnostic.error });
        return;
      case 'EventSkipped':
      case 'ForeignAnswer':
      case 'BatchRetried':
        return;
    }
  }

  private installSignalHandlers(): void {
    const signals = this.options.signals ?? process;
    const onSignal = (signal: NodeJS.Signals) => () => {
      // A second signal gets the default action (exit at once) unless someone else listens.
      this.removeSignalHandlers();
      void this.stop().then(() => {
        if (signals.listenerCount(signal) === 0) signals.kill(signals.pid, signal);
      });
    };
    const handlers = SIGNALS.map((signal) => [signal, onSignal(signal)] as const);
    for (const [signal, handler] of handlers) signals.on(signal, handler);
    this.removeSignalHandlers = () => {
      for (const [signal, handler] of handlers) signals.off(signal, handler);
      this.removeSignalHandlers = () => undefined;
    };
  }

  private finish(): void {
    this.state = 'stopped';
    this.removeSignalHandlers();
    this.notifications.complete();
  }
}
