/**
 * The consumer's default clock: `asyncScheduler`'s timers, read on the process's monotonic clock.
 *
 * Lease timing compares times this worker took itself (when a lease's counter was last seen to
 * move, when the last renewal began), so it needs a clock that only moves forward at the rate time
 * passes. `asyncScheduler.now()` is the wall clock (`Date.now()`), which NTP, an operator or a VM
 * resume may step: a step forward would make every live lease look expired (this worker would
 * drop its own and take everyone else's), a step back would stretch a cut-off holder's validity
 * past the moment another worker may take the lease. `performance.now()` is not stepped.
 *
 * Only `now()` differs. Timers are relative delays (Node's timers are monotonic already), so
 * `schedule` is `asyncScheduler`'s, and every operator given a number of milliseconds (`timer`,
 * `timeout`, `bufferTime`, …) behaves as on `asyncScheduler`. What must not be handed to it is an
 * absolute `Date` (`timer(date)`, `timeout({ first: date })`): those are turned into a delay by
 * subtracting `now()`, which is not an epoch time here. Times shown to people (diagnostics, logs)
 * are wall-clock times and are not taken from this scheduler.
 * @packageDocumentation
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * `asyncScheduler` with `now()` on the monotonic clock: milliseconds since the process started,
 * never stepped with the wall clock.
 */
export const monotonicScheduler: SchedulerLike = {
  // The global is looked up at each call, so a test's fake `performance` is the one read.
  now: () => performance.now(),
  schedule: <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription =>
    asyncScheduler.schedule(work, delay, state),
};
