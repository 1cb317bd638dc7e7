/**
 * Reading a shard as GetShardIterator and GetRecords (and SubscribeToShard) do: where each iterator
 * type starts, and one page of records with `millisBehindLatest`, the next iterator, or, at the end
 * of a closed shard, its children.
 * @packageDocumentation
 */
import type { ChildShard, GetRecordsOutput, IteratorPosition, KinesisRecord } from '../ports/kinesis-port';
import { invalidArgument } from './kinesis-errors';
import { parseSequenceNumber, shardOrdinalOf } from './sequence-numbers';
import { encodeShardIterator } from './shard-iterator';
import { recordView, type ShardState } from './shard-state';
import type { StreamState } from './stream-state';

/** Most records one GetRecords call may ask for. */
export const MAX_GET_RECORDS_LIMIT = 10000;
/** Most data one GetRecords page carries (at least one record is always returned). */
const MAX_GET_RECORDS_BYTES = 10 * 1024 * 1024;

/**
 * Where an iterator of `position` starts, as an index into the shard's records.
 * @throws KinesisCallError InvalidArgumentException for a timestamp in the future, or a sequence
 *   number that is malformed or not from this shard
 */
export function startIndex(
  stream: StreamState,
  shard: ShardState,
  position: IteratorPosition,
  now: number,
  operation = 'GetShardIterator',
): number {
  switch (position.type) {
    case 'TRIM_HORIZON':
      return 0;
    case 'LATEST':
      return shard.records.length;
    case 'AT_TIMESTAMP': {
      const at = position.timestamp.getTime();
      if (Number.isNaN(at)) throw invalidArgument(operation, 'Timestamp is not a valid date.');
      if (at > now) {
        throw invalidArgument(operation, `The timestampInMillis parameter ${at} cannot be greater than the currentTimestampInMillis ${now}.`);
      }
      return shard.indexOfTime(at);
    }
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      const sequence = parseSequenceNumber(position.sequenceNumber);
      const ending = shard.endingSequence;
      if (
        sequence === undefined ||
        shardOrdinalOf(sequence) !== shard.ordinal ||
        sequence < shard.startingSequence ||
        (ending !== undefined && sequence > ending)
      ) {
        throw invalidArgument(
          operation,
          `StartingSequenceNumber ${position.sequenceNumber} used in ${operation} on shard ${shard.shardId} in stream ${stream.name} is invalid because it did not come from this stream.`,
        );
      }
      return shard.indexOfSequence(sequence, position.type === 'AFTER_SEQUENCE_NUMBER');
    }
  }
}

/** What one read of a shard returned, and where the next read starts. */
export interface RecordsRead {
  readonly records: KinesisRecord[];
  /** Index of the first record not returned. */
  readonly next: number;
  /** How far the first record not returned is behind `now`; 0 at the tip. */
  readonly millisBehindLatest: number;
  /** Set when the shard is closed and this read reached its end: the children that follow it. */
  readonly childShards?: ChildShard[];
}

/**
 * Up to `limit` records and `maxBytes` (at least one record, whatever its size) from index `from`,
 * as GetRecords pages and SubscribeToShard events carry them.
 */
export function readRecords(
  stream: StreamState,
  shard: ShardState,
  from: number,
  limits: { readonly limit: number; readonly maxBytes: number; readonly operation: string },
  now: number,
): RecordsRead {
  const records: KinesisRecord[] = [];
  let bytes = 0;
  let next = from;
  for (; next < shard.records.length && records.length < limits.limit; next += 1) {
    const record = shard.records[next];
    if (record === undefined) break;
    const size = record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
    if (records.length > 0 && bytes + size > limits.maxBytes) break;
    bytes += size;
    records.push(recordView(record));
  }
  const unread = shard.records[next];
  const millisBehindLatest = unread === undefined ? 0 : Math.max(0, now - unread.arrivalMillis);
  if (!shard.isOpen && unread === undefined) {
    const childShards = shard.childShardIds.map((id) => stream.requireShard(limits.operation, id).describeAsChild());
    return { records, next, millisBehindLatest, childShards };
  }
  return { records, next, millisBehindLatest };
}

/**
 * One GetRecords page from index `from`: up to `limit` records and 10 MiB. The last page of a
 * closed shard has no next iterator and names the children instead.
 */
export function readPage(stream: StreamState, shard: ShardState, from: number, limit: number, now: number): GetRecordsOutput {
  const { records, next, millisBehindLatest, childShards } = readRecords(
    stream,
    shard,
    from,
    { limit, maxBytes: MAX_GET_RECORDS_BYTES, operation: 'GetRecords' },
    now,
  );
  if (childShards !== undefined) return { records, millisBehindLatest, childShards };
  const nextShardIterator = encodeShardIterator({
    streamName: stream.name,
    incarnation: stream.incarnation,
    shardId: shard.shardId,
    position: next,
    issuedAtMillis: now,
  });
  return { records, nextShardIterator, millisBehindLatest };
}
