/**
 * Per-shard write limits on the scheduler clock: Kinesis accepts at most 1000 records and 1 MiB
 * (partition keys included) per shard per second, and fails the excess entries of a PutRecords
 * request one by one with ProvisionedThroughputExceededException. The fake counts in fixed
 * one-second windows aligned to the clock, which is simpler than the service's bucket but gives the
 * same pass/fail pattern for steady traffic.
 * @packageDocumentation
 */

/** Limits per shard per second. */
export interface WriteLimits {
  /** Default 1000. */
  readonly recordsPerSecond: number;
  /** Default 1048576 (1 MiB). */
  readonly bytesPerSecond: number;
}

/** The service's limits. */
export const KINESIS_WRITE_LIMITS: WriteLimits = { recordsPerSecond: 1000, bytesPerSecond: 1024 * 1024 };

interface Window {
  readonly second: number;
  records: number;
  bytes: number;
}

/** Tracks what each shard has taken in the current second. */
export class WriteLimiter {
  private readonly windows = new Map<string, Window>();

  /** @throws TypeError when a limit is not a positive number */
  constructor(readonly limits: WriteLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!(typeof value === 'number' && value > 0)) throw new TypeError(`writeLimits.${name} must be a positive number, got ${value}`);
    }
  }

  /** True when the shard can take a record of `bytes` now; counts it if so. */
  admit(shardKey: string, nowMillis: number, bytes: number): boolean {
    const second = Math.floor(nowMillis / 1000);
    let window = this.windows.get(shardKey);
    if (window === undefined || window.second !== second) {
      window = { second, records: 0, bytes: 0 };
      this.windows.set(shardKey, window);
    }
    if (window.records + 1 > this.limits.recordsPerSecond || window.bytes + bytes > this.limits.bytesPerSecond) return false;
    window.records += 1;
    window.bytes += bytes;
    return true;
  }
}
