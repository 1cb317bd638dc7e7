/**
 * One shard of the in-memory stream: its place in the hash-key space, its lineage, and its records
 * (append-only; the fake does not trim by retention, like kinesis-local).
 * @packageDocumentation
 */
import type { ChildShard, HashKeyRange, KinesisRecord, Shard } from '../ports/kinesis-port';

/** A record as the shard keeps it; `data` is the shard's own copy. */
export interface StoredRecord {
  readonly sequence: bigint;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrivalMillis: number;
}

/** The `shardId-000000000000` form of a shard's ordinal. */
export function shardIdOf(ordinal: number): string {
  return `shardId-${String(ordinal).padStart(12, '0')}`;
}

/** The first index in `0..length` for which `isAtOrAfter` holds, given that it holds for a suffix. */
function lowerBound(length: number, isAtOrAfter: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAtOrAfter(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** A shard and its records. */
export class ShardState {
  readonly shardId: string;
  readonly records: StoredRecord[] = [];
  readonly childShardIds: string[] = [];
  private ending?: { readonly sequence: bigint; readonly atMillis: number };

  constructor(
    readonly ordinal: number,
    readonly hashKeyRange: HashKeyRange,
    readonly startingSequence: bigint,
    readonly createdAtMillis: number,
    /** The parent and, after a merge, the adjacent parent. */
    readonly parentShardIds: readonly string[] = [],
  ) {
    this.shardId = shardIdOf(ordinal);
  }

  get isOpen(): boolean {
    return this.ending === undefined;
  }

  get endingSequence(): bigint | undefined {
    return this.ending?.sequence;
  }

  get closedAtMillis(): number | undefined {
    return this.ending?.atMillis;
  }

  /** Closes the shard (after a split or merge); it takes no more records. */
  close(endingSequence: bigint, atMillis: number, childShardIds: readonly string[]): void {
    this.ending = { sequence: endingSequence, atMillis };
    this.childShardIds.push(...childShardIds);
  }

  append(record: StoredRecord): void {
    this.records.push(record);
  }

  /** Index of the first record whose sequence is ≥ `sequence` (or > it, when `after`). */
  indexOfSequence(sequence: bigint, after: boolean): number {
    return lowerBound(this.records.length, (i) => {
      const s = (this.records[i] as StoredRecord).sequence;
      return after ? s > sequence : s >= sequence;
    });
  }

  /** Index of the first record that arrived at or after `millis`. */
  indexOfTime(millis: number): number {
    return lowerBound(this.records.length, (i) => (this.records[i] as StoredRecord).arrivalMillis >= millis);
  }

  /** The shard as ListShards describes it. */
  describe(): Shard {
    const [parentShardId, adjacentParentShardId] = this.parentShardIds;
    return {
      shardId: this.shardId,
      ...(parentShardId === undefined ? {} : { parentShardId }),
      ...(adjacentParentShardId === undefined ? {} : { adjacentParentShardId }),
      hashKeyRange: { ...this.hashKeyRange },
      startingSequenceNumber: String(this.startingSequence),
      ...(this.ending === undefined ? {} : { endingSequenceNumber: String(this.ending.sequence) }),
    };
  }

  /** The shard as a closed parent's last GetRecords page announces it. */
  describeAsChild(): ChildShard {
    return { shardId: this.shardId, parentShards: [...this.parentShardIds], hashKeyRange: { ...this.hashKeyRange } };
  }
}

/** A stored record as callers see it: a fresh copy, so nobody can change what the shard holds. */
export function recordView(record: StoredRecord): KinesisRecord {
  return {
    sequenceNumber: String(record.sequence),
    partitionKey: record.partitionKey,
    data: record.data.slice(),
    approximateArrivalTimestamp: new Date(record.arrivalMillis),
  };
}
