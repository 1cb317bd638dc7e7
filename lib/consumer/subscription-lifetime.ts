/**
 * How long the ports of one consumer subscription must live. Unsubscribing tears a pipeline down
 * synchronously, but its final checkpoint and lease release are writes that take a while; they run
 * on after the teardown, and the clients built for the subscription may only be destroyed once the
 * last of them is done.
 * @packageDocumentation
 */
import { defer, finalize, type Observable } from 'rxjs';

/**
 * Counts what still needs the ports of a subscription (shard pipelines, and the final writes that
 * outlive them) and calls `release` once the subscription has ended and nothing is left.
 * @internal
 */
export class SubscriptionLifetime {
  private live = 0;
  private ended = false;
  private released = false;

  /** @param release called once, when the subscription has ended and nothing needs the ports */
  constructor(private readonly release: () => void) {}

  /** Wraps a shard's events: the ports stay while it is subscribed. */
  holdWhile<T>(source$: Observable<T>): Observable<T> {
    return defer(() => {
      this.live += 1;
      return source$.pipe(finalize(() => this.done()));
    });
  }

  /**
   * Runs the final writes of a shard that was unsubscribed. Nothing else owns them once the
   * subscriber has gone; they are bounded by the shutdown timeout and never error.
   */
  runDetached(work$: Observable<unknown>): void {
    this.live += 1;
    work$.pipe(finalize(() => this.done())).subscribe();
  }

  /** The subscription has ended: release the ports as soon as nothing needs them. */
  end(): void {
    this.ended = true;
    this.releaseIfIdle();
  }

  private done(): void {
    this.live -= 1;
    this.releaseIfIdle();
  }

  private releaseIfIdle(): void {
    if (this.ended && this.live === 0 && !this.released) {
      this.released = true;
      this.release();
    }
  }
}
