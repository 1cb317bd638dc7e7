import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { retry, VirtualTimeScheduler } from 'rxjs';
import {
  ExpiredIteratorError,
  KinesisCallError,
  KinesisThrottledError,
  StreamNotFoundError,
} from '../../../lib/model/errors';
import { awsKinesisPort, type AwsKinesisPortOptions } from '../../../lib/ports/aws/kinesis-adapter';
import { drive, inTurn, pending, serviceException, StubClient } from './sdk-stub';

const sdkShard = (id: number, parent?: string) => ({
  ShardId: `shardId-${String(id).padStart(12, '0')}`,
  ...(parent === undefined ? {} : { ParentShardId: parent }),
  HashKeyRange: { StartingHashKey: String(id * 10), EndingHashKey: String(id * 10 + 9) },
  SequenceNumberRange: { StartingSequenceNumber: `${id}00` },
});

const status = (StreamStatus: string) => () => Promise.resolve({ StreamDescriptionSummary: { StreamStatus } });

describe('awsKinesisPort', function () {
  let stub: StubClient;
  let scheduler: VirtualTimeScheduler;

  beforeEach(function () {
    stub = new StubClient();
    scheduler = new VirtualTimeScheduler();
  });

  const port = (options: AwsKinesisPortOptions = {}) =>
    awsKinesisPort(stub as unknown as KinesisClient, { scheduler, ...options });

  describe('listShards', function () {
    it('follows NextToken, sending only the token and page size after the first page', async function () {
      stub.on(
        ListShardsCommand,
        inTurn(
          () => ({ Shards: [sdkShard(0), sdkShard(1)], NextToken: 't1' }),
          () => ({ Shards: [sdkShard(2)], NextToken: 't2' }),
          () => ({ Shards: [sdkShard(3, 'shardId-000000000000')] }),
        ),
      );
      const { values } = await drive(port({ listShardsPageSize: 2 }).listShards('orders', { type: 'AT_LATEST' }), scheduler);
      expect(values).to.have.length(1);
      expect(values[0]!.map((s) => s.shardId)).to.deep.equal([0, 1, 2, 3].map((i) => `shardId-00000000000${i}`));
      expect(values[0]![3]).to.deep.equal({
        shardId: 'shardId-000000000003',
        parentShardId: 'shardId-000000000000',
        hashKeyRange: { startingHashKey: 30n, endingHashKey: 39n },
        startingSequenceNumber: '300',
      });
      expect(stub.inputsOf(ListShardsCommand)).to.deep.equal([
        { StreamName: 'orders', MaxResults: 2, ShardFilter: { Type: 'AT_LATEST' } },
        { NextToken: 't1', MaxResults: 2 },
        { NextToken: 't2', MaxResults: 2 },
      ]);
    });

    it('passes each kind of shard filter as the API spells it', async function () {
      stub.on(ListShardsCommand, () => ({ Shards: [] }));
      const at = new Date(1_700_000_000_000);
      for (const filter of [
        { type: 'AT_TRIM_HORIZON' as const },
        { type: 'AFTER_SHARD_ID' as const, shardId: 'shardId-000000000001' },
        { type: 'FROM_TIMESTAMP' as const, timestamp: at },
      ]) {
        await drive(port().listShards('orders', filter), scheduler);
      }
      expect(stub.inputsOf(ListShardsCommand).map((input) => input.ShardFilter)).to.deep.equal([
        { Type: 'AT_TRIM_HORIZON' },
        { Type: 'AFTER_SHARD_ID', ShardId: 'shardId-000000000001' },
        { Type: 'FROM_TIMESTAMP', Timestamp: at },
      ]);
    });

    it('reports a page without what the API promises as a KinesisCallError that is not retryable', async function () {
      stub.on(ListShardsCommand, () => ({ Shards: [{ ShardId: 'shardId-000000000000' }] }));
      const { error } = await drive(port().listShards('orders'), scheduler);
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).to.include({ code: 'MalformedResponse', retryable: false });
    });

    it('rejects a page size outside 1..10000 when the port is made', function () {
      for (const listShardsPageSize of [0, 10_001, 2.5]) {
        expect(() => port({ listShardsPageSize }), String(listShardsPageSize)).to.throw(RangeError, /listShardsPageSize/);
      }
    });
  });

  describe('getShardIterator', function () {
    it('asks for each starting position with its parameters', async function () {
      stub.on(GetShardIteratorCommand, () => ({ ShardIterator: 'it-1' }));
      const at = new Date(1_700_000_000_000);
      for (const position of [
        { type: 'TRIM_HORIZON' as const },
        { type: 'LATEST' as const },
        { type: 'AT_TIMESTAMP' as const, timestamp: at },
        { type: 'AT_SEQUENCE_NUMBER' as const, sequenceNumber: '42' },
        { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: '43' },
      ]) {
        expect((await drive(port().getShardIterator('orders', 'shardId-1', position), scheduler)).values).to.deep.equal(['it-1']);
      }
      expect(stub.inputsOf(GetShardIteratorCommand)).to.deep.equal([
        { StreamName: 'orders', ShardId: 'shardId-1', ShardIteratorType: 'TRIM_HORIZON' },
        { StreamName: 'orders', ShardId: 'shardId-1', ShardIteratorType: 'LATEST' },
        { StreamName: 'orders', ShardId: 'shardId-1', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: at },
        { StreamName: 'orders', ShardId: 'shardId-1', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: '42' },
        { StreamName: 'orders', ShardId: 'shardId-1', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: '43' },
      ]);
    });

    it('maps ResourceNotFoundException to StreamNotFoundError naming the stream', async function () {
      stub.on(GetShardIteratorCommand, () => {
        throw serviceException('ResourceNotFoundException', 400);
      });
      const { error } = await drive(port().getShardIterator('orders', 'shardId-1', { type: 'LATEST' }), scheduler);
      expect(error).to.be.instanceOf(StreamNotFoundError);
      expect(error).to.include({ streamName: 'orders', operation: 'GetShardIterator' });
    });
  });

  describe('getRecords', function () {
    it('maps records, and leaves out a null next iterator and an empty child list', async function () {
      const arrived = new Date(1_700_000_000_000);
      stub.on(GetRecordsCommand, () => ({
        Records: [{ SequenceNumber: '7', PartitionKey: 'pk', Data: Uint8Array.of(1, 2), ApproximateArrivalTimestamp: arrived }],
        NextShardIterator: null,
        MillisBehindLatest: 0,
        ChildShards: [],
      }));
      const { values } = await drive(port().getRecords('it-1', 100), scheduler);
      expect(values).to.deep.equal([
        {
          records: [{ sequenceNumber: '7', partitionKey: 'pk', data: Uint8Array.of(1, 2), approximateArrivalTimestamp: arrived }],
          millisBehindLatest: 0,
        },
      ]);
      expect(stub.inputsOf(GetRecordsCommand)).to.deep.equal([{ ShardIterator: 'it-1', Limit: 100 }]);
    });

    it('maps child shards with bigint hash ranges', async function () {
      stub.on(GetRecordsCommand, () => ({
        Records: [],
        ChildShards: [
          {
            ShardId: 'shardId-2',
            ParentShards: ['shardId-0'],
            HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
          },
        ],
      }));
      const { values } = await drive(port().getRecords('it-1', 100), scheduler);
      expect(values[0]).to.deep.equal({
        records: [],
        childShards: [
          { shardId: 'shardId-2', parentShards: ['shardId-0'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n } },
        ],
      });
    });

    it('maps the SDK ExpiredIteratorException to a retryable ExpiredIteratorError with the SDK error as cause', async function () {
      const sdkError = new ExpiredIteratorException({
        message: 'Iterator expired. The iterator was created at time X while right now it is Y',
        $metadata: { httpStatusCode: 400 },
      });
      stub.on(GetRecordsCommand, () => Promise.reject(sdkError));
      const { error } = await drive(port().getRecords('old-iterator', 100), scheduler);
      expect(error).to.be.instanceOf(ExpiredIteratorError);
      expect(error).to.include({ operation: 'GetRecords', retryable: true });
      expect((error as Error).cause).to.equal(sdkError);
    });

    it('maps throttling to KinesisThrottledError, and sends again when retried', async function () {
      stub.on(
        GetRecordsCommand,
        inTurn(
          () => Promise.reject(serviceException('ProvisionedThroughputExceededException', 400)),
          () => ({ Records: [], NextShardIterator: 'it-2' }),
        ),
      );
      const throttled: unknown[] = [];
      const { values } = await drive(
        port()
          .getRecords('it-1', 10)
          .pipe(
            retry({
              count: 1,
              delay: (error: unknown) => {
                throttled.push(error);
                return [0];
              },
            }),
          ),
        scheduler,
      );
      expect(throttled).to.have.length(1);
      expect(throttled[0]).to.be.instanceOf(KinesisThrottledError);
      expect(values).to.deep.equal([{ records: [], nextShardIterator: 'it-2' }]);
      expect(stub.inputsOf(GetRecordsCommand)).to.have.length(2);
    });

    it('sends nothing until subscribed, and aborts the request when unsubscribed before the answer', async function () {
      let signal: AbortSignal | undefined;
      stub.on(GetRecordsCommand, (_input, options) => {
        signal = options.abortSignal;
        return pending();
      });
      const records$ = port().getRecords('it-1', 10);
      expect(stub.send.callCount).to.equal(0);
      const subscription = records$.subscribe();
      expect(stub.send.callCount).to.equal(1);
      expect(signal?.aborted).to.equal(false);
      subscription.unsubscribe();
      expect(signal?.aborted).to.equal(true);
    });

    it('does not abort a request that has been answered', async function () {
      let signal: AbortSignal | undefined;
      stub.on(GetRecordsCommand, (_input, options) => {
        signal = options.abortSignal;
        return { Records: [], NextShardIterator: 'it-2' };
      });
      await drive(port().getRecords('it-1', 10), scheduler);
      expect(signal?.aborted).to.equal(false);
    });
  });

  describe('putRecords', function () {
    it('sends bytes, keys and explicit hash keys, and answers per entry in order', async function () {
      stub.on(PutRecordsCommand, () => ({
        FailedRecordCount: 1,
        Records: [
          { ShardId: 'shardId-1', SequenceNumber: '11' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-2' },
          { ShardId: 'shardId-2', SequenceNumber: '12' },
        ],
      }));
      const entries = [
        { partitionKey: 'a', data: Uint8Array.of(1) },
        { partitionKey: 'b', data: Uint8Array.of(2), explicitHashKey: '170141183460469231731687303715884105728' },
        { partitionKey: 'c', data: Uint8Array.of(3) },
      ];
      const { values } = await drive(port().putRecords('orders', entries), scheduler);
      expect(values).to.deep.equal([
        [
          { _tag: 'Put', shardId: 'shardId-1', sequenceNumber: '11' },
          { _tag: 'Failed', errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded for shard shardId-2' },
          { _tag: 'Put', shardId: 'shardId-2', sequenceNumber: '12' },
        ],
      ]);
      expect(stub.inputsOf(PutRecordsCommand)).to.deep.equal([
        {
          StreamName: 'orders',
          Records: [
            { Data: Uint8Array.of(1), PartitionKey: 'a', ExplicitHashKey: undefined },
            { Data: Uint8Array.of(2), PartitionKey: 'b', ExplicitHashKey: '170141183460469231731687303715884105728' },
            { Data: Uint8Array.of(3), PartitionKey: 'c', ExplicitHashKey: undefined },
          ],
        },
      ]);
    });

    it('answers an empty request with no results and no call', async function () {
      expect((await drive(port().putRecords('orders', []), scheduler)).values).to.deep.equal([[]]);
      expect(stub.send.callCount).to.equal(0);
    });

    it('reports an answer with a result count unlike the request as a KinesisCallError', async function () {
      stub.on(PutRecordsCommand, () => ({ Records: [{ ShardId: 'shardId-1', SequenceNumber: '1' }] }));
      const entries = [
        { partitionKey: 'a', data: Uint8Array.of(1) },
        { partitionKey: 'b', data: Uint8Array.of(2) },
      ];
      const { error } = await drive(port().putRecords('orders', entries), scheduler);
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).to.include({ code: 'MalformedResponse' });
    });
  });

  describe('admin calls', function () {
    it('completes createStream once DescribeStreamSummary says ACTIVE, polling at 50, then 100 ms', async function () {
      stub.on(CreateStreamCommand, () => ({}));
      stub.on(DescribeStreamSummaryCommand, inTurn(status('CREATING'), status('CREATING'), status('ACTIVE')));
      const outcome = await drive(port().createStream('orders', 4), scheduler);
      expect(outcome).to.deep.equal({ values: [undefined], elapsed: 150 });
      expect(stub.inputsOf(CreateStreamCommand)).to.deep.equal([{ StreamName: 'orders', ShardCount: 4 }]);
      expect(stub.inputsOf(DescribeStreamSummaryCommand)).to.have.length(3);
    });

    it('caps the pause between polls and gives up after the timeout with a KinesisCallError', async function () {
      stub.on(SplitShardCommand, () => ({}));
      stub.on(DescribeStreamSummaryCommand, status('UPDATING'));
      const split$ = port({ statusPolling: { initialDelayMillis: 100, maxDelayMillis: 400, timeoutMillis: 2_000 } }).splitShard(
        'orders',
        'shardId-0',
        2n ** 127n,
      );
      const { error, elapsed } = await drive(split$, scheduler);
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).to.include({ operation: 'SplitShard', code: 'Timeout', retryable: true });
      expect(elapsed).to.equal(2_000);
      // Polls at 0, 100, 300 (after 200), then every 400 ms: 700, 1100, 1500, 1900.
      expect(stub.inputsOf(DescribeStreamSummaryCommand)).to.have.length(7);
      expect(stub.inputsOf(SplitShardCommand)).to.deep.equal([
        { StreamName: 'orders', ShardToSplit: 'shardId-0', NewStartingHashKey: '170141183460469231731687303715884105728' },
      ]);
    });

    it('completes deleteStream once the stream is gone, and at once when it never existed', async function () {
      const notFound = () => Promise.reject(serviceException('ResourceNotFoundException', 400));
      stub.on(DeleteStreamCommand, inTurn(() => ({}), notFound));
      stub.on(DescribeStreamSummaryCommand, inTurn(status('DELETING'), notFound));
      expect(await drive(port().deleteStream('orders'), scheduler)).to.deep.equal({ values: [undefined], elapsed: 50 });
      expect(await drive(port().deleteStream('orders'), scheduler)).to.deep.equal({ values: [undefined], elapsed: 0 });
      expect(stub.inputsOf(DeleteStreamCommand)[0]).to.deep.equal({ StreamName: 'orders', EnforceConsumerDeletion: true });
    });
  });
});
