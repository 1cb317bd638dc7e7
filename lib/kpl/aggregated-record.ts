/**
 * The KPL aggregated record format: magic `F3 89 9A C2`, a proto2 `AggregatedRecord`, and the MD5
 * of the protobuf bytes. Byte-compatible with the KPL (Java/C++) and the KCL, in both directions.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { AGGREGATE_FIXED_OVERHEAD, AGGREGATE_MAGIC, AggregateLayout } from './aggregate-layout';
import type { UserRecord } from './user-record';
import { WireReader } from './wire-format';

export type { UserRecord } from './user-record';

/**
 * Encodes user records into one KPL aggregate, byte for byte as the KPL would: key tables first and
 * de-duplicated, required fields always written, an explicit hash key index only for records that
 * carry an explicit hash key.
 *
 * This is the format only. A producer sends a single user record as it is rather than as a
 * one-record aggregate; `AggregateBuilder` makes that choice and picks the Kinesis-level keys.
 *
 * @param records the user records, in the order a consumer will see them; at least one
 * @throws RangeError when `records` is empty: an aggregate with no records is not a valid aggregate
 */
export function encodeAggregatedRecord(records: readonly UserRecord[]): Uint8Array {
  if (records.length === 0) {
    throw new RangeError('encodeAggregatedRecord needs at least one user record');
  }
  const layout = new AggregateLayout();
  for (let i = 0; i < records.length; i++) layout.add(records[i]!);
  return layout.write();
}

/**
 * Decodes a KPL aggregate into its user records, accepting what the KCL (protobuf-java) accepts.
 *
 * Returns `undefined` whenever `data` is not a valid aggregate, in which case a consumer delivers
 * it as one plain record, as the KCL does: 20 bytes or fewer, no magic, an MD5 mismatch, bytes that
 * do not parse as an `AggregatedRecord`, or a missing required field. A key index outside its table
 * also gives `undefined`, where the KCL would keep the records before it and lose the rest. Fields
 * may come in any order; unknown fields are skipped. A valid aggregate may hold no records at all,
 * which yields an empty array. Never throws.
 *
 * Each returned `data` is a view into `data` (no copy): copy it if the input buffer is reused.
 */
export function decodeAggregatedRecord(data: Uint8Array): UserRecord[] | undefined {
  const length = data.length;
  if (length <= AGGREGATE_FIXED_OVERHEAD) return undefined;
  if (
    data[0] !== AGGREGATE_MAGIC[0] ||
    data[1] !== AGGREGATE_MAGIC[1] ||
    data[2] !== AGGREGATE_MAGIC[2] ||
    data[3] !== AGGREGATE_MAGIC[3]
  ) {
    return undefined;
  }
  const protobufEnd = length - 16;
  const digest = createHash('md5').update(data.subarray(4, protobufEnd)).digest();
  for (let i = 0; i < 16; i++) {
    if (digest[i] !== data[protobufEnd + i]) return undefined;
  }
  return parseAggregatedRecord(data, 4, protobufEnd);
}

// Tags (field number << 3 | wire type) of the fields we read. A known field number with another
// wire type is skipped as unknown, as protobuf-java does.
const PARTITION_KEY_TABLE = 0x0a;
const EXPLICIT_HASH_KEY_TABLE = 0x12;
const RECORDS = 0x1a;
const RECORD_PARTITION_KEY_INDEX = 0x08;
const RECORD_EXPLICIT_HASH_KEY_INDEX = 0x10;
const RECORD_DATA = 0x1a;
const RECORD_TAGS = 0x22;
const TAG_KEY = 0x0a;

/** The fields of the `Record` being parsed; -1 where absent. */
interface RecordFields {
  partitionKeyIndex: number;
  explicitHashKeyIndex: number;
  dataStart: number;
  dataEnd: number;
}

