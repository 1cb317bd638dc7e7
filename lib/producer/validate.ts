/**
 * Checks a `ProducerEvent` the way the KPL's `addUserRecord` does and computes its hash key, so a
 * record Kinesis would refuse fails alone, at once, with a message naming what is wrong.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { hashKeyWordsOf, parseExplicitHashKey } from '../kpl/hash-key';
import { InvalidRecordError } from '../model/errors';
import type { ProducerEvent } from '../model/producer-event';
import type { SendFailed } from '../model/send-result';
import { writeHashKey } from './hash-key';
import { partitionKeyBytes, PendingRecord, type Arrival, type MessageIdSource } from './pending-record';

/** Longest partition key Kinesis accepts, in Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** What `validateEvent` checks against. */
export interface ValidateOptions {
  /**
   * `kpl.MaxUserRecordSize`: the largest record accepted, in bytes of data plus partition key, as
   * Kinesis counts a record against the stream's maximum record size.
   */
  readonly maxUserRecordSize: number;
}

const encoder = new TextEncoder();
// In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only:
// strings that have no UTF-8 form.
const LONE_SURROGATE = /\p{Cs}/u;
const SURROGATE = /[\uD800-\uDFFF]/;

// Where the hash key of the record being built is written; `PendingRecord` copies it.
const hashKeyWords = new Int32Array(4);

/**
 * Message ids, unique across producers (a random prefix) and cheap per record: a record holds only
 * its number, made into text when its result is built, so that an id is not kept alive (and copied
 * by the garbage collector) for as long as the record is in flight.
 */
export class MessageIds implements MessageIdSource {
  private readonly prefix = `${randomUUID()}-`;
  private count = 0;

  /** A new id, as its number; `idOf` gives its text. */
  take(): number {
    return this.count++;
  }

  idOf(number: number): string {
    return this.prefix + number;
  }

  /** A new id, as text. */
  next(): string {
    return this.idOf(this.take());
  }
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
 * over 256 characters or not valid Unicode; a payload that is neither bytes nor text, or whose
 * bytes plus the partition key's are more than `maxUserRecordSize`; an explicit hash key that is not a decimal integer in [0, 2^128 − 1].
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
  const keyBytes = partitionKeyBytes(partitionKey);
  if (size + keyBytes > options.maxUserRecordSize) {
    return new InvalidRecordError(
      'data',
      `data plus partition key must be at most ${options.maxUserRecordSize} bytes (MaxUserRecordSize), got ${size} + ${keyBytes}`,
    );
  }

  if (explicitHashKey !== undefined && (typeof explicitHashKey !== 'string' || parseExplicitHashKey(explicitHashKey) === undefined)) {
    return new InvalidRecordError('explicitHashKey', `must be a decimal integer between 0 and 2^128-1, got ${JSON.stringify(explicitHashKey)}`);
  }
  return undefined;
}

/** The pipeline's record for an event `checkEvent` accepted: its bytes, hash key and message id. */
export function toPendingRecord(event: ProducerEvent, ids: MessageIdSource, idNumber: number): PendingRecord {
  const { partitionKey, payload, explicitHashKey } = event;
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  if (explicitHashKey === undefined) hashKeyWordsOf(partitionKey, hashKeyWords);
  else writeHashKey(parseExplicitHashKey(explicitHashKey)!, hashKeyWords);
  return new PendingRecord(event, ids, idNumber, partitionKey, data, hashKeyWords, explicitHashKey);
}

/** The records of a chunk of events `checkEvent` accepted, all admitted at `arrival`. */
export function toPendingRecords(events: readonly ProducerEvent[], ids: MessageIds, arrival: Arrival): PendingRecord[] {
  const records: PendingRecord[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const record = toPendingRecord(events[i]!, ids, ids.take());
    record.arrival = arrival;
    records[i] = record;
  }
  return records;
}

/** `checkEvent` then `toPendingRecord`: the record, or the event's `SendFailed`, with message id `messageId`. */
export function validateEvent(event: ProducerEvent, options: ValidateOptions, messageId: string): PendingRecord | SendFailed {
  const problem = checkEvent(event, options);
  return problem === undefined ? toPendingRecord(event, { idOf: () => messageId }, 0) : refused(event, messageId, problem);
}
