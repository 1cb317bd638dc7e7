/**
 * The request checks Kinesis applies to PutRecords (and stream names) before it writes anything.
 * A request that fails one is refused whole, with a `KinesisCallError` that is not retryable.
 * @packageDocumentation
 */
import type { PutRecordsEntry } from '../ports/kinesis-port';
import { hashKeyOf } from '../kpl/hash-key';
import { parseApiHashKey } from './hash-keys';
import { invalidArgument, validationError } from './kinesis-errors';

/** Most entries in one PutRecords request. */
export const MAX_ENTRIES_PER_REQUEST = 500;
/** A stream's maximum record size (data plus partition key) unless raised: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** The most a stream's maximum record size can be raised to (`UpdateMaxRecordSize`): 10 MiB. */
export const LARGEST_MAX_RECORD_BYTES = 10 * 1024 * 1024;
/** Largest PutRecords request: data plus partition keys of every entry. */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
/** Largest PutRecords request to a stream whose maximum record size was raised above 1 MiB. */
export const MAX_LARGE_RECORD_REQUEST_BYTES = 10 * 1024 * 1024;
/** Longest partition key, in Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** An entry that passed the checks, with what routing and write limits need. */
export interface CheckedEntry {
  readonly entry: PutRecordsEntry;
  readonly hashKey: bigint;
  /** Data plus partition key bytes, which is what counts toward the per-shard write limit. */
  readonly sizeBytes: number;
}

/** @throws KinesisCallError (ValidationException) unless the name is 1–128 characters of `[a-zA-Z0-9_.-]` */
export function checkStreamName(operation: string, streamName: string): void {
  if (!STREAM_NAME.test(streamName)) {
    throw validationError(operation, `stream name ${JSON.stringify(streamName)} must be 1 to 128 characters of a-z, A-Z, 0-9, _ . -`);
  }
}

/** Checks one entry against the stream's maximum record size; `index` names it in the message. */
function checkEntry(entry: PutRecordsEntry, index: number, maxRecordBytes: number): CheckedEntry {
  const keyLength = [...entry.partitionKey].length;
  if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_LENGTH) {
    throw validationError('PutRecords', `records[${index}].partitionKey must be 1 to ${MAX_PARTITION_KEY_LENGTH} characters long, got ${keyLength}`);
  }
  const keyBytes = Buffer.byteLength(entry.partitionKey, 'utf8');
  if (entry.data.byteLength + keyBytes > maxRecordBytes) {
    throw validationError(
      'PutRecords',
      `records[${index}] data plus partition key must be at most the stream's maximum record size of ${maxRecordBytes} bytes, ` +
        `got ${entry.data.byteLength} + ${keyBytes}`,
    );
  }
  let hashKey: bigint;
  if (entry.explicitHashKey === undefined) {
    hashKey = hashKeyOf(entry.partitionKey);
  } else {
    const parsed = parseApiHashKey(entry.explicitHashKey);
    if (parsed === undefined) {
      throw invalidArgument(
        'PutRecords',
        `records[${index}].explicitHashKey must be a decimal in the range [0, 2^128-1], got ${JSON.stringify(entry.explicitHashKey)}`,
      );
    }
    hashKey = parsed;
  }
  return { entry, hashKey, sizeBytes: entry.data.byteLength + keyBytes };
}

/**
 * The maximum record size, in bytes, of a stream set to `kib` KiB (`MaxRecordSizeInKiB`).
 * @throws TypeError unless `kib` is an integer from 1024 to 10240
 */
export function maxRecordBytesOf(kib: number): number {
  const bytes = kib * 1024;
  if (!(Number.isInteger(kib) && bytes >= DEFAULT_MAX_RECORD_BYTES && bytes <= LARGEST_MAX_RECORD_BYTES)) {
    throw new TypeError(`maxRecordSizeKiB must be an integer from 1024 to 10240, got ${kib}`);
  }
  return bytes;
}

/**
 * Checks a whole PutRecords request the way Kinesis does, for a stream whose maximum record size
 * (data plus partition key) is `maxRecordBytes`. Requests may carry 5 MiB, or 10 MiB once the
 * stream takes records over 1 MiB.
 * @throws KinesisCallError `ValidationException` for the entry count, a partition key's length or a
 *   record's size; `InvalidArgumentException` for an explicit hash key out of range or a request over the limit
 */
export function checkPutRecords(entries: readonly PutRecordsEntry[], maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): CheckedEntry[] {
  if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_REQUEST) {
    throw validationError('PutRecords', `records must hold 1 to ${MAX_ENTRIES_PER_REQUEST} entries, got ${entries.length}`);
  }
  const checked = entries.map((entry, index) => checkEntry(entry, index, maxRecordBytes));
  const total = checked.reduce((sum, c) => sum + c.sizeBytes, 0);
  const limit = maxRecordBytes > DEFAULT_MAX_RECORD_BYTES ? MAX_LARGE_RECORD_REQUEST_BYTES : MAX_REQUEST_BYTES;
  if (total > limit) {
    throw invalidArgument('PutRecords', `records size ${total} bytes exceeds the ${limit}-byte (${limit / 1024 / 1024} MiB) request limit`);
  }
  return checked;
}
