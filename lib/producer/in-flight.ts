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
 * over an `Iterable`, pulling values only when slots are free, so nothing waits in a buffer however
 * long the iterable is; `KinesisProducer.ready()` lets imperative callers wait the same way.
 *
 * Values go in as chunks: whatever fits when slots free is admitted as one array, so the stages
 * behind pay their per-notification cost once per chunk rather than once per value.
 *
 * The loop from the pipeline's output back to its input (admissions, and the `saturated` signal)
 * is the one place a value goes round: as in RxJS's own `repeatWhen`, it is closed inside these
 * operators, per subscription, and only read-only Observables of it are handed to the pipeline.
 * @packageDocumentation
 */
import { Observable, Subject, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';

/** What both entry points take. */
export interface AdmissionOptions<T, R> {
  /** Most values inside the pipeline at once. */
  readonly max: number;
  /** The output for a value that must not enter the pipeline at all (emitted at once), else `undefined`. */
  readonly refuse?: (value: T) => R | undefined;
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

function checkMax(max: number): void {
  if (!(Number.isInteger(max) && max >= 1)) throw new TypeError(`max in flight must be an integer ≥ 1, got ${max}`);
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

  constructor(
    private readonly max: number,
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
    try {
      for (let admit = this.admit; admit !== undefined && !this.subscriber.closed; admit = this.admit) {
        const room = this.max - this.inFlight;
        const chunk = room > 0 ? this.waiting.take(room) : NONE;
        if (chunk.length > 0) {
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
  const { max, maxBuffered, onOverflow, refuse } = options;
  checkMax(max);
  if (!(maxBuffered >= 0)) throw new TypeError(`maxBuffered must be ≥ 0, got ${maxBuffered}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const buffer = new Backlog<T>();
      const admission = new Admission(max, pipeline, subscriber, buffer);
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

/** Pulls from an iterator only as values are asked for, refusing what must not go in. */
class Pulled<T, R> implements Waiting<T> {
  exhausted = false;

  constructor(
    private readonly iterator: Iterator<T>,
    private readonly subscriber: Subscriber<R>,
    private readonly refuse: ((value: T) => R | undefined) | undefined,
  ) {}

  take(count: number): T[] {
    const chunk: T[] = new Array(count); // sized once rather than grown; trimmed below
    let length = 0;
    const { iterator, subscriber, refuse } = this;
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
}

/**
 * Runs `pipeline` over the values of an `Iterable`, pulling the next ones only when slots are free,
 * as many as there are free slots, so that at most `max` values have been taken from it and not
 * yet answered (plus refused ones, answered at once). Nothing is buffered.
 *
 * The output completes when the iterable is exhausted and the pipeline has completed; it errors when
 * the iterator throws (with that error) or the pipeline errors. Unsubscribing before the end calls
 * the iterator's `return`, as a `for … of` loop left early would.
 */
export function pullInFlight<T, R>(options: AdmissionOptions<T, R>, pipeline: BoundedPipeline<T, R>): (values: Iterable<T>) => Observable<R> {
  const { max, refuse } = options;
  checkMax(max);
  return (values) =>
    new Observable<R>((subscriber) => {
      const iterator = values[Symbol.iterator]();
      const pulled = new Pulled(iterator, subscriber, refuse);
      const admission = new Admission(max, pipeline, subscriber, pulled);
      return () => {
        admission.unsubscribe();
        if (!pulled.exhausted) {
          pulled.exhausted = true;
          iterator.return?.();
        }
      };
    });
}
