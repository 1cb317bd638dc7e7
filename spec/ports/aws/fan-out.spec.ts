/**
 * The fan-out half of awsKinesisPort on a stubbed SDK client: the calls ensureStreamConsumer makes
 * and how it waits, and how a SubscribeToShard event stream becomes the port's events and errors,
 * including what no emulator sends (exception events, child shards at a shard's end).
 */
import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type KinesisClient,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../../lib/model/errors';
import { streamNameOfConsumerArn } from '../../../lib/ports/consumer-arn';
import { awsKinesisPort } from '../../../lib/ports/aws/kinesis-adapter';
import type { IteratorPosition, ShardSubscriptionEvent } from '../../../lib/ports/kinesis-port';
import { drive, inTurn, networkError, serviceException, StubClient } from './sdk-stub';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const CONSUMER_ARN = `${STREAM_ARN}/consumer/app:1700000000`;

const consumer = (ConsumerStatus: string) => () => ({
  ConsumerDescription: { ConsumerName: 'app', ConsumerARN: CONSUMER_ARN, ConsumerStatus, StreamARN: STREAM_ARN },
});

/** An exception as the SDK throws it from an event stream: modeled, no HTTP status. */
function eventStreamException(name: string, $fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} in the stream`), { name, $fault });
}

const sdkRecord = (sequence: string, data: string) => ({
  SequenceNumber: sequence,
  PartitionKey: `pk-${sequence}`,
  Data: new TextEncoder().encode(data),
  ApproximateArrivalTimestamp: new Date(1_700_000_000_000),
});

const sdkEvent = (event: Record<string, unknown>): SubscribeToShardEventStream =>
  ({ SubscribeToShardEvent: { Records: [], ContinuationSequenceNumber: '100', MillisBehindLatest: 0, ...event } }) as SubscribeToShardEventStream;

/**
 * An SDK event stream that yields `items` (throwing the errors among them), counting what was
 * pulled, and finishing with `afterwards` (an end, or a read that never answers).
 */
function eventStream(items: ReadonlyArray<SubscribeToShardEventStream | Error>, afterwards: 'end' | 'hang' = 'end') {
  const state = { pulled: 0, returned: false };
  const stream: AsyncIterable<SubscribeToShardEventStream> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const item = items[state.pulled];
        state.pulled += 1;
        if (item === undefined) {
          if (afterwards === 'hang') await new Promise<never>(() => undefined);
          return { done: true, value: undefined };
        }
        if (item instanceof Error) throw item;
        return { done: false, value: item };
      },
      return: async () => {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { stream, state };
}

describe('awsKinesisPort fan-out', function () {
  let stub: StubClient;
  let scheduler: VirtualTimeScheduler;

  beforeEach(function () {
    stub = new StubClient();
    scheduler = new VirtualTimeScheduler();
    stub.on(DescribeStreamSummaryCommand, () => ({ StreamDescriptionSummary: { StreamARN: STREAM_ARN, StreamStatus: 'ACTIVE' } }));
  });

  const port = () => awsKinesisPort(stub as unknown as KinesisClient, { scheduler });

  describe('ensureStreamConsumer', function () {
    it('answers the ARN of an ACTIVE consumer without registering it, describing it by stream ARN and name', async function () {
      stub.on(DescribeStreamConsumerCommand, consumer('ACTIVE'));
      expect(await drive(port().ensureStreamConsumer('orders', 'app'), scheduler)).to.deep.equal({ values: [CONSUMER_ARN], elapsed: 0 });
      expect(stub.inputsOf(DescribeStreamSummaryCommand)).to.deep.equal([{ StreamName: 'orders' }]);
      expect(stub.inputsOf(DescribeStreamConsumerCommand)).to.deep.equal([{ StreamARN: STREAM_ARN, ConsumerName: 'app' }]);
      expect(stub.inputsOf(RegisterStreamConsumerCommand)).to.deep.equal([]);
    });

    it('registers an unknown consumer, then polls until it is ACTIVE (at 50, then 100 ms)', async function () {
      stub.on(
        DescribeStreamConsumerCommand,
        inTurn(
          () => Promise.reject(serviceException('ResourceNotFoundException', 400)),
          consumer('CREATING'),
          consumer('CREATING'),
          consumer('ACTIVE'),
        ),
      );
      stub.on(RegisterStreamConsumerCommand, () => ({ Consumer: { ConsumerName: 'app', ConsumerARN: CONSUMER_ARN, ConsumerStatus: 'CREATING' } }));
      expect(await drive(port().ensureStreamConsumer('orders', 'app'), scheduler)).to.deep.equal({ values: [CONSUMER_ARN], elapsed: 150 });
      expect(stub.inputsOf(RegisterStreamConsumerCommand)).to.deep.equal([{ StreamARN: STREAM_ARN, ConsumerName: 'app' }]);
      expect(stub.inputsOf(DescribeStreamConsumerCommand)).to.have.length(4);
    });

    it('describes again when a concurrent registration wins (ResourceInUseException)', async function () {
      stub.on(
        DescribeStreamConsumerCommand,
        inTurn(() => Promise.reject(serviceException('ResourceNotFoundException', 400)), consumer('ACTIVE')),
      );
      stub.on(RegisterStreamConsumerCommand, () => Promise.reject(serviceException('ResourceInUseException', 400)));
      expect((await drive(port().ensureStreamConsumer('orders', 'app'), scheduler)).values).to.deep.equal([CONSUMER_ARN]);
      expect(stub.inputsOf(DescribeStreamConsumerCommand)).to.have.length(2);
    });

    it('fails with StreamNotFoundError for a stream that does not exist, registering nothing', async function () {
      stub.on(DescribeStreamSummaryCommand, () => Promise.reject(serviceException('ResourceNotFoundException', 400)));
      const { error } = await drive(port().ensureStreamConsumer('orders', 'app'), scheduler);
      expect(error).to.be.instanceOf(StreamNotFoundError).and.to.include({ streamName: 'orders' });
      expect(stub.inputsOf(RegisterStreamConsumerCommand)).to.deep.equal([]);
    });

    it('passes on a throttled registration as KinesisThrottledError', async function () {
      stub.on(DescribeStreamConsumerCommand, () => Promise.reject(serviceException('ResourceNotFoundException', 400)));
      stub.on(RegisterStreamConsumerCommand, () => Promise.reject(serviceException('LimitExceededException', 400)));
      const { error } = await drive(port().ensureStreamConsumer('orders', 'app'), scheduler);
      expect(error).to.be.instanceOf(KinesisThrottledError).and.to.include({ operation: 'RegisterStreamConsumer' });
    });

    it('gives up with a retryable Timeout once statusPolling.timeoutMillis has passed', async function () {
      stub.on(DescribeStreamConsumerCommand, consumer('CREATING'));
      const impatient = awsKinesisPort(stub as unknown as KinesisClient, { scheduler, statusPolling: { timeoutMillis: 1_000 } });
      const { error, elapsed } = await drive(impatient.ensureStreamConsumer('orders', 'app'), scheduler);
      expect(error).to.be.instanceOf(KinesisCallError).and.to.include({ code: 'Timeout', retryable: true });
      expect(elapsed).to.equal(1_000);
    });

    it('sends nothing until subscribed', function () {
      port().ensureStreamConsumer('orders', 'app');
      expect(stub.send.callCount).to.equal(0);
    });
  });

  describe('subscribeToShard', function () {
    function subscribe(position: IteratorPosition = { type: 'TRIM_HORIZON' }): AsyncIterator<ShardSubscriptionEvent> {
      return port().subscribeToShard(CONSUMER_ARN, 'shardId-000000000001', position)[Symbol.asyncIterator]();
    }

    async function rejection(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      throw new Error('expected a rejection');
    }

    it('maps each event: records, continuation, lag and, at a shard end, child shards with no continuation', async function () {
      const { stream } = eventStream([
        sdkEvent({ Records: [sdkRecord('101', 'a'), sdkRecord('102', 'b')], ContinuationSequenceNumber: '102', MillisBehindLatest: 7 }),
        sdkEvent({
          ContinuationSequenceNumber: null,
          ChildShards: [{ ShardId: 'shardId-000000000002', ParentShards: ['shardId-000000000001'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' } }],
        }),
      ]);
      stub.on(SubscribeToShardCommand, () => ({ EventStream: stream }));
      const subscription = subscribe();
      const first = await subscription.next();
      expect(first.done).to.equal(false);
      expect(first.value).to.deep.equal({
        records: [
          { sequenceNumber: '101', partitionKey: 'pk-101', data: new TextEncoder().encode('a'), approximateArrivalTimestamp: new Date(1_700_000_000_000) },
          { sequenceNumber: '102', partitionKey: 'pk-102', data: new TextEncoder().encode('b'), approximateArrivalTimestamp: new Date(1_700_000_000_000) },
        ],
        continuationSequenceNumber: '102',
        millisBehindLatest: 7,
      });
      const last = await subscription.next();
      expect(last.value).to.deep.equal({
        records: [],
        millisBehindLatest: 0,
        childShards: [{ shardId: 'shardId-000000000002', parentShards: ['shardId-000000000001'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 9n } }],
      });
      expect(await subscription.next()).to.deep.equal({ done: true, value: undefined });
    });

    it('sends one SubscribeToShard on the first next(), with the starting position as the API spells it', async function () {
      const positions: Array<[IteratorPosition, unknown]> = [
        [{ type: 'TRIM_HORIZON' }, { Type: 'TRIM_HORIZON' }],
        [{ type: 'LATEST' }, { Type: 'LATEST' }],
        [{ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '5' }, { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '5' }],
        [{ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '6' }, { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '6' }],
        [{ type: 'AT_TIMESTAMP', timestamp: new Date(1_000) }, { Type: 'AT_TIMESTAMP', Timestamp: new Date(1_000) }],
      ];
      stub.on(SubscribeToShardCommand, () => ({ EventStream: eventStream([sdkEvent({})]).stream }));
      for (const [i, [position]] of positions.entries()) {
        const subscription = subscribe(position);
        expect(stub.inputsOf(SubscribeToShardCommand), 'nothing sent before next()').to.have.length(i);
        await subscription.next();
      }
      expect(stub.inputsOf(SubscribeToShardCommand)).to.deep.equal(
        positions.map(([, StartingPosition]) => ({ ConsumerARN: CONSUMER_ARN, ShardId: 'shardId-000000000001', StartingPosition })),
      );
    });

    it('pulls one event from the SDK stream per next(), never ahead', async function () {
      const { stream, state } = eventStream([sdkEvent({}), sdkEvent({}), sdkEvent({})]);
      stub.on(SubscribeToShardCommand, () => ({ EventStream: stream }));
      const subscription = subscribe();
      await subscription.next();
      expect(state.pulled).to.equal(1);
      await subscription.next();
      expect(state.pulled).to.equal(2);
    });

    it('maps a second subscription within five seconds (ResourceInUseException) to a retryable KinesisCallError', async function () {
      stub.on(SubscribeToShardCommand, () => Promise.reject(eventStreamException('ResourceInUseException')));
      const error = await rejection(subscribe().next());
      expect(error).to.be.instanceOf(KinesisCallError);
      expect(error).not.to.be.instanceOf(KinesisThrottledError);
      expect(error).to.include({ operation: 'SubscribeToShard', code: 'ResourceInUseException', retryable: true });
    });

    it('maps ResourceNotFoundException to StreamNotFoundError naming the stream of the consumer ARN', async function () {
      stub.on(SubscribeToShardCommand, () => Promise.reject(serviceException('ResourceNotFoundException', 400)));
      const error = await rejection(subscribe().next());
      expect(error).to.be.instanceOf(StreamNotFoundError).and.to.include({ streamName: 'orders', operation: 'SubscribeToShard' });
    });

    for (const [label, failure, expected] of [
      ['InternalFailureException in the stream', eventStreamException('InternalFailureException', 'server'), { code: 'InternalFailureException', retryable: true }],
      ['KMSDisabledException in the stream', eventStreamException('KMSDisabledException'), { code: 'KMSDisabledException', retryable: false }],
      ['a connection reset mid-stream', networkError('ECONNRESET'), { code: 'ECONNRESET', retryable: true }],
    ] as const) {
      it(`fails next() on ${label}, then ends`, async function () {
        const { stream } = eventStream([sdkEvent({}), failure]);
        stub.on(SubscribeToShardCommand, () => ({ EventStream: stream }));
        const subscription = subscribe();
        await subscription.next();
        const error = await rejection(subscription.next());
        expect(error).to.be.instanceOf(KinesisCallError).and.to.include({ operation: 'SubscribeToShard', ...expected });
        expect((error as Error).cause).to.equal(failure);
        expect(await subscription.next()).to.deep.equal({ done: true, value: undefined });
      });
    }

    it('maps KMSThrottlingException in the stream to KinesisThrottledError', async function () {
      stub.on(SubscribeToShardCommand, () => ({ EventStream: eventStream([eventStreamException('KMSThrottlingException')]).stream }));
      expect(await rejection(subscribe().next())).to.be.instanceOf(KinesisThrottledError);
    });

    it('maps an exception yielded as a union member like a thrown one, and skips members it does not know', async function () {
      const { stream } = eventStream([
        { $unknown: ['NewEvent', {}] } as SubscribeToShardEventStream,
        { ResourceInUseException: { name: 'ResourceInUseException', message: 'busy' } } as unknown as SubscribeToShardEventStream,
      ]);
      stub.on(SubscribeToShardCommand, () => ({ EventStream: stream }));
      const error = await rejection(subscribe().next());
      expect(error).to.include({ code: 'ResourceInUseException', retryable: true });
    });

    it('fails with a MalformedResponse when the answer has no event stream, or an event no records', async function () {
      stub.on(SubscribeToShardCommand, inTurn(() => ({}), () => ({ EventStream: eventStream([sdkEvent({ Records: undefined })]).stream })));
      expect(await rejection(subscribe().next())).to.include({ code: 'MalformedResponse' });
      expect(await rejection(subscribe().next())).to.include({ code: 'MalformedResponse', operation: 'SubscribeToShard' });
    });

    it('ends when the service ends the stream, without aborting the finished request', async function () {
      let signal: AbortSignal | undefined;
      stub.on(SubscribeToShardCommand, (_input, options) => {
        signal = options.abortSignal;
        return { EventStream: eventStream([sdkEvent({})]).stream };
      });
      const subscription = subscribe();
      await subscription.next();
      expect(await subscription.next()).to.deep.equal({ done: true, value: undefined });
      expect(signal?.aborted).to.equal(false);
    });

    it('cancels on return(): aborts the request, closes the SDK stream, and a waiting next() ends at once', async function () {
      let signal: AbortSignal | undefined;
      const { stream } = eventStream([sdkEvent({})], 'hang');
      stub.on(SubscribeToShardCommand, (_input, options) => {
        signal = options.abortSignal;
        return { EventStream: stream };
      });
      const subscription = subscribe();
      await subscription.next();
      // This stream's read in flight never answers, not even to the abort.
      const waiting = subscription.next();
      expect(await subscription.return?.()).to.deep.equal({ done: true, value: undefined });
      expect(await waiting).to.deep.equal({ done: true, value: undefined });
      expect(signal?.aborted).to.equal(true);
      expect(await subscription.next()).to.deep.equal({ done: true, value: undefined });
    });

    it('closes the SDK stream on return() between reads', async function () {
      const { stream, state } = eventStream([sdkEvent({}), sdkEvent({})]);
      stub.on(SubscribeToShardCommand, () => ({ EventStream: stream }));
      const subscription = subscribe();
      await subscription.next();
      await subscription.return?.();
      await Promise.resolve();
      await Promise.resolve();
      expect(state.returned).to.equal(true);
      expect(state.pulled).to.equal(1);
    });

    it('cancels a request still waiting for its answer: next() ends instead of failing with the abort', async function () {
      stub.on(SubscribeToShardCommand, (_input, options) => {
        return new Promise((_resolve, reject) => {
          options.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
        });
      });
      const subscription = subscribe();
      const waiting = subscription.next();
      await subscription.return?.();
      expect(await waiting).to.deep.equal({ done: true, value: undefined });
    });
  });

  describe('streamNameOfConsumerArn', function () {
    it('reads the stream out of a consumer ARN, and gives nothing for anything else', function () {
      expect(streamNameOfConsumerArn(CONSUMER_ARN)).to.equal('orders');
      expect(streamNameOfConsumerArn('arn:aws-cn:kinesis:cn-north-1:1:stream/a.b-c/consumer/x:1')).to.equal('a.b-c');
      expect(streamNameOfConsumerArn('garbage')).to.equal('');
    });
  });
});
