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
/** Largest data blob of one record (the partition key is not counted, as in the emulators). */
export const MAX_RECORD_DATA_BYTES = 1024 * 1024;
/** Largest PutRecords request: data plus partition keys of every entry. */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
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

/** Checks one entry; `index` names it in the message. */
function checkEntry(entry: PutRecordsEntry, index: number): CheckedEntry {
  const keyLength = [...entry.partitionKey].length;
  if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_LENGTH) {
    throw validationError('PutRecords', `records[${index}].partitionKey must be 1 to ${MAX_PARTITION_KEY_LENGTH} characters long, got ${keyLength}`);
  }
  if (entry.data.byteLength > MAX_RECORD_DATA_BYTES) {
    throw validationError('PutRecords', `records[${index}].data must be at most ${MAX_RECORD_DATA_BYTES} bytes, got ${entry.data.byteLength}`);
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
  return { entry, hashKey, sizeBytes: entry.data.byteLength + Buffer.byteLength(entry.partitionKey, 'utf8') };
}

/**
 * Checks a whole PutRecords request the way Kinesis does.
 * @throws KinesisCallError `ValidationException` for the entry count, a partition key's length or a
 *   record's size; `InvalidArgumentException` for an explicit hash key out of range or a request over 5 MiB
 */
export function checkPutRecords(entries: readonly PutRecordsEntry[]): CheckedEntry[] {
  if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_REQUEST) {
    throw validationError('PutRecords', `records must hold 1 to ${MAX_ENTRIES_PER_REQUEST} entries, got ${entries.length}`);
  }
  const checked = entries.map(checkEntry);
  const total = checked.reduce((sum, c) => sum + c.sizeBytes, 0);
  if (total > MAX_REQUEST_BYTES) {
    throw invalidArgument('PutRecords', `records size ${total} bytes exceeds the ${MAX_REQUEST_BYTES}-byte (5 MiB) request limit`);
  }
  return checked;
}
