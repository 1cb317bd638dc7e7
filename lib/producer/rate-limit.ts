/**
 * Per-shard rate limiting, as the KPL's `RateLimit`: each predicted shard has two token buckets, one
 * for records (1000/s) and one for bytes (1 MiB/s), both scaled by `RateLimit` percent, so a producer
 * stays under the shard's write limits instead of collecting throttling errors.
 *
 * Buckets refill by elapsed time on the scheduler's clock and start full, holding one second's worth.
 * A Kinesis record passes once both buckets can pay for it; a record dearer than a full bucket passes
 * when the bucket is full and leaves it in debt, so nothing waits forever.
 * @packageDocumentation
 */
import { concatMap, groupBy, mergeMap, of, timer, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import type { Container } from './pending-record';

/** A shard's write limit in records per second. */
export const SHARD_RECORDS_PER_SECOND = 1000;
/** A shard's write limit in bytes per second. */
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;

/** A token bucket on an external clock. Tokens may go negative: a reservation can run into debt. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /**
   * @param ratePerSecond refill rate
   * @param capacity most tokens held (the bucket starts full)
   */
  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Milliseconds until `cost` tokens can be taken (0 when they can now). */
  waitFor(cost: number, now: number): number {
    this.refill(now);
    const needed = Math.min(cost, this.capacity);
    return this.tokens >= needed ? 0 : ((needed - this.tokens) * 1000) / this.ratePerSecond;
  }

  /** Takes `cost` tokens, going into debt if need be. */
  take(cost: number, now: number): void {
    this.refill(now);
    this.tokens -= cost;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.ratePerSecond) / 1000);
      this.updatedAt = now;
    }
  }
}

/** The record and byte buckets of one shard. */
class ShardLimiter {
  private readonly records: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(fraction: number, now: number) {
    const recordsPerSecond = SHARD_RECORDS_PER_SECOND * fraction;
    const bytesPerSecond = SHARD_BYTES_PER_SECOND * fraction;
    this.records = new TokenBucket(recordsPerSecond, recordsPerSecond, now);
    this.bytes = new TokenBucket(bytesPerSecond, bytesPerSecond, now);
  }

  waitFor(bytes: number, now: number): number {
    return Math.max(this.records.waitFor(1, now), this.bytes.waitFor(bytes, now));
  }

  take(bytes: number, now: number): void {
    this.records.take(1, now);
    this.bytes.take(bytes, now);
  }
}

/**
 * The buckets of every shard one producer writes to. Shared by the first sends and the retries of
 * one producer subscription, so both count against the same budget.
 */
export class ShardRateLimiter {
  private readonly shards = new Map<string, ShardLimiter>();
  private readonly fraction: number;

  /**
   * @param percent `kpl.RateLimit`: percentage of the shard limits to allow (150 lets a single
   *   producer fill a shard, as the KPL's default)
   */
  constructor(
    percent: number,
    private readonly scheduler: SchedulerLike,
  ) {
    if (!(percent > 0)) throw new TypeError(`RateLimit must be a positive percentage, got ${percent}`);
    this.fraction = percent / 100;
  }

  /** Milliseconds until a Kinesis record of `bytes` may go to `shardId` (0: now). */
  waitFor(shardId: string, bytes: number): number {
    return this.shard(shardId).waitFor(bytes, this.scheduler.now());
  }

  /** Pays for a Kinesis record of `bytes` sent to `shardId`. */
  take(shardId: string, bytes: number): void {
    this.shard(shardId).take(bytes, this.scheduler.now());
  }

  /**
   * Pays for every container at once and says how long to wait before sending them all: the
   * longest a shard of theirs would make them wait (for retries, which go as one request).
   */
  reserve(containers: readonly Container[]): number {
    let wait = 0;
    for (const container of containers) {
      wait = Math.max(wait, this.waitFor(container.shardId, container.size));
      this.take(container.shardId, container.size);
    }
    return wait;
  }

  private shard(shardId: string): ShardLimiter {
    let limiter = this.shards.get(shardId);
    if (limiter === undefined) {
      limiter = new ShardLimiter(this.fraction, this.scheduler.now());
      this.shards.set(shardId, limiter);
    }
    return limiter;
  }
}

/** A wait rounded up to whole milliseconds, ignoring floating-point dust (68.0000001 is 68). */
export function wholeMillis(wait: number): number {
  return Math.ceil(wait - 1e-6);
}

/** Emits `container` once its shard's buckets can pay for it, and pays. */
function whenAllowed(limiter: ShardRateLimiter, scheduler: SchedulerLike, container: Container): Observable<Container> {
  const wait = wholeMillis(limiter.waitFor(container.shardId, container.size));
  if (wait <= 0) {
    limiter.take(container.shardId, container.size);
    return of(container);
  }
  // Wait, then look again: retries may have spent tokens meanwhile.
  return timer(wait, scheduler).pipe(concatMap(() => whenAllowed(limiter, scheduler, container)));
}

/**
 * Holds each Kinesis record until its predicted shard's buckets allow it. Shards are independent:
 * a busy shard never holds back another. Within a shard, order is kept.
 */
export function rateLimit(limiter: ShardRateLimiter, scheduler: SchedulerLike): MonoTypeOperatorFunction<Container> {
  return (source) =>
    source.pipe(
      groupBy((container) => container.shardId),
      mergeMap((shard$) => shard$.pipe(concatMap((container) => whenAllowed(limiter, scheduler, container)))),
    );
}
