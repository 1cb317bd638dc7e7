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

/**
 * A valid user record on its way to Kinesis. Its identity and bytes are fixed; its timing and attempt
 * history change as it moves through the pipeline, which owns it until its result is out (so the
 * mutation is never visible to a caller). A class, not an object literal, because a million of these
 * are alive in a busy second and one hidden class keeps them small and fast.
 */
export class PendingRecord implements UserRecord {
  /** When it entered the pipeline (admitted), on the scheduler's clock. */
  arrivedAt = 0;
  /** `arrivedAt + RecordTtl`: after this it fails with `RecordExpiredError`. */
  expiresAt = 0;
  /** End of the last failed attempt; the next attempt's delay is measured from here. */
  lastEndedAt = -1;
  /** Failed attempts so far; `undefined` until the first failure, so first-try success allocates less. */
  failures: Attempt[] | undefined = undefined;
  /** Why the last attempt failed, reported as the cause when the record expires. */
  lastError: unknown = undefined;

  constructor(
    readonly event: ProducerEvent,
    readonly messageId: string,
    readonly partitionKey: string,
    readonly data: Uint8Array,
    /**
     * The 128-bit hash key as 32 lowercase hex digits. Fixed width makes string order equal to
     * numeric order, so routing compares strings instead of BigInts.
     */
    readonly hashKey: string,
    /** The caller's explicit hash key, as given (it goes into the aggregate's key table verbatim). */
    readonly explicitHashKey: string | undefined,
  ) {}

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
