/**
 * Helpers to drive the fakes on a VirtualTimeScheduler: subscribe, let virtual time run, look at
 * what came out.
 */
import { expect } from 'chai';
import { VirtualTimeScheduler, type Observable } from 'rxjs';

/** What an Observable did once virtual time had run out. */
export interface Settled<T> {
  readonly values: T[];
  readonly error?: unknown;
  readonly completed: boolean;
  /** Virtual time of the last notification. */
  readonly at?: number;
}

/** Subscribes, runs every scheduled action, and reports what the source did. */
export function settle<T>(scheduler: VirtualTimeScheduler, source: Observable<T>): Settled<T> {
  const values: T[] = [];
  let error: unknown;
  let completed = false;
  let at: number | undefined;
  const subscription = source.subscribe({
    next: (v) => {
      values.push(v);
      at = scheduler.now();
    },
    error: (e: unknown) => {
      error = e;
      at = scheduler.now();
    },
    complete: () => {
      completed = true;
      at = scheduler.now();
    },
  });
  scheduler.flush();
  subscription.unsubscribe();
  return { values, error, completed, ...(at === undefined ? {} : { at }) };
}

/** The single value of a call that must succeed. */
export function valueOf<T>(scheduler: VirtualTimeScheduler, source: Observable<T>): T {
  const result = settle(scheduler, source);
  if (result.error !== undefined) throw result.error;
  expect(result.values, 'one value').to.have.length(1);
  expect(result.completed, 'completed').to.equal(true);
  return result.values[0] as T;
}

/** The error of a call that must fail. */
export function errorOf(scheduler: VirtualTimeScheduler, source: Observable<unknown>): Error {
  const result = settle(scheduler, source);
  expect(result.values, 'no value before the error').to.deep.equal([]);
  expect(result.error, 'an error').to.be.instanceOf(Error);
  return result.error as Error;
}

/** Moves virtual time forward by `millis`. */
export function advance(scheduler: VirtualTimeScheduler, millis: number): void {
  scheduler.schedule(() => undefined, millis);
  scheduler.flush();
}
