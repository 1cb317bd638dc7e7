/**
 * The producer's working form of one user record, from validation to its result, and the Kinesis
 * records and PutRecords requests built from them.
 * @internal
 * @packageDocumentation
 */
import type { UserRecord } from '../kpl/user-record';
import type { ProducerEvent } from '../model/producer-event';
import type { Attempt } from '../model/send-result';
import type { PutRecordsEntry } from '../ports/kinesis-port';
import { hashKeyHexOf, type HashKey } from './hash-key';

/** Makes a record's message id from its number. */
export interface MessageIdSource {
  idOf(number: number): string;
}

/**
 * When records entered the pipeline, on the scheduler's clock. One per admitted chunk, shared by its
 * records: clock readings are not small integers, so as fields of each record they would cost a
 * boxed number apiece.
 */
export interface Arrival {
  readonly at: number;
  /** `at + RecordTtl`: after this a record fails with `RecordExpiredError`. */
  readonly expiresAt: number;
}

/** The arrival of a record that has not entered a pipeline (as built in tests). */
const NOT_ARRIVED: Arrival = { at: 0, expiresAt: 0 };

/**
 * A valid user record on its way to Kinesis. Its identity and bytes are fixed; its timing and attempt
 * history change as it moves through the pipeline, which owns it until its result is out (so the
 * mutation is never visible to a caller). A class, not an object literal, because a million of these
 * are alive in a busy second and one hidden class keeps them small and fast.
 */
export class PendingRecord implements UserRecord, HashKey {
  /** When it entered the pipeline. */
  arrival: Arrival = NOT_ARRIVED;
  /** End of the last failed attempt, if any; the next attempt's delay is measured from here. */
  lastEndedAt: number | undefined = undefined;
  /** Failed attempts so far; `undefined` until the first failure, so first-try success allocates less. */
  failures: Attempt[] | undefined = undefined;
  /** Why the last attempt failed, reported as the cause when the record expires. */
  lastError: unknown = undefined;
  // The 128-bit hash key that routes the record (see `HashKey`): numbers rather than a string, so
  // that hashing and routing a record allocate nothing.
  readonly hash0: number;
  readonly hash1: number;
  readonly hash2: number;
  readonly hash3: number;

  /**
   * @param ids makes the message id from `idNumber` when a result needs it, so that it is not held
   *   as text while the record is in flight
   * @param hashKey the routing hash key's four words, most significant first (copied)
   */
  constructor(
    readonly event: ProducerEvent,
    private readonly ids: MessageIdSource,
    private readonly idNumber: number,
    readonly partitionKey: string,
    readonly data: Uint8Array,
    hashKey: Int32Array,
    /** The caller's explicit hash key, as given (it goes into the aggregate's key table verbatim). */
    readonly explicitHashKey: string | undefined,
  ) {
    this.hash0 = hashKey[0]!;
    this.hash1 = hashKey[1]!;
    this.hash2 = hashKey[2]!;
    this.hash3 = hashKey[3]!;
  }

  /** When it entered the pipeline, on the scheduler's clock. */
  get arrivedAt(): number {
    return this.arrival.at;
  }

  /** After this it fails with `RecordExpiredError`. */
  get expiresAt(): number {
    return this.arrival.expiresAt;
  }

  /** The id its result carries (made anew on each call). */
  get messageId(): string {
    return this.ids.idOf(this.idNumber);
  }

  /** The hash key as 32 lowercase hex digits (fixed width, so string order is numeric order). */
  get hashKey(): string {
    return hashKeyHexOf(this);
  }

  /** How many attempts failed so far. */
  get failedAttempts(): number {
    return this.failures?.length ?? 0;
  }
}

/** One Kinesis record: a KPL aggregate of user records (or a single one), encoded once. */
export interface Container {
  /** The shard the records were predicted to hash to. */
  readonly shardId: string;
  readonly records: readonly PendingRecord[];
  /** The PutRecords entry, as the KPL builds it. */
  readonly entry: PutRecordsEntry;
  /** What the entry counts against the PutRecords and shard byte limits: data plus partition key bytes. */
  readonly size: number;
}

/** One PutRecords request. */
export interface Batch {
  readonly containers: readonly Container[];
  /** Sum of the containers' sizes. */
  readonly size: number;
}

/** UTF-8 length of a partition key, without encoding it when it is ASCII (the usual case). */
export function partitionKeyBytes(partitionKey: string): number {
  const length = partitionKey.length;
  for (let i = 0; i < length; i++) {
    if (partitionKey.charCodeAt(i) > 0x7f) return Buffer.byteLength(partitionKey, 'utf8');
  }
  return length;
}

/** Number of user records in a PutRecords request. */
export function recordCount(batch: Batch): number {
  let count = 0;
  for (const container of batch.containers) count += container.records.length;
  return count;
}
