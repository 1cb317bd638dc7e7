/**
 * Kinesis records → user records, exactly as the KCL deaggregates (`AggregatorUtil.deaggregate`):
 *
 * - a record that is not a valid KPL aggregate (no magic, bad MD5, unparsable) is one user record
 *   with sub-sequence 0, whatever its hash key: plain records are never range-filtered;
 * - the user records of an aggregate share its sequence number and arrival time and are numbered
 *   by sub-sequence from 0;
 * - if any user record of an aggregate routes outside the shard's hash-key range, the whole
 *   aggregate is dropped (an aggregator that mixed shards produced it; the KCL loses it the same way);
 * - a user record with an unreadable explicit hash key ends its aggregate there: the user records
 *   before it are kept, it and the rest are dropped, as the KCL's exception handler does.
 *
 * Every drop is reported to the optional diagnostics callback.
 * @packageDocumentation
 */
import { decodeAggregatedRecord } from '../../kpl/aggregated-record';
import {
  MAX_HASH_KEY,
  compareHashKeyWords,
  hashKeyFromWords,
  hashKeyToWords,
  hashKeyWordsOf,
  parseExplicitHashKey,
  type HashKeyWords,
} from '../../kpl/hash-key';
import { UserRecordEvent, type ConsumerEvent } from '../../model/consumer-event';
import { CompoundSequenceNumber } from '../../model/sequence-number';
import type { HashKeyRange, KinesisRecord } from '../../ports/kinesis-port';

/** Something deaggregation dropped. */
export type DeaggregationDiagnostic =
  /** A user record routes outside the shard, so its whole aggregate was dropped. */
  | {
      readonly _tag: 'AggregateOutOfRange';
      readonly shardId: string;
      readonly sequenceNumber: string;
      /** Index of the first user record found outside the range. */
      readonly subSequenceNumber: number;
      readonly hashKey: bigint;
      /** User records in the dropped aggregate. */
      readonly userRecords: number;
    }
  /** A user record's explicit hash key is not a 128-bit decimal; it and the rest of its aggregate were dropped. */
  | {
      readonly _tag: 'AggregateTruncated';
      readonly shardId: string;
      readonly sequenceNumber: string;
      readonly subSequenceNumber: number;
      readonly explicitHashKey: string;
      /** User records dropped (the bad one and those after it). */
      readonly dropped: number;
    };

/** The shard the records were read from. */
export interface DeaggregationShard {
  readonly shardId: string;
  /** The shard's hash-key range; without it nothing is range-filtered (the KCL's unknown-shard case). */
  readonly hashKeyRange?: HashKeyRange;
}

/** A shard's hash-key range as words, to check partition keys against without a `bigint` each. */
interface WordRange {
  readonly start: bigint;
  readonly end: bigint;
  /** Absent for a bound that is not itself a hash key (a malformed range): then compared as a `bigint`. */
  readonly startWords: HashKeyWords | undefined;
  readonly endWords: HashKeyWords | undefined;
}

const keyWords = new Int32Array(4);

/** The hash key of a user record outside `range`, or `undefined` when it is inside. */
function outOfRange(partitionKey: string, explicit: bigint | undefined, range: WordRange): bigint | undefined {
  if (explicit !== undefined) return explicit < range.start || explicit > range.end ? explicit : undefined;
  hashKeyWordsOf(partitionKey, keyWords);
  const { startWords, endWords } = range;
  if (startWords === undefined || endWords === undefined) {
    const hashKey = hashKeyFromWords(keyWords);
    return hashKey < range.start || hashKey > range.end ? hashKey : undefined;
  }
  return compareHashKeyWords(keyWords, startWords) < 0 || compareHashKeyWords(keyWords, endWords) > 0 ? hashKeyFromWords(keyWords) : undefined;
}

/**
 * Deaggregates the records of one GetRecords page, keeping their order.
 * @param records Kinesis records of one shard, in sequence order
 * @param shard the shard, and its hash-key range for the KCL's filter
 * @param onDiagnostic told about every aggregate dropped or cut short
 * @returns the user records as consumer events; payloads are views into the records' data
 */
export function deaggregate(
  records: readonly KinesisRecord[],
  shard: DeaggregationShard,
  onDiagnostic?: (diagnostic: DeaggregationDiagnostic) => void,
): ConsumerEvent[] {
  const { shardId, hashKeyRange } = shard;
  // Skip the MD5 of every partition key when no range can exclude anything.
  const range: WordRange | undefined =
    hashKeyRange === undefined || (hashKeyRange.startingHashKey <= 0n && hashKeyRange.endingHashKey >= MAX_HASH_KEY)
      ? undefined
      : {
          start: hashKeyRange.startingHashKey,
          end: hashKeyRange.endingHashKey,
          startWords: boundWords(hashKeyRange.startingHashKey),
          endWords: boundWords(hashKeyRange.endingHashKey),
        };
  const events: ConsumerEvent[] = [];
  for (const record of records) {
    const userRecords = decodeAggregatedRecord(record.data);
    const arrivalTime = record.approximateArrivalTimestamp;
    if (userRecords === undefined) {
      events.push(new UserRecordEvent(shardId, record.partitionKey, undefined, new CompoundSequenceNumber(record.sequenceNumber, 0), record.data, arrivalTime));
      continue;
    }
    const kept = events.length;
    // Parsed at the first user record kept; the others share the parse.
    let position: CompoundSequenceNumber | undefined;
    // The key table is de-duplicated, so user records sharing a key share its string: a run of
    // them is checked once.
    let checkedKey: string | undefined;
    for (let sub = 0; sub < userRecords.length; sub++) {
      const user = userRecords[sub]!;
      const explicitHashKey = user.explicitHashKey;
      const explicit = explicitHashKey === undefined ? undefined : parseExplicitHashKey(explicitHashKey);
      if (explicitHashKey !== undefined && explicit === undefined) {
        onDiagnostic?.({
          _tag: 'AggregateTruncated',
          shardId,
          sequenceNumber: record.sequenceNumber,
          subSequenceNumber: sub,
          explicitHashKey,
          dropped: userRecords.length - sub,
        });
        break;
      }
      if (range !== undefined && (explicit !== undefined || user.partitionKey !== checkedKey)) {
        const hashKey = outOfRange(user.partitionKey, explicit, range);
        if (hashKey !== undefined) {
          events.length = kept;
          onDiagnostic?.({
            _tag: 'AggregateOutOfRange',
            shardId,
            sequenceNumber: record.sequenceNumber,
            subSequenceNumber: sub,
            hashKey,
            userRecords: userRecords.length,
          });
          break;
        }
        if (explicit === undefined) checkedKey = user.partitionKey;
      }
      events.push(new UserRecordEvent(shardId, user.partitionKey, explicitHashKey, (position ??= new CompoundSequenceNumber(record.sequenceNumber, 0)).withSubSequence(sub), user.data, arrivalTime));
    }
  }
  return events;
}

/** `value` as words when it is a hash key, so that word comparisons against it are exact. */
function boundWords(value: bigint): HashKeyWords | undefined {
  return value >= 0n && value <= MAX_HASH_KEY ? hashKeyToWords(value) : undefined;
}
