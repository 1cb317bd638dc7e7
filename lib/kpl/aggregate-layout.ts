/**
 * One KPL aggregate under construction, serialized as records come in so that its exact size is
 * always known and the final bytes are a few copies and an MD5 away. Not part of the public API.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { ByteSink } from './byte-sink';
import { KeyTable } from './key-table';
import type { UserRecord } from './user-record';
import * as wire from './wire-format';

// Local copies of the hot helpers: loaders such as esbuild turn imported bindings into getters,
// which would cost a call on every use.
const { lengthDelimitedSize, varintSize, writeVarint } = wire;

/** The four bytes that open every KPL aggregate. */
export const AGGREGATE_MAGIC: readonly number[] = [0xf3, 0x89, 0x9a, 0xc2];

/** Magic plus MD5 trailer: what an aggregate adds around its protobuf bytes. */
export const AGGREGATE_FIXED_OVERHEAD = 4 + 16;

// Tag bytes (field number << 3 | wire type) of the fields we write.
const PARTITION_KEY_TABLE = 0x0a;
const EXPLICIT_HASH_KEY_TABLE = 0x12;
const RECORDS = 0x1a;
const RECORD_PARTITION_KEY_INDEX = 0x08;
const RECORD_EXPLICIT_HASH_KEY_INDEX = 0x10;
const RECORD_DATA = 0x1a;

/** The most bytes a record's framing can take: four tags and four 32-bit varints. */
const MAX_RECORD_FRAMING = 4 * (1 + 5);

/**
 * The records of one aggregate, the key tables they index, and the exact protobuf size.
 *
 * The protobuf is kept as three serialized sections (partition keys, explicit hash keys, records)
 * because the KPL writes every table entry before the first record. A record's bytes are fixed when
 * it is added (table indices never change, the tables only grow), so the running size is exact,
 * varint growth included, and `write` only has to concatenate.
 *
 * Adding is two steps, `measure` then `commit`, so that a caller can look at the size first and
 * decide; `commit` must follow the `measure` of the same record with no other `measure` between.
 */
export class AggregateLayout {
  /** The records added, in order; a new array after `clear`, so one handed out earlier stays intact. */
  records: UserRecord[] = [];
  /** Exact length of the serialized `AggregatedRecord` protobuf. */
  protobufSize = 0;

  private readonly partitionKeys = new KeyTable(PARTITION_KEY_TABLE);
  private readonly explicitHashKeys = new KeyTable(EXPLICIT_HASH_KEY_TABLE);
  private readonly body = new ByteSink(1024);

  // What `measure` found, for `commit`: -1 for a key index means the key is new.
  private pendingPartitionKey = 0;
  private pendingExplicitHashKey = 0;
  private pendingRecordSize = 0;

  /** Protobuf bytes that `record` would add. */
  measure(record: UserRecord): number {
    let growth = 0;

    const pk = this.partitionKeys.find(record.partitionKey);
    if (pk < 0) growth += this.partitionKeys.pendingSize;
    let recordSize = 1 + varintSize(pk < 0 ? this.partitionKeys.size : pk);

    let ehk = -1;
    const explicitHashKey = record.explicitHashKey;
    if (explicitHashKey !== undefined) {
      ehk = this.explicitHashKeys.find(explicitHashKey);
      if (ehk < 0) growth += this.explicitHashKeys.pendingSize;
      recordSize += 1 + varintSize(ehk < 0 ? this.explicitHashKeys.size : ehk);
    }

    recordSize += lengthDelimitedSize(record.data.length);
    this.pendingPartitionKey = pk;
    this.pendingExplicitHashKey = ehk;
    this.pendingRecordSize = recordSize;
    return growth + lengthDelimitedSize(recordSize);
  }

  /** Adds the record last passed to `measure`, which returned `growth`. */
  commit(record: UserRecord, growth: number): void {
    let pk = this.pendingPartitionKey;
    if (pk < 0) pk = this.partitionKeys.insertPending(record.partitionKey);
    let ehk = this.pendingExplicitHashKey;
    const explicitHashKey = record.explicitHashKey;
    if (explicitHashKey !== undefined && ehk < 0) ehk = this.explicitHashKeys.insertPending(explicitHashKey);

    const data = record.data;
    const dataLength = data.length;
    const body = this.body;
    let offset = body.length;
    const out = offset + MAX_RECORD_FRAMING + dataLength <= body.bytes.length ? body.bytes : body.reserve(MAX_RECORD_FRAMING + dataLength);
    // One-byte varints are the common case; spelled out because this runs once per user record.
    const recordSize = this.pendingRecordSize;
    out[offset++] = RECORDS;
    if (recordSize < 0x80) out[offset++] = recordSize;
    else offset = writeVarint(out, offset, recordSize);
    out[offset++] = RECORD_PARTITION_KEY_INDEX;
    if (pk < 0x80) out[offset++] = pk;
    else offset = writeVarint(out, offset, pk);
    if (explicitHashKey !== undefined) {
      out[offset++] = RECORD_EXPLICIT_HASH_KEY_INDEX;
      offset = writeVarint(out, offset, ehk);
    }
    out[offset++] = RECORD_DATA;
    if (dataLength < 0x80) out[offset++] = dataLength;
    else offset = writeVarint(out, offset, dataLength);
    out.set(data, offset);
    body.length = offset + dataLength;

    this.records.push(record);
    this.protobufSize += growth;
  }

  /** Empties the layout, keeping the buffers it has grown for the next aggregate. */
  clear(): void {
    this.records = [];
    this.protobufSize = 0;
    this.partitionKeys.clear();
    this.explicitHashKeys.clear();
    this.body.clear();
  }

  /** Adds a record. */
  add(record: UserRecord): void {
    this.commit(record, this.measure(record));
  }

  /**
   * The aggregate's bytes: magic, the protobuf (partition key table, explicit hash key table,
   * records, which is the order the KPL's C++ protobuf writes them in), then the MD5 of the protobuf.
   */
  write(): Uint8Array {
    const protobufEnd = 4 + this.protobufSize;
    const out = Buffer.allocUnsafe(protobufEnd + 16);
    out[0] = AGGREGATE_MAGIC[0]!;
    out[1] = AGGREGATE_MAGIC[1]!;
    out[2] = AGGREGATE_MAGIC[2]!;
    out[3] = AGGREGATE_MAGIC[3]!;
    let offset = this.partitionKeys.entries.copyTo(out, 4);
    offset = this.explicitHashKeys.entries.copyTo(out, offset);
    offset = this.body.copyTo(out, offset);
    if (offset !== protobufEnd) {
      throw new Error(`aggregate layout out of step: ${offset - 4} protobuf bytes written, ${this.protobufSize} counted`);
    }
    createHash('md5').update(out.subarray(4, protobufEnd)).digest().copy(out, protobufEnd);
    return out;
  }
}
