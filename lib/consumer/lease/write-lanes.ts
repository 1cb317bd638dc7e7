/**
 * One write at a time per lease. Every write to a held lease is conditional on the counter the
 * previous write left, so two writes of the same worker to the same lease must not overlap: the
 * second would fail its condition on the first's increment and the lease would look stolen. The
 * KCL serialises them by locking the lease object; here each lease has a lane, and a write waits
 * for the one ahead of it to finish (or be unsubscribed).
 * @packageDocumentation
 */
import { Observable, type Subscription } from 'rxjs';

/** Per-key serialisation of Observables. */
export interface WriteLanes {
  /**
   * A cold Observable that, when subscribed, waits until no other work of the same key is running,
   * then subscribes `work`. Unsubscribing while waiting leaves the queue; unsubscribing while
   * running frees the lane.
   */
  run<T>(key: string, work: Observable<T>): Observable<T>;
  /** True while some work of `key` runs or waits. */
  isBusy(key: string): boolean;
}

/** A fresh set of lanes; state lives in the returned object. */
export function writeLanes(): WriteLanes {
  // key → the starts of the works waiting behind the running one; a key is present while busy.
  const queues = new Map<string, Array<() => void>>();

  const next = (key: string): void => {
    const queue = queues.get(key);
    if (queue === undefined) return;
    const start = queue.shift();
    if (start === undefined) queues.delete(key);
    else start();
  };

  const run = <T>(key: string, work: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      let state: 'waiting' | 'running' | 'done' = 'waiting';
      let inner: Subscription | undefined;
      const start = (): void => {
        state = 'running';
        inner = work.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      };
      const queue = queues.get(key);
      if (queue === undefined) {
        queues.set(key, []);
        start();
      } else {
        queue.push(start);
      }
      // Runs after error, complete or unsubscribe alike: the one place the lane is handed on.
      return () => {
        if (state === 'waiting') {
          const waiting = queues.get(key);
          const index = waiting?.indexOf(start) ?? -1;
          if (waiting !== undefined && index >= 0) waiting.splice(index, 1);
          return;
        }
        if (state === 'running') {
          state = 'done';
          inner?.unsubscribe();
          next(key);
        }
      };
    });

  return { run, isBusy: (key) => queues.has(key) };
}
