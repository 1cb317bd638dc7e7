import { expect } from 'chai';
import { KinesisCallError } from '../../../lib/model/errors';
import { toChildShard, toKinesisRecord, toPutRecordsResults, toShard } from '../../../lib/ports/aws/kinesis-shapes';

describe('Kinesis shapes', function () {
  it('maps a closed child of a merge with both parents and its ending sequence number', function () {
    expect(
      toShard({
        ShardId: 'shardId-000000000002',
        ParentShardId: 'shardId-000000000000',
        AdjacentParentShardId: 'shardId-000000000001',
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
        SequenceNumberRange: { StartingSequenceNumber: '100', EndingSequenceNumber: '200' },
      }),
    ).to.deep.equal({
      shardId: 'shardId-000000000002',
      parentShardId: 'shardId-000000000000',
      adjacentParentShardId: 'shardId-000000000001',
      hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n },
      startingSequenceNumber: '100',
      endingSequenceNumber: '200',
    });
  });

  it('keeps the encryption type of a record when the service gives one', function () {
    const arrived = new Date(0);
    expect(
      toKinesisRecord({ SequenceNumber: '1', PartitionKey: 'k', Data: Uint8Array.of(9), ApproximateArrivalTimestamp: arrived, EncryptionType: 'KMS' }),
    ).to.deep.equal({ sequenceNumber: '1', partitionKey: 'k', data: Uint8Array.of(9), approximateArrivalTimestamp: arrived, encryptionType: 'KMS' });
  });

  for (const [label, map, missing] of [
    ['a shard without a hash range', () => toShard({ ShardId: 's', HashKeyRange: undefined, SequenceNumberRange: { StartingSequenceNumber: '1' } }), 'HashKeyRange'],
    ['a shard without a starting sequence number', () => toShard({ ShardId: 's', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' }, SequenceNumberRange: { StartingSequenceNumber: undefined } }), 'StartingSequenceNumber'],
    ['a record without data', () => toKinesisRecord({ SequenceNumber: '1', PartitionKey: 'k', Data: undefined }), 'Data'],
    ['a child shard without parents', () => toChildShard({ ShardId: 'c', ParentShards: undefined, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' } }), 'ParentShards'],
    ['a put result with neither error nor shard', () => toPutRecordsResults([{ SequenceNumber: '1' }], 1), 'ShardId'],
  ] as Array<[string, () => unknown, string]>) {
    it(`reports ${label} as a KinesisCallError naming what is missing`, function () {
      expect(map).to.throw(KinesisCallError, missing).with.property('code', 'MalformedResponse');
    });
  }
});
