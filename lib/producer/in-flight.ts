/**
 * Bounding what is in flight.
 *
 * RxJS has no demand signal: a source pushes as fast as it likes, and a synchronous one (`from`,
 * `range`) pushes everything during `subscribe`. So an operator can bound the work it has started
 * but not what it is offered. `limitInFlight` admits at most `max` values into the pipeline it wraps
 * and releases one slot per output, so the expensive part (aggregates, requests, retries) never
 * holds more than `max` records. Values offered beyond that wait in arrival order in a buffer of at
 * most `maxBuffered`; a value offered to a full buffer is handed to `onOverflow` at once and never
 * enters the pipeline (load shedding, so one result per input still holds).
 *
 * True backpressure needs the producer of values to wait. `pullInFlight` runs the same pipeline
 * over an `Iterable` or `AsyncIterable`, pulling values only when slots are free, so nothing waits
 * in a buffer however long the iterable is; `KinesisProducer.ready()` lets imperative callers wait
 * the same way.
 *
 * Values go in as chunks: whatever fits when slots free is admitted as one array, so the stages
 * behind pay their per-notification cost once per chunk rather than once per value. A chunk is at
 * most `turn.maxPerTurn` values; when more could go in, the rest go in on a later turn of the
 * scheduler. Admitting, hashing and aggregating thousands of values is milliseconds of synchronous
 * work, and the requests formed meanwhile go out, and their answers come in, only when the event
 * loop turns: with every free slot filled at once, the service sat idle while the next request was
 * still being built behind the last one.
 *
 * The loop from the pipeline's output back to its input (admissions, and the `saturated` signal)
 * is the one place a value goes round: as in RxJS's own `repeatWhen`, it is closed inside these
 * operators, per subscription, and only read-only Observables of it are handed to the pipeline.
 * @packageDocumentation
 */
