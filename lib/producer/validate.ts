/**
 * Checks a `ProducerEvent` the way the KPL's `addUserRecord` does and computes its hash key, so a
 * record Kinesis would refuse fails alone, at once, with a message naming what is wrong.
 * @packageDocumentation
 */
import { hash, randomUUID } from 'node:crypto';
import { parseExplicitHashKey } from '../kpl/hash-key';
import { InvalidRecordError } from '../model/errors';
import type { ProducerEvent } from '../model/producer-event';
import type { SendFailed } from '../model/send-result';
import { PendingRecord } from './pending-record';

/** Longest partition key Kinesis accepts, in Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** What `validateEvent` checks against. */
export interface ValidateOptions {
  /** `kpl.MaxUserRecordSize`: the largest payload accepted, in bytes. */
  readonly maxUserRecordSize: number;
}

const encoder = new TextEncoder();
// In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only:
// strings that have no UTF-8 form.
const LONE_SURROGATE = /\p{Cs}/u;
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The 128-bit hash key Kinesis routes a partition key by (MD5 of its UTF-8 bytes), as 32 hex digits.
 */
export function hashKeyHex(partitionKey: string): string {
  return hash('md5', partitionKey, 'hex');
}

/** A 128-bit hash key as 32 lowercase hex digits. */
export function toHashKeyHex(value: bigint): string {
  return value.toString(16).padStart(32, '0');
}

/** The decimal form of a hash key held as hex, as PutRecords' `ExplicitHashKey` wants it. */
export function hashKeyDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** Makes message ids unique across producers (a random prefix) and cheap per record (a counter). */
export function messageIds(): () => string {
  const prefix = `${randomUUID()}-`;
  let next = 0;
  return () => prefix + String(next++);
}

/** The `SendFailed` of an event refused before it entered the pipeline. */
export function refused(event: ProducerEvent, messageId: string, reason: Error): SendFailed {
  return { _tag: 'SendFailed', messageId, event, reason, attempts: [] };
}

function partitionKeyProblem(partitionKey: unknown): string | undefined {
  if (typeof partitionKey !== 'string') return `must be a string, got ${partitionKey === null ? 'null' : typeof partitionKey}`;
  if (partitionKey.length === 0) return 'must not be empty';
  if (partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
    // length counts UTF-16 units; only count code points when it could matter.
    const characters = [...partitionKey].length;
    if (characters > MAX_PARTITION_KEY_LENGTH) return `must be at most ${MAX_PARTITION_KEY_LENGTH} characters, got ${characters}`;
  }
  if (SURROGATE.test(partitionKey) && LONE_SURROGATE.test(partitionKey)) return 'must be valid Unicode (it holds a lone surrogate)';
  return undefined;
}

/**
 * Why Kinesis would refuse `event`, or `undefined` when it is fine: a partition key that is empty,
 * over 256 characters or not valid Unicode; a payload that is neither bytes nor text, or larger
 * than `maxUserRecordSize`; an explicit hash key that is not a decimal integer in [0, 2^128 − 1].
 * Allocates nothing for a valid event.
 */
export function checkEvent(event: ProducerEvent, options: ValidateOptions): InvalidRecordError | undefined {
  if (typeof event !== 'object' || event === null) {
    return new InvalidRecordError('data', `a ProducerEvent must be an object, got ${event === null ? 'null' : typeof event}`);
  }
  const { partitionKey, payload, explicitHashKey } = event;
  const keyProblem = partitionKeyProblem(partitionKey);
  if (keyProblem !== undefined) return new InvalidRecordError('partitionKey', keyProblem);

  let size: number;
  if (payload instanceof Uint8Array) size = payload.length;
  else if (typeof payload === 'string') size = Buffer.byteLength(payload, 'utf8');
  else return new InvalidRecordError('data', `payload must be a Uint8Array or a string, got ${payload === null ? 'null' : typeof payload}`);
  if (size > options.maxUserRecordSize) {
    return new InvalidRecordError('data', `must be at most ${options.maxUserRecordSize} bytes (MaxUserRecordSize), got ${size}`);
  }

  if (explicitHashKey !== undefined && (typeof explicitHashKey !== 'string' || parseExplicitHashKey(explicitHashKey) === undefined)) {
    return new InvalidRecordError('explicitHashKey', `must be a decimal integer between 0 and 2^128-1, got ${JSON.stringify(explicitHashKey)}`);
  }
  return undefined;
}

/** The pipeline's record for an event `checkEvent` accepted: its bytes and hash key. */
export function toPendingRecord(event: ProducerEvent, messageId: string): PendingRecord {
  const { partitionKey, payload, explicitHashKey } = event;
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const hashKey = explicitHashKey === undefined ? hashKeyHex(partitionKey) : toHashKeyHex(parseExplicitHashKey(explicitHashKey)!);
  return new PendingRecord(event, messageId, partitionKey, data, hashKey, explicitHashKey);
}

/** `checkEvent` then `toPendingRecord`: the record, or the event's `SendFailed`. */
export function validateEvent(event: ProducerEvent, options: ValidateOptions, messageId: string): PendingRecord | SendFailed {
  const problem = checkEvent(event, options);
  return problem === undefined ? toPendingRecord(event, messageId) : refused(event, messageId, problem);
}
