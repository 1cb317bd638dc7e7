/**
 * Shard prediction: which open shard a hash key belongs to, from ListShards (AT_LATEST), refreshed
 * when a record lands on a shard the map does not know (after a split or a merge).
 *
 * Hash keys are handled as four 32-bit words (`HashKey`), so a lookup is a binary search over
 * numbers, with no BigInt and no string on the hot path.
 * @packageDocumentation
 */
import { catchError, defer, map, of, retry, share, throwError, timer, type Observable, type SchedulerLike } from 'rxjs';
import { KinesisCallError, ReactiveKinesisError } from '../model/errors';
import type { KinesisPort, Shard } from '../ports/kinesis-port';
import { compareHashKeys, hashKeyFromBigInt, type HashKey } from './hash-key';

/** The open shards of a stream at one moment: sorted ending hash keys and each shard's range. */
export class ShardMap {
  private readonly endingKeys: readonly HashKey[];
  private readonly shardIds: readonly string[];
  private readonly ranges: ReadonlyMap<string, { readonly start: HashKey; readonly end: HashKey }>;

  /**
   * @param shards a ListShards answer; closed shards (with an ending sequence number) are left out,
   *   since some emulators ignore the AT_LATEST filter
   * @param updatedAt when the answer arrived, on the scheduler's clock
   */
  constructor(
    shards: readonly Shard[],
    readonly updatedAt: number,
  ) {
    const open = shards
      .filter((s) => s.endingSequenceNumber === undefined)
      .map((s) => ({ shardId: s.shardId, start: hashKeyFromBigInt(s.hashKeyRange.startingHashKey), end: hashKeyFromBigInt(s.hashKeyRange.endingHashKey) }))
      .sort((a, b) => compareHashKeys(a.end, b.end));
    this.endingKeys = open.map((s) => s.end);
    this.shardIds = open.map((s) => s.shardId);
    this.ranges = new Map(open.map((s) => [s.shardId, { start: s.start, end: s.end }]));
  }

  /** Number of open shards. */
  get size(): number {
    return this.shardIds.length;
  }

  /** Open shard ids, in hash key order. */
  get openShardIds(): readonly string[] {
    return this.shardIds;
  }

  /**
   * The shard whose range holds `hashKey`: the first whose ending key is ≥ it. `undefined` only when
   * the map has no shards.
   */
  predict(hashKey: HashKey): string | undefined {
    const keys = this.endingKeys;
    let low = 0;
    let high = keys.length - 1;
    if (high < 0) return undefined;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareHashKeys(keys[mid]!, hashKey) < 0) low = mid + 1;
      else high = mid;
    }
    return this.shardIds[low];
  }

  /** Whether the map knows `shardId` as an open shard. */
  has(shardId: string): boolean {
    return this.ranges.has(shardId);
  }

  /** Whether `hashKey` is in the range of `shardId`; `undefined` when the shard is unknown. */
  contains(shardId: string, hashKey: HashKey): boolean | undefined {
    const range = this.ranges.get(shardId);
    return range === undefined ? undefined : compareHashKeys(range.start, hashKey) <= 0 && compareHashKeys(hashKey, range.end) <= 0;
  }
}

/** The stream has no open shard to write to. */
export class NoOpenShardsError extends ReactiveKinesisError {
  constructor(readonly streamName: string) {
    super(`Stream ${streamName} has no open shards`);
  }
}

/** How the shard map loads and retries. */
export interface ShardMapOptions {
  readonly streamName: string;
  readonly scheduler: SchedulerLike;
  /** First wait after a failed ListShards (KPL: 1000 ms). */
  readonly retryInitialMillis: number;
  /** Growth of the wait per failure (KPL: 1.5). */
  readonly retryMultiplier: number;
  /** Longest wait (KPL: 30000 ms). */
  readonly retryMaxMillis: number;
  /** How long the first load may keep retrying before the producer gives up (RecordTtl). */
  readonly loadTimeoutMillis: number;
  /** Told when a refresh fails and the old map stays in use. */
  readonly onRefreshError?: (error: unknown) => void;
}

function isRetryable(error: unknown): boolean {
  return error instanceof KinesisCallError && error.retryable;
}

/**
 * The shard map of one producer subscription: the current map, the first load, and refreshes.
 * Create one per subscription (inside `defer`); nothing here is shared between subscriptions.
 */
export class ShardMapState {
  private map: ShardMap | undefined;
  private readonly refreshing: Observable<ShardMap>;

  constructor(
    private readonly port: KinesisPort,
    private readonly options: ShardMapOptions,
  ) {
    // One ListShards at a time however many batches ask; `share` resets once it completes, so the
    // next refresh calls again.
    this.refreshing = this.list().pipe(
      catchError((error: unknown) => {
        this.options.onRefreshError?.(error);
        return this.map === undefined ? throwError(() => error) : of(this.map);
      }),
      share(),
    );
  }

  /** The current map; `undefined` before the first load. */
  get current(): ShardMap | undefined {
    return this.map;
  }

  /** The open shard for `hashKey` in the current map. */
  predict(hashKey: HashKey): string {
    const shardId = this.map?.predict(hashKey);
    if (shardId === undefined) throw new NoOpenShardsError(this.options.streamName);
    return shardId;
  }

  /**
   * The first load: ListShards until it answers, retrying retryable failures with backoff (1 s,
   * ×1.5, at most 30 s) for at most `loadTimeoutMillis`; a failure that is not retryable (no such
   * stream, access denied), or the timeout, errors with the last cause.
   */
  load(): Observable<ShardMap> {
    return defer(() => {
      const { scheduler, retryInitialMillis, retryMultiplier, retryMaxMillis, loadTimeoutMillis } = this.options;
      const giveUpAt = scheduler.now() + loadTimeoutMillis;
      return this.list().pipe(
        retry({
          delay: (error: unknown, retryCount) => {
            const wait = Math.min(retryMaxMillis, retryInitialMillis * retryMultiplier ** (retryCount - 1));
            if (!isRetryable(error) || scheduler.now() + wait > giveUpAt) return throwError(() => error);
            return timer(wait, scheduler);
          },
        }),
      );
    });
  }

  /**
   * A new map from ListShards, shared with any refresh already in flight. When the call fails the
   * current map stays (and is emitted), so a refresh never errors once a map was loaded.
   */
  refresh(): Observable<ShardMap> {
    return this.refreshing;
  }

  private list(): Observable<ShardMap> {
    return defer(() => this.port.listShards(this.options.streamName, { type: 'AT_LATEST' })).pipe(
      map((shards) => {
        const next = new ShardMap(shards, this.options.scheduler.now());
        if (next.size === 0) throw new NoOpenShardsError(this.options.streamName);
        this.map = next;
        return next;
      }),
    );
  }
}