function parseAggregatedRecord(data: Uint8Array, start: number, end: number): UserRecord[] | undefined {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const buffer = data.buffer;
  const byteOffset = data.byteOffset;
  const reader = new WireReader(bytes, start, end);
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  const records: UserRecord[] = [];
  const fields: RecordFields = { partitionKeyIndex: -1, explicitHashKeyIndex: -1, dataStart: -1, dataEnd: -1 };
  // Records whose key index is not (yet) in its table: [position in records, pk, ehk, data start, data end]
  // each. Tables only grow, so an index that resolves once stays right; only these wait for the end.
  let unresolved: number[] | undefined;

  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === PARTITION_KEY_TABLE || tag === EXPLICIT_HASH_KEY_TABLE) {
      const keyLength = reader.length();
      if (keyLength < 0) return undefined;
      // Malformed UTF-8 becomes U+FFFD, as protobuf-java decodes proto2 strings.
      const key = bytes.toString('utf8', reader.pos, reader.pos + keyLength);
      reader.pos += keyLength;
      (tag === PARTITION_KEY_TABLE ? partitionKeys : explicitHashKeys).push(key);
    } else if (tag === RECORDS) {
      const recordLength = reader.length();
      if (recordLength < 0) return undefined;
      reader.end = reader.pos + recordLength;
      const ok = parseRecord(reader, fields);
      reader.end = end;
      if (!ok) return undefined;
      const { partitionKeyIndex: pk, explicitHashKeyIndex: ehk, dataStart, dataEnd } = fields;
      const partitionKey = partitionKeys[pk];
      const explicitHashKey = ehk < 0 ? undefined : explicitHashKeys[ehk];
      if (partitionKey === undefined || (ehk >= 0 && explicitHashKey === undefined)) {
        (unresolved ??= []).push(records.length, pk, ehk, dataStart, dataEnd);
        records.push(PLACEHOLDER);
      } else {
        const view = new Uint8Array(buffer, byteOffset + dataStart, dataEnd - dataStart);
        records.push(explicitHashKey === undefined ? { partitionKey, data: view } : { partitionKey, explicitHashKey, data: view });
      }
    } else if (!reader.skipField(tag)) {
      return undefined;
    }
  }

  if (unresolved !== undefined) {
    for (let i = 0; i < unresolved.length; i += 5) {
      const partitionKey = partitionKeys[unresolved[i + 1]!];
      const ehk = unresolved[i + 2]!;
      const explicitHashKey = ehk < 0 ? undefined : explicitHashKeys[ehk];
      if (partitionKey === undefined || (ehk >= 0 && explicitHashKey === undefined)) return undefined;
      const dataStart = unresolved[i + 3]!;
      const view = new Uint8Array(buffer, byteOffset + dataStart, unresolved[i + 4]! - dataStart);
      records[unresolved[i]!] = explicitHashKey === undefined ? { partitionKey, data: view } : { partitionKey, explicitHashKey, data: view };
    }
  }
  return records;
}

/** Stands in for a record whose keys are resolved at the end. */
const PLACEHOLDER: UserRecord = { partitionKey: '', data: new Uint8Array(0) };

/** Parses one `Record` in `[reader.pos, reader.end)` into `fields`; false if malformed or incomplete. */
function parseRecord(reader: WireReader, fields: RecordFields): boolean {
  let partitionKeyIndex = -1;
  let explicitHashKeyIndex = -1;
  let dataStart = -1;
  let dataEnd = -1;
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    switch (tag) {
      case RECORD_PARTITION_KEY_INDEX:
        partitionKeyIndex = reader.varint();
        if (partitionKeyIndex < 0) return false;
        break;
      case RECORD_EXPLICIT_HASH_KEY_INDEX:
        explicitHashKeyIndex = reader.varint();
        if (explicitHashKeyIndex < 0) return false;
        break;
      case RECORD_DATA: {
        const dataLength = reader.length();
        if (dataLength < 0) return false;
        dataStart = reader.pos;
        dataEnd = dataStart + dataLength;
        reader.pos = dataEnd;
        break;
      }
      case RECORD_TAGS:
        if (!skipTag(reader)) return false;
        break;
      default:
        if (!reader.skipField(tag)) return false;
    }
  }
  // Both are `required`: protobuf-java rejects the whole message without them, and so does the KCL.
  if (partitionKeyIndex < 0 || dataStart < 0) return false;
  fields.partitionKeyIndex = partitionKeyIndex;
  fields.explicitHashKeyIndex = explicitHashKeyIndex;
  fields.dataStart = dataStart;
  fields.dataEnd = dataEnd;
  return true;
}

/** Skips a `Tag` submessage, checking its required `key` the way protobuf-java would. */
function skipTag(reader: WireReader): boolean {
  const tagLength = reader.length();
  if (tagLength < 0) return false;
  const outerEnd = reader.end;
  reader.end = reader.pos + tagLength;
  let hasKey = false;
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    if (tag === TAG_KEY) hasKey = true;
    if (!reader.skipField(tag)) return false;
  }
  reader.end = outerEnd;
  return hasKey;
}
