/**
 * How the fakes answer: the effect happens when the call is subscribed, the answer arrives after the
 * configured latency on the injected scheduler, so virtual time drives everything.
 * @packageDocumentation
 */
import { NEVER, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { CallFault } from './faults';

/** A computed answer: a value, or the error to deliver instead. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** When answers arrive. */
export interface Timing {
  readonly scheduler: SchedulerLike;
  readonly latencyMillis: number;
}

/** Runs `perform`, capturing what it throws as the outcome. */
export function attempt<T>(perform: () => T): Outcome<T> {
  try {
    return { ok: true, value: perform() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Delivers `outcome` after the latency. */
export function respond<T>(timing: Timing, outcome: Outcome<T>): Observable<T> {
  return timer(timing.latencyMillis, timing.scheduler).pipe(
    map(() => {
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    }),
  );
}

/**
 * Performs a call under an optional injected fault: `hang` never answers, `throttle` and `transient`
 * fail without touching state, `lostResponse` performs the call and then fails.
 * Must be called when the call is subscribed (inside `defer`).
 */
export function answer<T>(
  timing: Timing,
  fault: CallFault | undefined,
  errorFor: (fault: Exclude<CallFault, 'hang'>) => Error,
  perform: () => T,
): Observable<T> {
  switch (fault) {
    case 'hang':
      return NEVER;
    case 'throttle':
    case 'transient':
      return respond<T>(timing, { ok: false, error: errorFor(fault) });
    case 'lostResponse':
      attempt(perform);
      return respond<T>(timing, { ok: false, error: errorFor(fault) });
    case undefined:
      return respond(timing, attempt(perform));
  }
}

/** Checks the options every fake shares, at construction. */
export function timingOf(options: { readonly scheduler?: SchedulerLike; readonly latencyMillis?: number }, fallback: SchedulerLike): Timing {
  const latencyMillis = options.latencyMillis ?? 0;
  if (!(Number.isFinite(latencyMillis) && latencyMillis >= 0)) {
    throw new TypeError(`latencyMillis must be a non-negative finite number, got ${latencyMillis}`);
  }
  return { scheduler: options.scheduler ?? fallback, latencyMillis };
}
