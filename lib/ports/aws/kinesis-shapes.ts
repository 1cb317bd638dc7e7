/**
 * Translation between the Kinesis SDK's wire shapes and the port's: hash keys become bigints,
 * sequence numbers stay decimal strings, optional-everything SDK fields are checked once here.
 * @packageDocumentation
 */
import type {
  ChildShard as SdkChildShard,
  GetShardIteratorInput,
  HashKeyRange as SdkHashKeyRange,
  PutRecordsResultEntry as SdkPutRecordsResultEntry,
  _Record as SdkRecord,
  Shard as SdkShard,
  ShardFilter as SdkShardFilter,
  StartingPosition as SdkStartingPosition,
  SubscribeToShardEvent as SdkSubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import { KinesisCallError } from '../../model/errors';
import type {
  ChildShard,
  HashKeyRange,
  IteratorPosition,
  KinesisRecord,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
  ShardSubscriptionEvent,
} from '../kinesis-port';

/** A response that lacks what the API promises: not worth retrying. */
function malformed(operation: string, what: string): KinesisCallError {
  return new KinesisCallError(operation, 'MalformedResponse', `response has no ${what}`);
}

function present<T>(value: T | undefined, operation: string, what: string): T {
  if (value === undefined) throw malformed(operation, what);
  return value;
}

function toHashKeyRange(range: SdkHashKeyRange | undefined, operation: string): HashKeyRange {
  const { StartingHashKey, EndingHashKey } = present(range, operation, 'HashKeyRange');
  return {
    startingHashKey: BigInt(present(StartingHashKey, operation, 'StartingHashKey')),
    endingHashKey: BigInt(present(EndingHashKey, operation, 'EndingHashKey')),
  };
}

/** @internal */
export function toShard(shard: SdkShard): Shard {
  const operation = 'ListShards';
  const sequenceRange = present(shard.SequenceNumberRange, operation, 'SequenceNumberRange');
  return {
    shardId: present(shard.ShardId, operation, 'ShardId'),
    ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
    ...(shard.AdjacentParentShardId === undefined ? {} : { adjacentParentShardId: shard.AdjacentParentShardId }),
    hashKeyRange: toHashKeyRange(shard.HashKeyRange, operation),
    startingSequenceNumber: present(sequenceRange.StartingSequenceNumber, operation, 'StartingSequenceNumber'),
    ...(sequenceRange.EndingSequenceNumber === undefined ? {} : { endingSequenceNumber: sequenceRange.EndingSequenceNumber }),
  };
}

/**
 * @param operation the call whose answer held the child shard, named in a malformed-response error
 * @internal
 */
export function toChildShard(child: SdkChildShard, operation = 'GetRecords'): ChildShard {
  return {
    shardId: present(child.ShardId, operation, 'ChildShards[].ShardId'),
    parentShards: present(child.ParentShards, operation, 'ChildShards[].ParentShards'),
    hashKeyRange: toHashKeyRange(child.HashKeyRange, operation),
  };
}

/**
 * @param operation the call whose answer held the record, named in a malformed-response error
 * @internal
 */
export function toKinesisRecord(record: SdkRecord, operation = 'GetRecords'): KinesisRecord {
  return {
    sequenceNumber: present(record.SequenceNumber, operation, 'Records[].SequenceNumber'),
    partitionKey: present(record.PartitionKey, operation, 'Records[].PartitionKey'),
    data: present(record.Data, operation, 'Records[].Data'),
    approximateArrivalTimestamp: present(record.ApproximateArrivalTimestamp, operation, 'Records[].ApproximateArrivalTimestamp'),
    ...(record.EncryptionType === undefined ? {} : { encryptionType: record.EncryptionType }),
  };
}

/**
 * The per-entry outcomes of a PutRecords call, in request order.
 * @param expected how many entries were sent; the service answers one result per entry
 * @internal
 */
export function toPutRecordsResults(
  results: readonly SdkPutRecordsResultEntry[] | undefined,
  expected: number,
): readonly PutRecordsResultEntry[] {
  const operation = 'PutRecords';
  const entries = present(results, operation, 'Records');
  if (entries.length !== expected) {
    throw new KinesisCallError(operation, 'MalformedResponse', `${entries.length} results for ${expected} records`);
  }
  return entries.map((entry): PutRecordsResultEntry => {
    if (entry.ErrorCode !== undefined) {
      return { _tag: 'Failed', errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage ?? '' };
    }
    return {
      _tag: 'Put',
      shardId: present(entry.ShardId, operation, 'Records[].ShardId'),
      sequenceNumber: present(entry.SequenceNumber, operation, 'Records[].SequenceNumber'),
    };
  });
}

/** The GetShardIterator parameters for a starting position. @internal */
export function toIteratorParameters(
  position: IteratorPosition,
): Pick<GetShardIteratorInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> {
  switch (position.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { ShardIteratorType: position.type };
    case 'AT_TIMESTAMP':
      return { ShardIteratorType: position.type, Timestamp: position.timestamp };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return { ShardIteratorType: position.type, StartingSequenceNumber: position.sequenceNumber };
  }
}

/** The SubscribeToShard starting position for a position, as GetShardIterator would take it. @internal */
export function toStartingPosition(position: IteratorPosition): SdkStartingPosition {
  const { ShardIteratorType, StartingSequenceNumber, Timestamp } = toIteratorParameters(position);
  return {
    Type: ShardIteratorType,
    ...(StartingSequenceNumber === undefined ? {} : { SequenceNumber: StartingSequenceNumber }),
    ...(Timestamp === undefined ? {} : { Timestamp }),
  };
}

/**
 * One SubscribeToShard event. A null continuation (the shard is closed and read to its end) is
 * left out, as are empty child shards, so the port's optional fields mean one thing each.
 * @internal
 */
export function toShardSubscriptionEvent(event: SdkSubscribeToShardEvent): ShardSubscriptionEvent {
  const operation = 'SubscribeToShard';
  const records = present(event.Records, operation, 'Records');
  const childShards = event.ChildShards ?? [];
  return {
    records: records.map((record) => toKinesisRecord(record, operation)),
    ...(event.ContinuationSequenceNumber == null ? {} : { continuationSequenceNumber: event.ContinuationSequenceNumber }),
    ...(event.MillisBehindLatest == null ? {} : { millisBehindLatest: event.MillisBehindLatest }),
    ...(childShards.length === 0 ? {} : { childShards: childShards.map((child) => toChildShard(child, operation)) }),
  };
}

/** @internal */
export function toSdkShardFilter(filter: ShardFilter): SdkShardFilter {
  switch (filter.type) {
    case 'AT_LATEST':
    case 'AT_TRIM_HORIZON':
      return { Type: filter.type };
    case 'AFTER_SHARD_ID':
      return { Type: filter.type, ShardId: filter.shardId };
    case 'AT_TIMESTAMP':
    case 'FROM_TIMESTAMP':
      return { Type: filter.type, Timestamp: filter.timestamp };
  }
}
