/**
 * Kinesis records → user records, as the KCL deaggregates (`AggregatorUtil.deaggregate`), except
 * that nothing decodable is lost unless asked for:
 *
 * - a record that is not a valid KPL aggregate (no magic, bad MD5, unparsable) is one user record
 *   with sub-sequence 0, whatever its hash key: plain records are never range-filtered;
 * - the user records of an aggregate share its sequence number and arrival time and are numbered
 *   by sub-sequence from 0;
 * - user records that route outside the shard's hash-key range are delivered by default. The KCL
 *   drops the whole aggregate instead, which is right only for a KPL that predicts shards and sends
 *   such records again after a reshard; an aggregator that mixes shards (`aws-kinesis-agg`, most
 *   Node producers) loses them for good. `'drop'` does as the KCL does;
 * - a user record whose explicit hash key is not a 128-bit decimal routes to no shard, so no
 *   producer sent it again: it is delivered. The KCL keeps the user records before it and loses it
 *   and the rest.
 *
 * Every aggregate with such user records is reported to the optional diagnostics callback, once.
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

/**
 * What becomes of an aggregate with user records outside the shard it was read from: `'deliver'`
 * every user record (at least once: after a reshard a KPL may have sent some of them again), or
 * `'drop'` the whole aggregate as the KCL does (the KPL's re-sent copy is then the only one, and a
 * producer that does not re-send loses them).
 */
export type OutOfRangeRecords = 'deliver' | 'drop';

/** An aggregate with user records that do not route to the shard it was read from. */
export type DeaggregationDiagnostic =
  /** User records route outside the shard: every user record was delivered, or none, as `outcome` says. */
  | {
      readonly _tag: 'AggregateOutOfRange';
      readonly shardId: string;
      readonly sequenceNumber: string;
      /** Index of the first user record found outside the range. */
      readonly subSequenceNumber: number;
      /** Its hash key. */
      readonly hashKey: bigint;
      /** User records outside the range. */
      readonly outOfRange: number;
      /** User records in the aggregate. */
      readonly userRecords: number;
      /** `'dropped'` with `outOfRangeRecords: 'drop'`: the whole aggregate. */
      readonly outcome: 'delivered' | 'dropped';
    }
  /**
   * User records carry an explicit hash key that is not a 128-bit decimal. They are delivered, with
   * it as it is, unless their aggregate is dropped whole (then also reported as `AggregateOutOfRange`).
   */
  | {
      readonly _tag: 'UnreadableExplicitHashKey';
      readonly shardId: string;
      readonly sequenceNumber: string;
      /** Index of the first such user record. */
      readonly subSequenceNumber: number;
      /** Its explicit hash key. */
      readonly explicitHashKey: string;
      /** User records of the aggregate with an unreadable explicit hash key. */
      readonly userRecords: number;
    };

/** The shard the records were read from. */
export interface DeaggregationShard {
  readonly shardId: string;
  /** The shard's hash-key range; without it no user record is out of range (the KCL's unknown-shard case). */
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

/** The hash key of `partitionKey` when it is outside `range`, or `undefined` when it is inside. */
function keyOutOfRange(partitionKey: string, range: WordRange): bigint | undefined {
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
 * @param shard the shard, and its hash-key range to tell user records outside it
 * @param onDiagnostic told about every aggregate with user records outside the range or with an
 *   unreadable explicit hash key, once per aggregate
 * @param outOfRangeRecords what becomes of an aggregate with user records outside the range
 * @returns the user records as consumer events; payloads are views into the records' data
 */
export function deaggregate(
  records: readonly KinesisRecord[],
  shard: DeaggregationShard,
  onDiagnostic?: (diagnostic: DeaggregationDiagnostic) => void,
  outOfRangeRecords: OutOfRangeRecords = 'deliver',
): ConsumerEvent[] {
  const { shardId, hashKeyRange } = shard;
  const drop = outOfRangeRecords === 'drop';
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
    let checkedKeyOutside: bigint | undefined;
    let outside = 0;
    let firstOutside = 0;
    let firstOutsideKey = 0n;
    let unreadable = 0;
    let firstUnreadable = 0;
    for (let sub = 0; sub < userRecords.length; sub++) {
      const user = userRecords[sub]!;
      const { partitionKey, explicitHashKey } = user;
      let hashKeyOutside: bigint | undefined;
      if (explicitHashKey !== undefined) {
        const explicit = parseExplicitHashKey(explicitHashKey);
        if (explicit === undefined) {
          if (unreadable++ === 0) firstUnreadable = sub;
        } else if (range !== undefined && (explicit < range.start || explicit > range.end)) {
          hashKeyOutside = explicit;
        }
      } else if (range !== undefined) {
        if (partitionKey !== checkedKey) {
          checkedKey = partitionKey;
          checkedKeyOutside = keyOutOfRange(partitionKey, range);
        }
        hashKeyOutside = checkedKeyOutside;
      }
      if (hashKeyOutside !== undefined && outside++ === 0) {
        firstOutside = sub;
        firstOutsideKey = hashKeyOutside;
      }
      // Once dropping, the rest is only counted.
      if (drop && outside > 0) continue;
      events.push(new UserRecordEvent(shardId, partitionKey, explicitHashKey, (position ??= new CompoundSequenceNumber(record.sequenceNumber, 0)).withSubSequence(sub), user.data, arrivalTime));
    }
    if (unreadable > 0) {
      onDiagnostic?.({
        _tag: 'UnreadableExplicitHashKey',
        shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: firstUnreadable,
        explicitHashKey: userRecords[firstUnreadable]!.explicitHashKey!,
        userRecords: unreadable,
      });
    }
    if (outside > 0) {
      if (drop) events.length = kept;
      onDiagnostic?.({
        _tag: 'AggregateOutOfRange',
        shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: firstOutside,
        hashKey: firstOutsideKey,
        outOfRange: outside,
        userRecords: userRecords.length,
        outcome: drop ? 'dropped' : 'delivered',
      });
    }
  }
  return events;
}

/** `value` as words when it is a hash key, so that word comparisons against it are exact. */
function boundWords(value: bigint): HashKeyWords | undefined {
  return value >= 0n && value <= MAX_HASH_KEY ? hashKeyToWords(value) : undefined;
}
