/**
 * What every entry point (`consume$`, `shards$`, `produce`, `KinesisProducer`, `kinesisSink`,
 * `KinesisConsumer`) may be handed instead of building its own: the AWS side as ports or shared SDK
 * clients, the clock, and a logger. All optional.
 * @packageDocumentation
 */
import type { SchedulerLike } from 'rxjs';
import type { resolveKinesisPort, resolveLeaseStorePort } from './aws/clients';

/** Kinesis as a caller may hand it in: a `KinesisPort`, or an SDK `KinesisClient` (wrapped, not owned). */
export type KinesisInput = NonNullable<Parameters<typeof resolveKinesisPort>[0]>;

/** The lease table as a caller may hand it in: a `LeaseStorePort`, or an SDK `DynamoDBClient` (wrapped, not owned). */
export type LeaseStoreInput = NonNullable<Parameters<typeof resolveLeaseStorePort>[0]>;

/** Where the library reports what it works around. `console` fits. */
export interface Logger {
  warn(message: string, context?: Readonly<Record<string, unknown>>): void;
}

/**
 * What the library talks to. Everything is optional: without `kinesis` or `leases`, a client is
 * built from the configuration (region and endpoint, else the SDK's defaults and its endpoint
 * variables) for each subscription and destroyed once that subscription's last write is done.
 */
export interface Deps {
  readonly kinesis?: KinesisInput;
  /** Only consumers use the lease table. */
  readonly leases?: LeaseStoreInput;
  /**
   * The clock of every timer, retry, linger and lease expiry. Default `asyncScheduler`'s timers;
   * for consumers read on the monotonic clock (`performance.now()`), so that a step of the wall
   * clock neither expires live leases nor stretches lost ones; for the producer with 0 ms as the
   * event loop's next turn (`nextTurnScheduler`). A scheduler handed in is used as it is: a
   * virtual one for tests, or, in production, one whose `now()` is monotonic too.
   */
  readonly scheduler?: SchedulerLike;
  /** Told about failures the library works around. */
  readonly logger?: Logger;
}
