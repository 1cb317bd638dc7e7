/**
 * Accumulates the user records of one Kinesis record and knows, before each record goes in, exactly
 * how many bytes the result will take, so a producer can stop just short of `AggregationMaxSize`.
 * @packageDocumentation
 */
import { AGGREGATE_FIXED_OVERHEAD, AggregateLayout } from './aggregate-layout';
import { effectiveHashKey } from './hash-key';
import type { UserRecord } from './user-record';

/** The partition key the KPL gives every aggregate; routing goes by the explicit hash key instead. */
export const AGGREGATE_PARTITION_KEY = 'a';

/** One entry of a PutRecords request, as the KPL would send it. */
export interface KinesisEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** Decimal hash key that routes the entry to the shard of its (first) user record. */
  readonly explicitHashKey: string;
}

/**
 * The user records bound for one Kinesis record, with exact size accounting (the KPL's
 * `accurate_size`): the raw data length for a single record, 20 bytes plus the protobuf length for
 * two or more. Records should all route to the same shard: the KCL drops a whole aggregate when one
 * of its records falls outside the shard's hash key range.
 */
export class AggregateBuilder {
  private readonly layout = new AggregateLayout();
  private firstHashKey: bigint | undefined;

  /** Number of user records added. */
  get count(): number {
    return this.layout.records.length;
  }

  /** Exact length of the data `build()` would produce (0 when empty). */
  get size(): number {
    const records = this.layout.records;
    if (records.length > 1) return AGGREGATE_FIXED_OVERHEAD + this.layout.protobufSize;
    return records[0]?.data.length ?? 0;
  }

  /** The user records added so far, in order. */
  get records(): readonly UserRecord[] {
    return this.layout.records;
  }

  /** Hash key of the first record, which routes the whole aggregate; `undefined` when empty. */
  get hashKey(): bigint | undefined {
    return this.firstHashKey;
  }

  /** Exact length `size` would have after `add(record)`. */
  sizeIfAdded(record: UserRecord): number {
    const count = this.layout.records.length;
    if (count === 0) return record.data.length;
    return AGGREGATE_FIXED_OVERHEAD + this.layout.protobufSize + this.layout.measure(record);
  }

  /**
   * Adds a user record.
   * @throws InvalidRecordError when its explicit hash key is not a decimal in [0, 2^128 − 1]
   */
  add(record: UserRecord): void {
    this.checkHashKey(record);
    this.layout.add(record);
  }

  /**
   * Adds `record` unless that would take a non-empty aggregate over `maxSize` bytes; returns whether
   * it was added. An empty builder always accepts, so that one oversized record still goes out alone.
   * @throws InvalidRecordError when its explicit hash key is not a decimal in [0, 2^128 − 1]
   */
  tryAdd(record: UserRecord, maxSize: number): boolean {
    if (this.layout.records.length === 0) {
      this.add(record);
      return true;
    }
    const growth = this.layout.measure(record);
    if (AGGREGATE_FIXED_OVERHEAD + this.layout.protobufSize + growth > maxSize) return false;
    this.checkHashKey(record);
    this.layout.commit(record, growth);
    return true;
  }

  /**
   * The Kinesis record, as the KPL builds it: a single user record goes out as it is, with its own
   * partition key; two or more become an aggregate with partition key `"a"`. Either way the explicit
   * hash key is the decimal hash key of the first user record.
   * @throws RangeError when no record was added
   */
  build(): KinesisEntry {
    const first = this.layout.records[0];
    if (first === undefined || this.firstHashKey === undefined) {
      throw new RangeError('AggregateBuilder.build() needs at least one user record');
    }
    const explicitHashKey = this.firstHashKey.toString();
    if (this.layout.records.length === 1) {
      return { data: first.data, partitionKey: first.partitionKey, explicitHashKey };
    }
    return { data: this.layout.write(), partitionKey: AGGREGATE_PARTITION_KEY, explicitHashKey };
  }

  /**
   * Empties the builder for the next aggregate. It keeps the buffers it has grown, which saves
   * allocations when one builder serves a stream of aggregates, at the cost of holding on to them.
   */
  clear(): void {
    this.layout.clear();
    this.firstHashKey = undefined;
  }

  /** Validates an explicit hash key before anything changes; only the first record's hash is kept. */
  private checkHashKey(record: UserRecord): void {
    if (this.firstHashKey === undefined) {
      this.firstHashKey = effectiveHashKey(record);
    } else if (record.explicitHashKey !== undefined) {
      effectiveHashKey(record);
    }
  }
}
