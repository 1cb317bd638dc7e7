/**
 * The producer's default clock: `asyncScheduler`, except that a 0 ms delay is the next turn of the
 * event loop (`setImmediate`), after pending I/O, rather than a timer, which Node holds back at
 * least 1 ms. The producer schedules at 0 ms to let requests go out and answers come in between
 * chunks of admitted events; a millisecond each time would cost more than the chunk.
 * @packageDocumentation
 */
import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** Work due on the next turn of the event loop; rescheduled with a delay, it waits on `asyncScheduler`. */
class NextTurnAction<T> extends Subscription implements SchedulerAction<T> {
  private immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  private timed: Subscription | undefined = undefined;

  constructor(private readonly work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
    this.add(() => this.cancel());
  }

  /** Runs the work once, `delay` ms from now (0: on the next turn), in place of a pending run. */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.cancel();
    if (delay > 0) {
      this.timed = asyncScheduler.schedule(() => {
        this.timed = undefined;
        this.work.call(this, state);
      }, delay);
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.work.call(this, state);
      });
    }
    return this;
  }

  private cancel(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.timed?.unsubscribe();
    this.timed = undefined;
  }
}

/**
 * `asyncScheduler`, with a 0 ms delay run on the next turn of the event loop. Work scheduled with a
 * delay is `asyncScheduler`'s own action.
 */
export const nextTurnScheduler: SchedulerLike = {
  now: () => asyncScheduler.now(),
  schedule: <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription =>
    delay > 0 ? asyncScheduler.schedule(work, delay, state) : new NextTurnAction(work).schedule(state),
};
