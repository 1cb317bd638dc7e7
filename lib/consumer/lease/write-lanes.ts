/**
 * One write at a time per lease. Every write to a held lease is conditional on the counter the
 * previous write left, so two writes of the same worker to the same lease must not overlap: the
 * second would fail its condition on the first's increment and the lease would look stolen. The
 * KCL serialises them by locking the lease object; here each lease has a lane, and a write waits
 * for the one ahead of it to finish.
 *
 * A write that has been sent has an outcome whether or not anybody still waits for it. So a call
 * made through {@link WriteLanes.sent} is not cancelled when its work is unsubscribed (a graceful
 * stop that lands while a renewal is in flight, a write that outlived its lease's validity): it
 * runs to its answer, whose effects on the held lease are applied as usual, and the lane stays busy
 * until then. The next write then starts from the counter that write left, instead of racing it.
 * Every store call ends by itself, bounded by the call timeout.
 * @packageDocumentation
 */
import { Observable, type Subscription } from 'rxjs';

/** Per-key serialisation of Observables. */
export interface WriteLanes {
  /**
   * A cold Observable that, when subscribed, waits until nothing else of the same key runs, then
   * subscribes `work`. Unsubscribing while waiting leaves the queue; unsubscribing while running
   * ends `work`, but the lane is handed on only once its sent calls have answered.
   */
  run<T>(key: string, work: Observable<T>): Observable<T>;
  /**
   * A call made by the work of lane `key`: once subscribed, it runs to its end even when its
   * subscriber leaves, keeping the lane busy until it has.
   */
  sent<T>(key: string, call: Observable<T>): Observable<T>;
  /** True while some work of `key` runs or waits, or a sent call of `key` has not answered. */
  isBusy(key: string): boolean;
}

/** The state of one busy lane. */
interface Lane {
  /** The starts of the works waiting behind the running one. */
  readonly queue: Array<() => void>;
  /** A work is running. */
  running: boolean;
  /** Sent calls not yet answered. */
  inFlight: number;
}

/** A fresh set of lanes; state lives in the returned object. */
export function writeLanes(): WriteLanes {
  // A key is present while its lane is busy.
  const lanes = new Map<string, Lane>();

  const handOn = (key: string, lane: Lane): void => {
    if (lane.running || lane.inFlight > 0) return;
    const start = lane.queue.shift();
    if (start === undefined) lanes.delete(key);
    else start();
  };

  const run = <T>(key: string, work: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      let state: 'waiting' | 'running' | 'done' = 'waiting';
      let inner: Subscription | undefined;
      const lane = lanes.get(key) ?? { queue: [], running: false, inFlight: 0 };
      lanes.set(key, lane);
      const start = (): void => {
        state = 'running';
        lane.running = true;
        inner = work.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      };
      if (lane.running || lane.inFlight > 0 || lane.queue.length > 0) lane.queue.push(start);
      else start();
      // Runs after error, complete or unsubscribe alike.
      return () => {
        if (state === 'waiting') {
          const index = lane.queue.indexOf(start);
          if (index >= 0) lane.queue.splice(index, 1);
          handOn(key, lane);
          return;
        }
        if (state === 'running') {
          state = 'done';
          inner?.unsubscribe();
          lane.running = false;
          handOn(key, lane);
        }
      };
    });

  const sent = <T>(key: string, call: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const lane = lanes.get(key);
      if (lane === undefined) return call.subscribe(subscriber);
      lane.inFlight += 1;
      let waiting = true;
      const settle = (): void => {
        lane.inFlight -= 1;
        handOn(key, lane);
      };
      // The one subscription that outlives its subscriber: nothing else may own a sent write.
      call.subscribe({
        next: (value) => {
          if (waiting) subscriber.next(value);
        },
        error: (error: unknown) => {
          settle();
          if (waiting) subscriber.error(error);
        },
        complete: () => {
          settle();
          if (waiting) subscriber.complete();
        },
      });
      return () => {
        waiting = false;
      };
    });

  return { run, sent, isBusy: (key) => lanes.has(key) };
}
