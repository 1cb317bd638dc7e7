/**
 * `KinesisProducer`: the producer for imperative code, as the seed's `KinesisProducer` wrapper over
 * the KPL: `send` an event and get a Promise of its result, or feed `events` and read `results$`.
 * This is the library's one imperative edge, so this is where its Subjects live; callers only see
 * an `Observer` to push into and Observables to read.
 * @packageDocumentation
 */
import { Subject, type Observable, type Observer, type Subscription } from 'rxjs';
import type { ProducerConf } from '../config/producer-config';
import type { ProducerEvent } from '../model/producer-event';
import type { SendResult, SendSuccessful } from '../model/send-result';
import { ProducerClosedError } from './errors';
import { producerEnvironment, producePipeline, type ProducerDeps } from './produce';
import { producerSettings, type ProduceOptions } from './settings';
import { MessageIds, refused } from './validate';

interface Waiter {
  readonly resolve: (result: SendSuccessful) => void;
  readonly reject: (reason: unknown) => void;
}

type State = { readonly kind: 'running' } | { readonly kind: 'stopping' } | { readonly kind: 'stopped' } | { readonly kind: 'failed'; readonly error: unknown };

/**
 * A running producer: one subscription to the `produce` pipeline, fed by `send` and `events`.
 *
 * Backpressure: at most `akka.max-outstanding-requests` events are in flight; more wait in a buffer
 * of `maxBufferedEvents` (beyond it they fail with `ProducerOverflowError`). To make a fast caller
 * wait instead, `await producer.ready()` before each `send`.
 */
export class KinesisProducer {
  /** Every result, for events from `send` and from `events` alike. Hot: results before subscribing are not replayed. */
  readonly results$: Observable<SendResult>;
  /** Pushes events in without a Promise per event; their results arrive on `results$`. `complete()` stops the producer. */
  readonly events: Observer<ProducerEvent>;

  private readonly input = new Subject<ProducerEvent>();
  private readonly flushes = new Subject<void>();
  private readonly results = new Subject<SendResult>();
  private readonly waiters = new Map<ProducerEvent, Waiter[]>();
  private readyWaiters: (() => void)[] = [];
  private outstanding = 0;
  private readonly messageIds = new MessageIds();
  private state: State = { kind: 'running' };
  private readonly subscription: Subscription;
  private readonly finished: Promise<void>;

  private constructor(
    private readonly maxOutstanding: number,
    pipeline: (events: Observable<ProducerEvent>, flushes: Observable<void>) => Observable<SendResult>,
  ) {
    this.results$ = this.results.asObservable();
    this.events = {
      next: (event) => this.accept(event),
      error: (error: unknown) => this.fail(error),
      complete: () => void this.stop().catch(() => undefined),
    };
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    this.finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Nobody may be waiting on `finished` when it fails; the failure reaches callers through their sends.
    this.finished.catch(() => undefined);
    this.subscription = pipeline(this.input.asObservable(), this.flushes.asObservable()).subscribe({
      next: (result) => this.settle(result),
      error: (error: unknown) => {
        this.fail(error);
        settle.reject(error);
      },
      complete: () => {
        this.state = { kind: 'stopped' };
        this.results.complete();
        settle.resolve();
      },
    });
  }

  /**
   * Starts a producer.
   * @param conf from `producerConf(config, name)`
   * @param deps Kinesis port or client, scheduler, logger (see `produce`)
   * @throws TypeError when an option is out of range
   */
  static create(conf: ProducerConf, deps: ProducerDeps = {}, options: ProduceOptions = {}): KinesisProducer {
    const settings = producerSettings(conf, options);
    const env = producerEnvironment(conf, deps);
    return new KinesisProducer(settings.maxOutstanding, (events, flushes) => events.pipe(producePipeline(settings, env, flushes)));
  }

  /** Events accepted whose result is not out yet. */
  get outstandingCount(): number {
    return this.outstanding;
  }

  /**
   * Sends one event.
   * @returns its `SendSuccessful`; rejects with the cause of its `SendFailed` (`InvalidRecordError`,
   *   `RecordRefusedError`, `RecordExpiredError`, a `KinesisCallError`, `ProducerOverflowError`), or with
   *   `ProducerClosedError` once the producer is stopping
   */
  send(event: ProducerEvent): Promise<SendSuccessful> {
    if (this.state.kind !== 'running') {
      return Promise.reject(this.state.kind === 'failed' ? this.state.error : new ProducerClosedError());
    }
    return new Promise<SendSuccessful>((resolve, reject) => {
      const waiting = this.waiters.get(event);
      if (waiting === undefined) this.waiters.set(event, [{ resolve, reject }]);
      else waiting.push({ resolve, reject });
      this.accept(event);
    });
  }

  /** Resolves once fewer than `max-outstanding-requests` events are in flight (at once if so now). */
  ready(): Promise<void> {
    if (this.outstanding < this.maxOutstanding || this.state.kind !== 'running') return Promise.resolve();
    return new Promise<void>((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends everything buffered now, without waiting for `RecordMaxBufferedTime`. */
  flush(): void {
    if (this.state.kind === 'running' || this.state.kind === 'stopping') this.flushes.next();
  }

  /**
   * Stops accepting events, sends everything buffered, and resolves once every accepted event has
   * its result (retries included, so it can take up to `RecordTtl`). Rejects if the producer failed.
   * Calling it again returns the same outcome.
   */
  stop(): Promise<void> {
    if (this.state.kind === 'running') {
      this.state = { kind: 'stopping' };
      this.input.complete();
      this.releaseReadyWaiters();
    }
    return this.finished;
  }

  /**
   * Stops at once: nothing more is sent, and every event without a result rejects with
   * `ProducerClosedError` (records already in a request may still be stored).
   */
  destroy(): void {
    if (this.state.kind === 'stopped' || this.state.kind === 'failed') return;
    this.subscription.unsubscribe();
    this.fail(new ProducerClosedError());
  }

  private accept(event: ProducerEvent): void {
    if (this.state.kind !== 'running') {
      const reason = this.state.kind === 'failed' && this.state.error instanceof Error ? this.state.error : new ProducerClosedError();
      this.settle(refused(event, this.messageIds.next(), reason), false);
      return;
    }
    this.outstanding += 1;
    this.input.next(event);
  }

  private settle(result: SendResult, counted = true): void {
    if (counted) this.outstanding -= 1;
    const waiting = this.waiters.get(result.event);
    const waiter = waiting?.shift();
    if (waiting !== undefined && waiting.length === 0) this.waiters.delete(result.event);
    this.results.next(result);
    if (waiter !== undefined) {
      if (result._tag === 'SendSuccessful') waiter.resolve(result);
      else waiter.reject(result.reason);
    }
    if (this.outstanding < this.maxOutstanding) this.releaseReadyWaiters();
  }

  private fail(error: unknown): void {
    if (this.state.kind === 'failed' || this.state.kind === 'stopped') return;
    this.state = { kind: 'failed', error };
    this.subscription?.unsubscribe();
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(error);
    this.waiters.clear();
    this.outstanding = 0;
    this.releaseReadyWaiters();
    this.results.error(error);
  }

  private releaseReadyWaiters(): void {
    const waiting = this.readyWaiters;
    if (waiting.length === 0) return;
    this.readyWaiters = [];
    for (const resolve of waiting) resolve();
  }
}
