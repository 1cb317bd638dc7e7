/**
 * Bounding what is in flight when the source cannot be slowed down.
 *
 * RxJS has no demand signal: a source pushes as fast as it likes, and a synchronous one (`from`,
 * `range`) pushes everything during `subscribe`. So an operator can bound the work it has started
 * but not what it is offered. `limitInFlight` admits at most `max` values into the pipeline it wraps
 * and releases one slot per output, so the expensive part (aggregates, requests, retries) never
 * holds more than `max` records. Values offered beyond that wait in arrival order in a buffer of at
 * most `maxBuffered`; a value offered to a full buffer is handed to `onOverflow` at once and never
 * enters the pipeline (load shedding, so one result per input still holds).
 *
 * True backpressure needs the producer of values to wait: `KinesisProducer.ready()` and
 * `kinesisSink` over an (async) iterable do that, pulling the next value only when a slot is free.
 *
 * The loop from the pipeline's output back to its input (admissions, and the `saturated` signal)
 * is the one place a value goes round: as in RxJS's own `repeatWhen`, it is closed inside this
 * operator, per subscription, and only read-only Observables of it are handed to the pipeline.
 * @packageDocumentation
 */
import { Observable, Subject, type OperatorFunction, type Subscriber } from 'rxjs';

/** Bounds of `limitInFlight`. */
export interface InFlightOptions<T, R> {
  /** Most values inside the pipeline at once. */
  readonly max: number;
  /** Most values waiting outside it; `Infinity` for no bound. */
  readonly maxBuffered: number;
  /** The output for a value offered while the buffer is full. */
  readonly onOverflow: (value: T) => R;
  /** The output for a value that must not enter the pipeline at all (emitted at once), else `undefined`. */
  readonly refuse?: (value: T) => R | undefined;
}

/**
 * Runs `pipeline` over the source with at most `max` source values inside it at a time. Values are
 * admitted in chunks: everything that fits when a slot frees goes in as one array, so the stages
 * behind pay their per-notification cost once per chunk rather than once per value. The pipeline
 * emits its results in chunks too (it must emit exactly one result per value admitted); each chunk
 * is passed on and frees its length in slots at once, so refilling happens once per chunk.
 * `saturated` notifies each time admissions fill the last slot, after the chunk that filled it went
 * in: nothing more can enter until the pipeline emits, so a pipeline that buffers should send what
 * it holds rather than wait for more.
 *
 * Admission starts when the pipeline subscribes to its input, so a pipeline that first waits for
 * something (`concat(ready$, input$)`) holds values in the buffer, not in the pipeline.
 * The output completes when the source has completed and the pipeline has completed; an error from
 * either errors it.
 */
export function limitInFlight<T, R>(
  options: InFlightOptions<T, R>,
  pipeline: (admitted: Observable<readonly T[]>, saturated: Observable<void>) => Observable<readonly R[]>,
): OperatorFunction<T, R> {
  const { max, maxBuffered, onOverflow, refuse } = options;
  if (!(Number.isInteger(max) && max >= 1)) throw new TypeError(`max in flight must be an integer ≥ 1, got ${max}`);
  if (!(maxBuffered >= 0)) throw new TypeError(`maxBuffered must be ≥ 0, got ${maxBuffered}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      // A queue with a moving head: shift() on a large array is O(n).
      let queue: T[] = [];
      let head = 0;
      let inFlight = 0;
      let sourceDone = false;
      let draining = false;
      let admit: Subscriber<readonly T[]> | undefined;
      const saturated = new Subject<void>();

      /** Takes the next `count` waiting values off the queue. */
      const dequeue = (count: number): T[] => {
        if (head === 0 && count === queue.length) {
          const all = queue;
          queue = [];
          return all;
        }
        const chunk = queue.slice(head, head + count);
        queue.fill(undefined as T, head, head + count); // let them be collected once their results are out
        head += count;
        if (head === queue.length) {
          queue = [];
          head = 0;
        } else if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        return chunk;
      };

      const drain = () => {
        if (draining) return; // re-entered from a synchronous output: the outer loop carries on
        draining = true;
        try {
          while (admit !== undefined) {
            const room = max - inFlight;
            const waiting = queue.length - head;
            if (room > 0 && waiting > 0) {
              const count = Math.min(room, waiting);
              inFlight += count;
              admit.next(dequeue(count));
              // Full: nothing more can come in until results go out, so waiting is pointless.
              if (inFlight >= max) saturated.next();
              continue; // a synchronous output may have freed slots meanwhile
            }
            if (sourceDone && waiting === 0) admit.complete();
            break;
          }
        } finally {
          draining = false;
        }
      };

      const admitted = new Observable<readonly T[]>((sink) => {
        admit = sink;
        drain();
        return () => {
          admit = undefined;
        };
      });

      const output = pipeline(admitted, saturated.asObservable()).subscribe({
        next: (values) => {
          inFlight -= values.length;
          for (const value of values) subscriber.next(value);
          drain();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });

      const input = source.subscribe({
        next: (value) => {
          const refusal = refuse?.(value);
          if (refusal !== undefined) {
            subscriber.next(refusal);
            return;
          }
          // Free slots count as room while admission has not started (the pipeline is getting ready).
          if (inFlight + queue.length - head >= max + maxBuffered) {
            subscriber.next(onOverflow(value));
            return;
          }
          queue.push(value);
          drain();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          drain();
        },
      });

      return () => {
        input.unsubscribe();
        output.unsubscribe();
        saturated.complete();
        queue = [];
      };
    });
}
