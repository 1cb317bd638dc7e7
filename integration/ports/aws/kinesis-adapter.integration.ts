/**
 * awsKinesisPort against real Kinesis emulators: the port contract on kinesis-local and on
 * kinesalite, then what only an SDK-backed port has (error mapping of real answers, ListShards
 * paging, the waits of the admin calls, binary data, SubscribeToShard event streams).
 */
import { DescribeStreamSummaryCommand, type ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import * as sinon from 'sinon';
import { KinesisCallError, StreamNotFoundError } from '../../../lib/model/errors';
import { kinesisClient } from '../../../lib/ports/aws/clients';
import { awsKinesisPort } from '../../../lib/ports/aws/kinesis-adapter';
import type { KinesisAdminPort, KinesisFanOutPort, KinesisPort, ShardSubscriptionEvent } from '../../../lib/ports/kinesis-port';
import { startKinesalite, type RunningEmulator } from '../../../localstack/emulators';
import { kinesisPortContract } from '../../../spec/ports/kinesis-port.contract';
import { destroyClient, kinesalite, kinesisLocal, testKinesisClient, uniqueName } from '../../support/emulators';

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

let kinesisLocalClient: KinesisClient | undefined;
let kinesaliteClient: KinesisClient | undefined;

kinesisPortContract('awsKinesisPort on kinesis-local', async () => {
  kinesisLocalClient ??= testKinesisClient((await kinesisLocal()).endpoint, { maxAttempts: 1 });
  return { port: awsKinesisPort(kinesisLocalClient), elapse: sleep };
});

kinesisPortContract(
  'awsKinesisPort on kinesalite',
  async () => {
    kinesaliteClient ??= testKinesisClient((await kinesalite()).endpoint, { maxAttempts: 1 });
    return { port: awsKinesisPort(kinesaliteClient), elapse: sleep };
  },
  { childShardsAtShardEnd: false, shardFilter: false, enhancedFanOut: false },
);

async function failure(observable$: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(observable$.pipe(toArray()));
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('awsKinesisPort on emulators', function () {
  describe('on kinesis-local', function () {
    let client: KinesisClient;
    let port: KinesisPort & KinesisAdminPort & KinesisFanOutPort;
    let stream: string;

    beforeEach(async function () {
      client = testKinesisClient((await kinesisLocal()).endpoint, { maxAttempts: 1 });
      port = awsKinesisPort(client);
      stream = uniqueName('adapter');
    });

    afterEach(async function () {
      await lastValueFrom(port.deleteStream(stream));
      destroyClient(client);
    });

    it('follows every ListShards page, sending only the NextToken after the first', async function () {
      await lastValueFrom(port.createStream(stream, 5));
      const send = sinon.spy(client, 'send');
      const shards = await lastValueFrom(awsKinesisPort(client, { listShardsPageSize: 2 }).listShards(stream));
      expect(shards.map((s) => s.shardId)).to.deep.equal([0, 1, 2, 3, 4].map((i) => `shardId-00000000000${i}`));
      const inputs = send.getCalls().map((call) => (call.args[0] as ListShardsCommand).input);
      expect(inputs).to.have.length(3);
      expect(inputs[0]).to.include({ StreamName: stream, MaxResults: 2 });
      for (const input of inputs.slice(1)) {
        expect(input.NextToken).to.be.a('string');
        expect(input.StreamName).to.equal(undefined);
        expect(input.ShardFilter).to.equal(undefined);
      }
    });

    it('applies a ShardFilter across pages', async function () {
      await lastValueFrom(port.createStream(stream, 3));
      const [first] = await lastValueFrom(port.listShards(stream));
      await lastValueFrom(port.splitShard(stream, first!.shardId, 2n ** 100n));
      const open = await lastValueFrom(awsKinesisPort(client, { listShardsPageSize: 1 }).listShards(stream, { type: 'AT_LATEST' }));
      expect(open.map((s) => s.shardId).sort()).to.deep.equal(['shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003', 'shardId-000000000004']);
    });

    it('maps an unknown stream to StreamNotFoundError, keeping the SDK error as cause', async function () {
      const error = await failure(port.getShardIterator(stream, 'shardId-000000000000', { type: 'TRIM_HORIZON' }));
      expect(error).to.be.instanceOf(StreamNotFoundError);
      expect(error).to.include({ operation: 'GetShardIterator', streamName: stream, code: 'ResourceNotFoundException' });
      expect((error as Error).cause).to.have.property('name', 'ResourceNotFoundException');
    });

    it('maps its HTTP 500 for a malformed iterator to a retryable KinesisCallError', async function () {
      const error = await failure(port.getRecords('not-an-iterator', 10));
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).to.include({ operation: 'GetRecords', retryable: true });
      expect((error as Error).cause).to.have.nested.property('$metadata.httpStatusCode', 500);
    });

    it('returns binary data byte for byte, and how far behind the tip a page is', async function () {
      await lastValueFrom(port.createStream(stream, 1));
      const data = Uint8Array.from({ length: 256 }, (_, i) => i);
      await lastValueFrom(port.putRecords(stream, [{ partitionKey: 'bytes', data }]));
      const [shard] = await lastValueFrom(port.listShards(stream));
      const iterator = await lastValueFrom(port.getShardIterator(stream, shard!.shardId, { type: 'TRIM_HORIZON' }));
      const page = await lastValueFrom(port.getRecords(iterator, 10));
      expect(page.records.map((r) => Array.from(r.data))).to.deep.equal([Array.from(data)]);
      expect(page.millisBehindLatest).to.be.a('number');
    });

    it('subscribes over HTTP/1.1, with binary data byte for byte in the events', async function () {
      await lastValueFrom(port.createStream(stream, 1));
      const data = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      await lastValueFrom(port.putRecords(stream, [{ partitionKey: 'bytes', data }]));
      const consumerArn = await lastValueFrom(port.ensureStreamConsumer(stream, 'adapter'));
      const subscription = port.subscribeToShard(consumerArn, 'shardId-000000000000', { type: 'TRIM_HORIZON' })[Symbol.asyncIterator]();
      try {
        const first = await subscription.next();
        expect(first.done).to.equal(false);
        expect((first.value as ShardSubscriptionEvent).records.map((r) => Array.from(r.data))).to.deep.equal([Array.from(data)]);
      } finally {
        await subscription.return?.();
      }
    });

    it('refuses a second subscription to a shard within five seconds with a retryable ResourceInUseException', async function () {
      await lastValueFrom(port.createStream(stream, 1));
      const consumerArn = await lastValueFrom(port.ensureStreamConsumer(stream, 'adapter'));
      const subscribe = () => port.subscribeToShard(consumerArn, 'shardId-000000000000', { type: 'LATEST' })[Symbol.asyncIterator]();
      const [first, second] = [subscribe(), subscribe()];
      try {
        expect((await first.next()).done).to.equal(false);
        const error: unknown = await second.next().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(KinesisCallError);
        expect(error).to.include({ operation: 'SubscribeToShard', code: 'ResourceInUseException', retryable: true });
      } finally {
        await first.return?.();
        await second.return?.();
      }
    });
  });

  describe('on kinesalite', function () {
    it('maps InvalidArgumentException for a malformed iterator to a KinesisCallError that is not retryable', async function () {
      const port = awsKinesisPort(testKinesisClient((await kinesalite()).endpoint, { maxAttempts: 1 }));
      const error = await failure(port.getRecords('not-an-iterator', 10));
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).to.include({ operation: 'GetRecords', code: 'InvalidArgumentException', retryable: false });
    });

    it('needs the HTTP/1.1 handler: the SDK default (HTTP/2) fails with a retryable KinesisCallError', async function () {
      const { endpoint } = await kinesalite();
      const http2 = awsKinesisPort(testKinesisClient(endpoint, { http1: false, maxAttempts: 1 }));
      const error = await failure(http2.listShards(uniqueName('h2')));
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).not.to.be.instanceOf(StreamNotFoundError);
      expect(error).to.have.property('retryable', true);
      const http1 = awsKinesisPort(testKinesisClient(endpoint, { http1: true, maxAttempts: 1 }));
      expect(await failure(http1.listShards(uniqueName('h1')))).to.be.instanceOf(StreamNotFoundError);
    });

    describe('with streams that take time to settle', function () {
      let slow: RunningEmulator;
      let client: KinesisClient;
      let port: KinesisPort & KinesisAdminPort;

      before(async function () {
        slow = await startKinesalite({ createStreamMs: 300, updateStreamMs: 300, deleteStreamMs: 300 });
        client = testKinesisClient(slow.endpoint, { maxAttempts: 1 });
        port = awsKinesisPort(client, { statusPolling: { initialDelayMillis: 20, maxDelayMillis: 100 } });
      });

      after(async function () {
        destroyClient(client);
        await slow.stop();
      });

      const status = async (stream: string) =>
        (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus;

      it('completes createStream, splitShard and mergeShards only once the stream is ACTIVE again', async function () {
        const stream = uniqueName('slow');
        await lastValueFrom(port.createStream(stream, 2));
        expect(await status(stream)).to.equal('ACTIVE');
        const [left, right] = await lastValueFrom(port.listShards(stream));
        await lastValueFrom(port.mergeShards(stream, left!.shardId, right!.shardId));
        expect(await status(stream)).to.equal('ACTIVE');
        const merged = (await lastValueFrom(port.listShards(stream))).find((s) => s.endingSequenceNumber === undefined);
        await lastValueFrom(port.splitShard(stream, merged!.shardId, 2n ** 127n));
        expect(await status(stream)).to.equal('ACTIVE');
        await lastValueFrom(port.deleteStream(stream));
        expect(await failure(port.listShards(stream))).to.be.instanceOf(StreamNotFoundError);
      });

      it('fails the wait with a KinesisCallError once statusPolling.timeoutMillis has passed', async function () {
        const impatient = awsKinesisPort(client, { statusPolling: { initialDelayMillis: 20, timeoutMillis: 100 } });
        const stream = uniqueName('impatient');
        const error = await failure(impatient.createStream(stream, 1));
        expect(error).to.be.instanceOf(KinesisCallError);
        expect(error).to.include({ operation: 'CreateStream', code: 'Timeout', retryable: true });
        await lastValueFrom(port.deleteStream(stream));
      });
    });
  });

  describe('with region, credentials and endpoint from the environment', function () {
    const variables = ['AWS_ENDPOINT_URL_KINESIS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    let saved: Array<string | undefined>;

    beforeEach(function () {
      saved = variables.map((name) => process.env[name]);
    });

    afterEach(function () {
      variables.forEach((name, i) => {
        const value = saved[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    });

    it('lets a client built with no endpoint, region or credentials reach AWS_ENDPOINT_URL_KINESIS', async function () {
      const { endpoint } = await kinesisLocal();
      const stream = uniqueName('env');
      const explicit = awsKinesisPort(testKinesisClient(endpoint, { maxAttempts: 1 }));
      await lastValueFrom(explicit.createStream(stream, 1));
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_KINESIS: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      });
      const fromEnvironment = kinesisClient({ http1: true, maxAttempts: 1 });
      try {
        expect(await lastValueFrom(awsKinesisPort(fromEnvironment).listShards(stream))).to.have.length(1);
      } finally {
        fromEnvironment.destroy();
      }
      await lastValueFrom(explicit.deleteStream(stream));
    });
  });
});
