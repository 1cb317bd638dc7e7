/**
 * One in-memory stream: its shards in creation order, resharding (split and merge, with the
 * parent closed and linked to its children) and the ListShards filters.
 * @packageDocumentation
 */
import type { HashKeyRange, ShardFilter } from '../ports/kinesis-port';
import { evenHashKeyRanges, rangeContains, rangesAdjacent } from './hash-keys';
import { invalidArgument, shardNotFound } from './kinesis-errors';
import type { Sequencer } from './sequence-numbers';
import { ShardState } from './shard-state';

/** A stream and its shards. */
export class StreamState {
  readonly shards: ShardState[] = [];

  /**
   * @param incarnation distinguishes this stream from an earlier one of the same name
   */
  constructor(
    readonly name: string,
    readonly incarnation: number,
    shardCount: number,
    readonly createdAtMillis: number,
    private readonly sequencer: Sequencer,
  ) {
    for (const range of evenHashKeyRanges(shardCount)) this.addShard(range, createdAtMillis, []);
  }

  shard(shardId: string): ShardState | undefined {
    return this.shards.find((s) => s.shardId === shardId);
  }

  /** @throws StreamNotFoundError when the stream has no such shard */
  requireShard(operation: string, shardId: string): ShardState {
    const shard = this.shard(shardId);
    if (shard === undefined) throw shardNotFound(operation, this.name, shardId);
    return shard;
  }

  /** The open shard whose range holds `hashKey`; open shards always cover the whole key space. */
  openShardFor(hashKey: bigint): ShardState {
    const shard = this.shards.find((s) => s.isOpen && rangeContains(s.hashKeyRange, hashKey));
    if (shard === undefined) throw new Error(`no open shard of ${this.name} holds hash key ${hashKey}`);
    return shard;
  }

  /**
   * Splits an open shard: the lower child gets `[start, newStartingHashKey − 1]`, the upper one
   * `[newStartingHashKey, end]`, and the parent closes.
   * @throws KinesisCallError InvalidArgumentException when the shard is closed or the key is not strictly inside its range
   */
  split(shardId: string, newStartingHashKey: bigint, nowMillis: number): void {
    const parent = this.requireOpenShard('SplitShard', shardId);
    const { startingHashKey, endingHashKey } = parent.hashKeyRange;
    if (!(startingHashKey < newStartingHashKey && newStartingHashKey <= endingHashKey)) {
      throw invalidArgument(
        'SplitShard',
        `NewStartingHashKey ${newStartingHashKey} must be greater than ${startingHashKey} and at most ${endingHashKey} (the range of ${shardId})`,
      );
    }
    this.reshard(
      [parent],
      [
        { startingHashKey, endingHashKey: newStartingHashKey - 1n },
        { startingHashKey: newStartingHashKey, endingHashKey },
      ],
      nowMillis,
    );
  }

  /**
   * Merges two open adjacent shards into one child whose `parentShardId` is `shardId` and whose
   * `adjacentParentShardId` is `adjacentShardId`; both parents close.
   * @throws KinesisCallError InvalidArgumentException when a shard is closed, or they are the same or not adjacent
   */
  merge(shardId: string, adjacentShardId: string, nowMillis: number): void {
    const shard = this.requireOpenShard('MergeShards', shardId);
    const adjacent = this.requireOpenShard('MergeShards', adjacentShardId);
    if (shard === adjacent || !rangesAdjacent(shard.hashKeyRange, adjacent.hashKeyRange)) {
      throw invalidArgument('MergeShards', `shards ${shardId} and ${adjacentShardId} are not adjacent`);
    }
    const range = {
      startingHashKey: shard.hashKeyRange.startingHashKey < adjacent.hashKeyRange.startingHashKey
        ? shard.hashKeyRange.startingHashKey
        : adjacent.hashKeyRange.startingHashKey,
      endingHashKey: shard.hashKeyRange.endingHashKey > adjacent.hashKeyRange.endingHashKey
        ? shard.hashKeyRange.endingHashKey
        : adjacent.hashKeyRange.endingHashKey,
    };
    this.reshard([shard, adjacent], [range], nowMillis);
  }

  /**
   * The shards a ListShards filter selects, in creation order.
   * - none, AT_TRIM_HORIZON: every shard (nothing is ever trimmed here).
   * - AT_LATEST: the open shards.
   * - AFTER_SHARD_ID: the shards whose id sorts after the one given.
   * - AT_TIMESTAMP: the shards open at that time (a time before the stream existed counts as its creation).
   * - FROM_TIMESTAMP: the shards open at or created after that time.
   */
  listShards(filter?: ShardFilter): ShardState[] {
    if (filter === undefined) return [...this.shards];
    switch (filter.type) {
      case 'AT_TRIM_HORIZON':
        return [...this.shards];
      case 'AT_LATEST':
        return this.shards.filter((s) => s.isOpen);
      case 'AFTER_SHARD_ID':
        return this.shards.filter((s) => s.shardId > filter.shardId);
      case 'AT_TIMESTAMP': {
        const at = Math.max(filter.timestamp.getTime(), this.createdAtMillis);
        return this.shards.filter((s) => s.createdAtMillis <= at && (s.closedAtMillis ?? Infinity) >= at);
      }
      case 'FROM_TIMESTAMP': {
        const from = filter.timestamp.getTime();
        return this.shards.filter((s) => (s.closedAtMillis ?? Infinity) >= from);
      }
    }
  }

  private requireOpenShard(operation: string, shardId: string): ShardState {
    const shard = this.requireShard(operation, shardId);
    if (!shard.isOpen) throw invalidArgument(operation, `shard ${shardId} in stream ${this.name} is closed`);
    return shard;
  }

  private reshard(parents: readonly ShardState[], childRanges: readonly HashKeyRange[], nowMillis: number): void {
    const parentIds = parents.map((p) => p.shardId);
    // The parents' ending numbers are issued before the children's starting numbers, so every
    // child position sorts after every parent position.
    const endings = parents.map((p) => this.sequencer.next(p.ordinal));
    const children = childRanges.map((range) => this.addShard(range, nowMillis, parentIds));
    parents.forEach((parent, i) => parent.close(endings[i] as bigint, nowMillis, children.map((c) => c.shardId)));
  }

  private addShard(range: HashKeyRange, nowMillis: number, parentShardIds: readonly string[]): ShardState {
    const ordinal = this.shards.length;
    const shard = new ShardState(ordinal, range, this.sequencer.next(ordinal), nowMillis, parentShardIds);
    this.shards.push(shard);
    return shard;
  }
}