import { Observable, Subject, type OperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';

/** What both entry points take. */
export interface AdmissionOptions<T, R> {
  /** Most values inside the pipeline at once. */
  readonly max: number;
  /** The output for a value that must not enter the pipeline at all (emitted at once), else `undefined`. */
  readonly refuse?: (value: T) => R | undefined;
  /** Admit at most `maxPerTurn` values at a time, the next ones on a later action of `scheduler` (0 ms). Absent: no limit. */
  readonly turn?: AdmissionTurn;
}

/** How much is admitted at a time, and where the rest is admitted later. */
export interface AdmissionTurn {
  readonly scheduler: SchedulerLike;
  readonly maxPerTurn: number;
}

/** Bounds of `limitInFlight`. */
export interface InFlightOptions<T, R> extends AdmissionOptions<T, R> {
  /** Most values waiting outside it; `Infinity` for no bound. */
  readonly maxBuffered: number;
  /** The output for a value offered while the buffer is full. */
  readonly onOverflow: (value: T) => R;
}

/**
 * The pipeline run under a bound: it gets the admitted values in chunks and a `saturated` signal,
 * and must emit exactly one result per admitted value, in chunks of any size.
 */
export type BoundedPipeline<T, R> = (admitted: Observable<readonly T[]>, saturated: Observable<void>) => Observable<readonly R[]>;

/** Where admitted values come from: the buffer of a pushing source, or a pulled iterator. */
interface Waiting<T> {
  /** Up to `count` values to admit now; empty when none is ready. */
  take(count: number): T[];
  /** Whether no value is ready and none will come. */
  readonly exhausted: boolean;
}

const NONE: never[] = [];

function checkOptions({ max, turn }: Pick<AdmissionOptions<unknown, unknown>, 'max' | 'turn'>): void {
  if (!(Number.isInteger(max) && max >= 1)) throw new TypeError(`max in flight must be an integer ≥ 1, got ${max}`);
  if (turn !== undefined && !(Number.isInteger(turn.maxPerTurn) && turn.maxPerTurn >= 1)) {
    throw new TypeError(`maxPerTurn must be an integer ≥ 1, got ${turn.maxPerTurn}`);
  }
}

/**
 * Slots, admission and the pipeline's output, for one subscription. `drain` admits whatever
 * `waiting` has while slots are free; results free their slots and drain again.
 */
class Admission<T, R> {
  private inFlight = 0;
  private draining = false;
  private admit: Subscriber<readonly T[]> | undefined;
  private readonly saturated = new Subject<void>();
  private readonly output: Subscription;
  /** A later turn to admit what did not fit in this one, once scheduled. Results arriving before it admit at once. */
  private nextTurn: Subscription | undefined;

  constructor(
    private readonly max: number,
    private readonly turn: AdmissionTurn | undefined,
    pipeline: BoundedPipeline<T, R>,
    private readonly subscriber: Subscriber<R>,
    private readonly waiting: Waiting<T>,
  ) {
    const admitted = new Observable<readonly T[]>((sink) => {
      this.admit = sink;
      this.drain();
      return () => {
        this.admit = undefined;
      };
    });
    this.output = pipeline(admitted, this.saturated.asObservable()).subscribe({
      next: (values) => {
        this.inFlight -= values.length;
        for (const value of values) subscriber.next(value);
        this.drain();
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  }

  /** Whether a value can go straight in: admission has started, nothing waits and a slot is free. */
  get open(): boolean {
    return this.admit !== undefined && !this.draining && this.inFlight < this.max;
  }

  /** Lets `value` in at once; only when `open`. */
  admitOne(value: T): void {
    this.draining = true;
    try {
      this.admitChunk(this.admit!, [value]);
    } finally {
      this.draining = false;
    }
    this.drain();
  }

  /** Values inside the pipeline. */
  get count(): number {
    return this.inFlight;
  }

  drain(): void {
    if (this.draining) return; // re-entered from a synchronous output: the outer loop carries on
    this.draining = true;
    let allowance = this.turn?.maxPerTurn ?? Infinity;
    try {
      for (let admit = this.admit; admit !== undefined && !this.subscriber.closed; admit = this.admit) {
        const room = this.max - this.inFlight;
        if (room > 0 && allowance === 0 && !this.waiting.exhausted) {
          this.nextTurn ??= this.turn!.scheduler.schedule(() => {
            this.nextTurn = undefined;
            this.drain();
          });
          break;
        }
        const chunk = room > 0 ? this.waiting.take(Math.min(room, allowance)) : NONE;
        if (chunk.length > 0) {
          allowance -= chunk.length;
          this.admitChunk(admit, chunk);
          continue; // a synchronous output may have freed slots meanwhile
        }
        if (this.waiting.exhausted) admit.complete();
        break;
      }
    } finally {
      this.draining = false;
    }
  }

  unsubscribe(): void {
    this.nextTurn?.unsubscribe();
    this.output.unsubscribe();
    this.saturated.complete();
  }

  private admitChunk(admit: Subscriber<readonly T[]>, chunk: T[]): void {
    this.inFlight += chunk.length;
    admit.next(chunk);
    // Full: nothing more can come in until results go out, so waiting is pointless.
    if (this.inFlight >= this.max) this.saturated.next();
  }
}

/** A first-in first-out buffer with a moving head: shift() on a large array is O(n). */
class Backlog<T> implements Waiting<T> {
  private values: T[] = [];
  private head = 0;
  done = false;

  get size(): number {
    return this.values.length - this.head;
  }

  get exhausted(): boolean {
    return this.done && this.size === 0;
  }

  push(value: T): void {
    this.values.push(value);
  }

  take(count: number): T[] {
    const values = this.values;
    if (count <= 0 || this.head === values.length) return NONE;
    if (this.head === 0 && count >= values.length) {
      this.values = [];
      return values;
    }
    const end = Math.min(values.length, this.head + count);
    const chunk = values.slice(this.head, end);
    values.fill(undefined as T, this.head, end); // let them be collected once their results are out
    this.head = end;
    if (this.head === values.length) {
      this.values = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > values.length) {
      this.values = values.slice(this.head);
      this.head = 0;
    }
    return chunk;
  }

  clear(): void {
    this.values = [];
    this.head = 0;
  }
}

/**
 * Runs `pipeline` over the source with at most `max` source values inside it at a time.
 * `saturated` notifies each time admissions fill the last slot, after the chunk that filled it went
 * in: nothing more can enter until the pipeline emits, so a pipeline that buffers should send what
 * it holds rather than wait for more. Each chunk of results is passed on and frees its length in
 * slots at once, so refilling happens once per chunk.
 *
 * Admission starts when the pipeline subscribes to its input, so a pipeline that first waits for
 * something (`concat(ready$, input$)`) holds values in the buffer, not in the pipeline.
 * The output completes when the source has completed and the pipeline has completed; an error from
 * either errors it.
 */
export function limitInFlight<T, R>(options: InFlightOptions<T, R>, pipeline: BoundedPipeline<T, R>): OperatorFunction<T, R> {
  const { max, maxBuffered, onOverflow, refuse, turn } = options;
  checkOptions(options);
  if (!(maxBuffered >= 0)) throw new TypeError(`maxBuffered must be ≥ 0, got ${maxBuffered}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const buffer = new Backlog<T>();
      const admission = new Admission(max, turn, pipeline, subscriber, buffer);
      const input = source.subscribe({
        next: (value) => {
          const refusal = refuse?.(value);
          if (refusal !== undefined) {
            subscriber.next(refusal);
            return;
          }
          if (buffer.size === 0 && admission.open) {
            admission.admitOne(value);
            return;
          }
          // Free slots count as room while admission has not started (the pipeline is getting ready).
          if (admission.count + buffer.size >= max + maxBuffered) {
            subscriber.next(onOverflow(value));
            return;
          }
          buffer.push(value);
          admission.drain();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          buffer.done = true;
          admission.drain();
        },
      });
      return () => {
        input.unsubscribe();
        admission.unsubscribe();
        buffer.clear();
      };
    });
}

/** The output, which refused values and the iterator's error go to at once, and what to refuse. */
interface PullTarget<T, R> {
  readonly subscriber: Subscriber<R>;
  readonly refuse: ((value: T) => R | undefined) | undefined;
}

/** Pulls from an iterator only as values are asked for, refusing what must not go in. */
class Pulled<T, R> implements Waiting<T> {
  exhausted = false;

  constructor(
    private readonly iterator: Iterator<T>,
    private readonly target: PullTarget<T, R>,
  ) {}

  take(count: number): T[] {
    const chunk: T[] = new Array(count); // sized once rather than grown; trimmed below
    let length = 0;
    const { iterator } = this;
    const { subscriber, refuse } = this.target;
    while (length < count && !this.exhausted && !subscriber.closed) {
      let step: IteratorResult<T>;
      try {
        step = iterator.next();
      } catch (error) {
        this.exhausted = true; // an iterator that threw is finished
        subscriber.error(error);
        break;
      }
      if (step.done === true) {
        this.exhausted = true;
        break;
      }
      const refusal = refuse?.(step.value);
      if (refusal === undefined) chunk[length++] = step.value;
      else subscriber.next(refusal);
    }
    chunk.length = length;
    return chunk;
  }

  close(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.iterator.return?.();
  }
}

/**
 * Pulls from an async iterator as values are asked for. `take` can only hand out what has already
 * arrived, so it records how many more are wanted and, if no fetch is under way, starts one: a loop
 * awaiting one `next()` at a time while fewer values wait than are wanted, which asks the admission
 * to drain as each value arrives. Values fetched and not yet admitted count against what is wanted,
 * so at most `max` values are ever taken from the iterator and unanswered.
 */
class AsyncPulled<T, R> implements Waiting<T> {
  private readonly fetched = new Backlog<T>();
  /** Values wanted beyond those taken: what the last `take` was asked for and could not give. */
  private wanted = 0;
  private fetching = false;
  /** The iterator has ended (done, or threw), or was closed. */
  private finished = false;

  constructor(
    private readonly iterator: AsyncIterator<T>,
    private readonly target: PullTarget<T, R>,
    private readonly drain: () => void,
  ) {}

  get exhausted(): boolean {
    return this.finished && this.fetched.size === 0;
  }

  take(count: number): T[] {
    const chunk = this.fetched.take(count);
    this.wanted = count - chunk.length;
    if (this.wanted > 0 && !this.fetching && !this.finished) this.fetch().catch((error: unknown) => this.target.subscriber.error(error));
    return chunk;
  }

  close(): void {
    this.fetched.clear();
    if (this.finished) return;
    this.finished = true;
    // As in RxJS's own `from(asyncIterable)`: a failure to close, after unsubscribing, has nowhere to go.
    const closing = this.iterator.return?.();
    if (closing !== undefined) Promise.resolve(closing).catch(() => undefined);
  }

  private async fetch(): Promise<void> {
    this.fetching = true;
    const { subscriber, refuse } = this.target;
    try {
      while (!this.finished && this.fetched.size < this.wanted) {
        let step: IteratorResult<T>;
        try {
          step = await this.iterator.next();
        } catch (error) {
          if (this.finished) return; // closed meanwhile: nobody is listening
          this.finished = true; // an iterator that threw is finished
          subscriber.error(error);
          return;
        }
        if (this.finished) return; // closed while the value was on its way; the iterator has been told
        if (step.done === true) {
          this.finished = true;
          break;
        }
        const refusal = refuse?.(step.value);
        if (refusal === undefined) {
          this.fetched.push(step.value);
          this.drain(); // admitted as it comes, not once the loop ends
        } else subscriber.next(refusal);
      }
    } finally {
      this.fetching = false;
    }
    // When the iterator has ended, this is what completes the admissions (every value is in).
    this.drain();
  }
}

/**
 * Runs `pipeline` over the values of an `Iterable` or `AsyncIterable`, pulling the next ones only
 * when slots are free, so that at most `max` values have been taken from it and not yet answered
 * (plus refused ones, answered at once). Nothing is buffered but, for an async iterable, values that
 * have arrived and wait for the admission to take them (never more than the free slots).
 *
 * An `Iterable` is pulled as many values at a time as there are free slots. An `AsyncIterable` is
 * read one `next()` at a time while slots are free, each value admitted as it arrives. (An object
 * that is both is read as an `AsyncIterable`, as `from` does.)
 *
 * The output completes when the iterable is exhausted and the pipeline has completed; it errors when
 * the iterator throws or rejects (with that error) or the pipeline errors. Unsubscribing before the
 * end calls the iterator's `return`, as a `for … of` loop left early would.
 */
export function pullInFlight<T, R>(
  options: AdmissionOptions<T, R>,
  pipeline: BoundedPipeline<T, R>,
): (values: Iterable<T> | AsyncIterable<T>) => Observable<R> {
  const { max, refuse, turn } = options;
  checkOptions(options);
  return (values) =>
    new Observable<R>((subscriber) => {
      const target: PullTarget<T, R> = { subscriber, refuse };
      // The fetch loop drains the admission, which takes from the loop: the loop is made first, and
      // drains only once a value has arrived, on a later turn, by when the admission exists.
      const pulled = isAsyncIterable(values)
        ? new AsyncPulled(values[Symbol.asyncIterator](), target, () => admission.drain())
        : new Pulled(values[Symbol.iterator](), target);
      const admission = new Admission(max, turn, pipeline, subscriber, pulled);
      return () => {
        admission.unsubscribe();
        pulled.close();
      };
    });
}

/** Whether `values` is read as an `AsyncIterable` (an object that is both is, as `from` does). @internal */
export function isAsyncIterable<T>(values: Iterable<T> | AsyncIterable<T>): values is AsyncIterable<T> {
  return typeof (values as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function';
}
