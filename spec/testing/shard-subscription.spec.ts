/**
 * Enhanced fan-out in InMemoryKinesis: what no emulator does (shard end with child shards, the
 * five-minute end, takeover) and the pacing, all on virtual time.
 */
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../lib/model/errors';
import type { IteratorPosition, PutRecordsEntry, ShardSubscriptionEvent } from '../../lib/ports/kinesis-port';
import { InMemoryKinesis } from '../../lib/testing/in-memory-kinesis';
import {
  MAX_SUBSCRIPTION_EVENT_RECORDS,
  SUBSCRIPTION_EVENT_INTERVAL_MILLIS,
  SUBSCRIPTION_LIFETIME_MILLIS,
  SUBSCRIPTION_TAKEOVER_MILLIS,
} from '../../lib/testing/shard-subscription';
import { advance, errorOf, valueOf } from './virtual-time';

const T0 = Date.UTC(2024, 0, 1);
const SHARD = 'shardId-000000000000';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);
const entries = (...texts: string[]): PutRecordsEntry[] => texts.map((t) => ({ partitionKey: t, data: bytes(t) }));
const texts = (event: ShardSubscriptionEvent | undefined): string[] => (event?.records ?? []).map((r) => text(r.data));

type Subscription = AsyncIterator<ShardSubscriptionEvent, undefined>;
type Result = IteratorResult<ShardSubscriptionEvent, undefined>;

/** A promise whose outcome can be looked at without awaiting it. */
interface Tracked<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
  /** Virtual time when it settled. */
  at?: number;
}

describe('InMemoryKinesis enhanced fan-out', () => {
  let scheduler: VirtualTimeScheduler;
  let kinesis: InMemoryKinesis;
  let consumerArn: string;

  /** Lets settled promises run their callbacks. */
  async function ticks(): Promise<void> {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }

  function track<T>(promise: Promise<T>): Tracked<T> {
    const tracked: Tracked<T> = { settled: false };
    promise.then(
      (value) => Object.assign(tracked, { settled: true, value, at: scheduler.now() }),
      (error: unknown) => Object.assign(tracked, { settled: true, error, at: scheduler.now() }),
    );
    return tracked;
  }

  /**
   * Runs what is scheduled up to `at` (and not beyond), one moment at a time so that promises
   * settled at a moment are seen at that moment, leaving the clock at `at`.
   */
  async function runTo(at: number): Promise<void> {
    scheduler.schedule(() => undefined, at - scheduler.now());
    for (let next = scheduler.actions[0]; next !== undefined && next.delay <= at; next = scheduler.actions[0]) {
      scheduler.maxFrames = next.delay;
      scheduler.flush();
      await ticks();
    }
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
  }

  /** `next()` called now, answered by `at` at the latest. */
  async function nextBy(subscription: Subscription, at: number): Promise<Tracked<Result>> {
    const result = track(subscription.next());
    await runTo(at);
    return result;
  }

  function subscribe(position: IteratorPosition = { type: 'TRIM_HORIZON' }, arn = consumerArn, shardId = SHARD): Subscription {
    return kinesis.subscribeToShard(arn, shardId, position)[Symbol.asyncIterator]() as Subscription;
  }

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    advance(scheduler, T0);
    kinesis = new InMemoryKinesis({ scheduler, streams: { orders: 1 } });
    consumerArn = valueOf(scheduler, kinesis.ensureStreamConsumer('orders', 'app'));
  });

  describe('ensureStreamConsumer', () => {
    it('registers a consumer once per stream and name, answering a stable ARN', () => {
      expect(consumerArn).to.equal('arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/app:1');
      expect(valueOf(scheduler, kinesis.ensureStreamConsumer('orders', 'app'))).to.equal(consumerArn);
      expect(valueOf(scheduler, kinesis.ensureStreamConsumer('orders', 'other'))).to.equal(
        'arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/other:2',
      );
      expect(kinesis.calls.ensureStreamConsumer).to.equal(3);
    });

    it('answers after the latency, registering nothing until subscribed', () => {
      const slow = new InMemoryKinesis({ scheduler, latencyMillis: 40, streams: { orders: 1 } });
      const ensure$ = slow.ensureStreamConsumer('orders', 'app');
      expect(slow.calls.ensureStreamConsumer).to.equal(0);
      const start = scheduler.now();
      let at: number | undefined;
      ensure$.subscribe(() => (at = scheduler.now()));
      scheduler.flush();
      expect(at).to.equal(start + 40);
    });

    it('fails for a stream that does not exist and for a name Kinesis refuses', () => {
      expect(errorOf(scheduler, kinesis.ensureStreamConsumer('missing', 'app'))).to.be.instanceOf(StreamNotFoundError);
      const error = errorOf(scheduler, kinesis.ensureStreamConsumer('orders', 'no spaces'));
      expect(error).to.be.instanceOf(KinesisCallError).and.to.include({ code: 'ValidationException' });
    });

    it('forgets the consumers of a deleted stream: the old ARN is unknown, a new registration has a new one', async () => {
      valueOf(scheduler, kinesis.deleteStream('orders'));
      valueOf(scheduler, kinesis.createStream('orders', 1));
      const again = valueOf(scheduler, kinesis.ensureStreamConsumer('orders', 'app'));
      expect(again).not.to.equal(consumerArn);
      const old = await nextBy(subscribe(), scheduler.now());
      expect(old.error).to.be.instanceOf(StreamNotFoundError).and.to.include({ streamName: 'orders', operation: 'SubscribeToShard' });
      expect((await nextBy(subscribe({ type: 'TRIM_HORIZON' }, again), scheduler.now())).value?.done).to.equal(false);
    });

    it('lets a fault rule fail it', () => {
      kinesis.faults.add({ operation: 'ensureStreamConsumer', fault: 'throttle', times: 1 });
      expect(errorOf(scheduler, kinesis.ensureStreamConsumer('orders', 'app'))).to.be.instanceOf(KinesisThrottledError);
      expect(valueOf(scheduler, kinesis.ensureStreamConsumer('orders', 'app'))).to.equal(consumerArn);
    });
  });

  describe('subscribeToShard pacing', () => {
    it('answers the first next() at once with what is stored, then one event a second of virtual time', async () => {
      kinesis.appendRecords('orders', entries('a', 'b'));
      const subscription = subscribe();
      const first = await nextBy(subscription, T0);
      expect(first.at).to.equal(T0);
      expect(texts(first.value?.value)).to.deep.equal(['a', 'b']);

      const second = await nextBy(subscription, T0 + SUBSCRIPTION_EVENT_INTERVAL_MILLIS - 1);
      expect(second.settled, 'not before a second has passed').to.equal(false);
      await runTo(T0 + SUBSCRIPTION_EVENT_INTERVAL_MILLIS);
      expect(second.at).to.equal(T0 + 1000);
      expect(second.value?.value?.records).to.deep.equal([]);
    });

    it('answers after the latency of the fake', async () => {
      const slow = new InMemoryKinesis({ scheduler, latencyMillis: 30, streams: { orders: 1 } });
      const arn = valueOf(scheduler, slow.ensureStreamConsumer('orders', 'app'));
      const start = scheduler.now();
      const first = await nextBy(slow.subscribeToShard(arn, SHARD, { type: 'LATEST' })[Symbol.asyncIterator]() as Subscription, start + 29);
      expect(first.settled).to.equal(false);
      await runTo(start + 30);
      expect(first.value?.done).to.equal(false);
    });

    it('reads each event when its time comes: a record put while next() waits is in the event', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      const second = await nextBy(subscription, T0 + 500);
      kinesis.appendRecords('orders', entries('during'));
      await runTo(T0 + 1000);
      expect(texts(second.value?.value)).to.deep.equal(['during']);
    });

    it('reads nothing ahead of the reader: no work is scheduled between next() calls, and a late one is answered at once', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      expect(scheduler.actions, 'nothing scheduled while nobody asks').to.have.length(0);
      await runTo(T0 + 10_000);
      kinesis.appendRecords('orders', entries('x', 'y'));
      const late = await nextBy(subscription, T0 + 10_000);
      expect(late.at).to.equal(T0 + 10_000);
      expect(texts(late.value?.value)).to.deep.equal(['x', 'y']);
    });

    it('answers next() calls made together in order, a second apart', async () => {
      kinesis.appendRecords('orders', entries('a'));
      const subscription = subscribe();
      const calls = [track(subscription.next()), track(subscription.next()), track(subscription.next())];
      await runTo(T0 + 5000);
      expect(calls.map((c) => c.at)).to.deep.equal([T0, T0 + 1000, T0 + 2000]);
      expect(calls.map((c) => texts(c.value?.value))).to.deep.equal([['a'], [], []]);
    });

    it('carries the continuation in every event: before the first record, then at the last one sent', async () => {
      const [shard] = kinesis.shards('orders');
      const subscription = subscribe();
      const empty = await nextBy(subscription, T0);
      expect(empty.value?.value?.continuationSequenceNumber).to.equal(shard!.startingSequenceNumber);
      const [, last] = kinesis.appendRecords('orders', entries('a', 'b'));
      const withRecords = await nextBy(subscription, T0 + 1000);
      const lastSequence = last?._tag === 'Put' ? last.sequenceNumber : '';
      expect(withRecords.value?.value?.continuationSequenceNumber).to.equal(lastSequence);
      const after = await nextBy(subscription, T0 + 2000);
      expect(after.value?.value).to.deep.include({ records: [], continuationSequenceNumber: lastSequence, millisBehindLatest: 0 });
    });

    it(`caps an event at ${MAX_SUBSCRIPTION_EVENT_RECORDS} records, saying how far behind the rest is`, async () => {
      for (let i = 0; i < 21; i++) {
        kinesis.appendRecords('orders', entries(...Array.from({ length: 500 }, (_, j) => `r${i * 500 + j}`)));
      }
      await runTo(T0 + 250);
      const subscription = subscribe();
      const first = await nextBy(subscription, T0 + 250);
      expect(first.value?.value?.records).to.have.length(MAX_SUBSCRIPTION_EVENT_RECORDS);
      expect(first.value?.value?.millisBehindLatest).to.equal(250);
      const second = await nextBy(subscription, T0 + 1250);
      expect(texts(second.value?.value)).to.have.length(500);
      expect(texts(second.value?.value)[0]).to.equal(`r${MAX_SUBSCRIPTION_EVENT_RECORDS}`);
      expect(second.value?.value?.millisBehindLatest).to.equal(0);
    });

    it('starts where each starting position says', async () => {
      const results = kinesis.appendRecords('orders', entries('a', 'b', 'c'));
      const sequenceNumber = results[1]?._tag === 'Put' ? results[1].sequenceNumber : '';
      const positions: Array<[IteratorPosition, string[]]> = [
        [{ type: 'TRIM_HORIZON' }, ['a', 'b', 'c']],
        [{ type: 'LATEST' }, []],
        [{ type: 'AT_SEQUENCE_NUMBER', sequenceNumber }, ['b', 'c']],
        [{ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber }, ['c']],
        [{ type: 'AT_TIMESTAMP', timestamp: new Date(T0) }, ['a', 'b', 'c']],
      ];
      for (const [i, [position, expected]] of positions.entries()) {
        const arn = valueOf(scheduler, kinesis.ensureStreamConsumer('orders', `c${i}`));
        const first = await nextBy(subscribe(position, arn), scheduler.now());
        expect(texts(first.value?.value), position.type).to.deep.equal(expected);
      }
    });
  });

  describe('subscribeToShard lifetime', () => {
    it('ends five minutes of virtual time after it started, after one event a second', async () => {
      const subscription = subscribe();
      let events = 0;
      for (;;) {
        const result = await nextBy(subscription, scheduler.now() + SUBSCRIPTION_EVENT_INTERVAL_MILLIS);
        expect(result.settled).to.equal(true);
        if (result.value?.done === true) {
          expect(result.at).to.equal(T0 + SUBSCRIPTION_LIFETIME_MILLIS);
          break;
        }
        events += 1;
      }
      expect(events).to.equal(SUBSCRIPTION_LIFETIME_MILLIS / SUBSCRIPTION_EVENT_INTERVAL_MILLIS);
      expect((await nextBy(subscription, scheduler.now())).value?.done, 'stays ended').to.equal(true);
    });

    it('ends at once when next() comes after the five minutes', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      await runTo(T0 + SUBSCRIPTION_LIFETIME_MILLIS + 1);
      const late = await nextBy(subscription, scheduler.now());
      expect(late.value?.done).to.equal(true);
    });

    it('refuses a second subscription within five seconds with a retryable ResourceInUseException, and lets one after them take over', async () => {
      const first = subscribe();
      await nextBy(first, T0);
      await runTo(T0 + 4600);
      const waiting = await nextBy(first, T0 + 4600);
      expect(waiting.at, 'answered at once, more than a second after the last event').to.equal(T0 + 4600);
      const pending = await nextBy(first, T0 + 4600);
      expect(pending.settled).to.equal(false);

      await runTo(T0 + SUBSCRIPTION_TAKEOVER_MILLIS - 1);
      const refused = await nextBy(subscribe(), T0 + SUBSCRIPTION_TAKEOVER_MILLIS - 1);
      expect(refused.error).to.be.instanceOf(KinesisCallError);
      expect(refused.error).to.include({ operation: 'SubscribeToShard', code: 'ResourceInUseException', retryable: true });
      expect(pending.settled, 'the first goes on').to.equal(false);

      await runTo(T0 + SUBSCRIPTION_TAKEOVER_MILLIS);
      const second = subscribe();
      const taken = await nextBy(second, T0 + SUBSCRIPTION_TAKEOVER_MILLIS);
      expect(taken.value?.done).to.equal(false);
      expect(pending.value?.done, 'the first ends when taken over').to.equal(true);
      expect(pending.at).to.equal(T0 + SUBSCRIPTION_TAKEOVER_MILLIS);
      expect((await nextBy(first, scheduler.now())).value?.done).to.equal(true);

      await runTo(T0 + SUBSCRIPTION_TAKEOVER_MILLIS + 4999);
      const third = await nextBy(subscribe(), scheduler.now());
      expect(third.error, 'the second is now the one within five seconds').to.include({ code: 'ResourceInUseException' });
    });

    it('refuses nothing for another consumer or another shard', async () => {
      const twoShards = new InMemoryKinesis({ scheduler, streams: { orders: 2 } });
      const a = valueOf(scheduler, twoShards.ensureStreamConsumer('orders', 'a'));
      const b = valueOf(scheduler, twoShards.ensureStreamConsumer('orders', 'b'));
      const open = (arn: string, shardId: string) => nextBy(twoShards.subscribeToShard(arn, shardId, { type: 'LATEST' })[Symbol.asyncIterator]() as Subscription, scheduler.now());
      for (const result of [await open(a, SHARD), await open(b, SHARD), await open(a, 'shardId-000000000001')]) {
        expect(result.value?.done).to.equal(false);
      }
    });

    it('cancels on return(): a waiting next() ends at once, later ones too, nothing stays scheduled, and the shard is free', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      const pending = await nextBy(subscription, T0 + 100);
      expect(await subscription.return?.()).to.deep.equal({ done: true, value: undefined });
      await ticks();
      expect(pending.value?.done).to.equal(true);
      expect(pending.at).to.equal(T0 + 100);
      expect(scheduler.actions).to.have.length(0);
      expect((await nextBy(subscription, T0 + 100)).value?.done).to.equal(true);
      expect((await nextBy(subscribe(), T0 + 100)).value?.done, 'a new subscription at once').to.equal(false);
    });
  });

  describe('subscribeToShard at the end of a closed shard', () => {
    it('after a split, sends the last records with the child shards and no continuation, then ends', async () => {
      kinesis.appendRecords('orders', entries('a', 'b'));
      valueOf(scheduler, kinesis.splitShard('orders', SHARD, 2n ** 127n));
      const subscription = subscribe();
      const last = await nextBy(subscription, T0);
      const event = last.value?.value;
      expect(texts(event)).to.deep.equal(['a', 'b']);
      expect(event).not.to.have.property('continuationSequenceNumber');
      expect(event?.childShards?.map((c) => c.shardId)).to.deep.equal(['shardId-000000000001', 'shardId-000000000002']);
      expect(event?.childShards?.map((c) => c.parentShards)).to.deep.equal([[SHARD], [SHARD]]);
      expect(event?.childShards?.[1]?.hashKeyRange).to.deep.equal({ startingHashKey: 2n ** 127n, endingHashKey: 2n ** 128n - 1n });
      expect((await nextBy(subscription, T0 + 1000)).value?.done).to.equal(true);
    });

    it('reaches the end while open: records put before the split come first, the children after', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      kinesis.appendRecords('orders', entries('a'));
      const open = await nextBy(subscription, T0 + 1000);
      expect(open.value?.value?.continuationSequenceNumber).to.match(/^\d+$/);
      kinesis.appendRecords('orders', entries('b'));
      valueOf(scheduler, kinesis.splitShard('orders', SHARD, 2n ** 127n));
      const end = await nextBy(subscription, T0 + 2000);
      expect(texts(end.value?.value)).to.deep.equal(['b']);
      expect(end.value?.value?.childShards).to.have.length(2);
      expect(end.value?.value?.continuationSequenceNumber).to.equal(undefined);
    });

    it('after a merge, names the one child with both parents; LATEST on a closed shard goes straight to the end', async () => {
      const two = new InMemoryKinesis({ scheduler, streams: { pair: 2 } });
      const arn = valueOf(scheduler, two.ensureStreamConsumer('pair', 'app'));
      valueOf(scheduler, two.mergeShards('pair', SHARD, 'shardId-000000000001'));
      const end = await nextBy(two.subscribeToShard(arn, 'shardId-000000000001', { type: 'LATEST' })[Symbol.asyncIterator]() as Subscription, scheduler.now());
      expect(end.value?.value?.records).to.deep.equal([]);
      expect(end.value?.value?.childShards?.map((c) => [c.shardId, c.parentShards])).to.deep.equal([
        ['shardId-000000000002', [SHARD, 'shardId-000000000001']],
      ]);
    });
  });

  describe('subscribeToShard failures', () => {
    it('fails next() with StreamNotFoundError for an unknown consumer or shard', async () => {
      const unknownConsumer = await nextBy(subscribe({ type: 'LATEST' }, consumerArn.replace('/app:', '/nobody:')), T0);
      expect(unknownConsumer.error).to.be.instanceOf(StreamNotFoundError).and.to.include({ streamName: 'orders' });
      const unknownShard = await nextBy(subscribe({ type: 'LATEST' }, consumerArn, 'shardId-000000000009'), T0);
      expect(unknownShard.error).to.be.instanceOf(StreamNotFoundError);
      expect(kinesis.calls.subscribeToShard).to.equal(2);
    });

    it('fails next() with StreamNotFoundError when the stream is deleted under a subscription', async () => {
      const subscription = subscribe();
      await nextBy(subscription, T0);
      const pending = track(subscription.next());
      valueOf(scheduler, kinesis.deleteStream('orders'));
      await runTo(T0 + 1000);
      expect(pending.error).to.be.instanceOf(StreamNotFoundError);
      expect((await nextBy(subscription, T0 + 1000)).value?.done).to.equal(true);
    });

    it('refuses a starting sequence number from another shard with InvalidArgumentException', async () => {
      const refused = await nextBy(subscribe({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '12' }), T0);
      expect(refused.error).to.be.instanceOf(KinesisCallError).and.to.include({ code: 'InvalidArgumentException', operation: 'SubscribeToShard' });
    });

    it('makes the call on the first next(), not before', async () => {
      subscribe();
      await runTo(T0 + 1000);
      expect(kinesis.calls.subscribeToShard).to.equal(0);
    });

    it('injects faults on subscribeToShard: throttle, a lost response that keeps the shard busy, a hang until return()', async () => {
      kinesis.faults.add({ operation: 'subscribeToShard', fault: 'throttle', times: 1 });
      const throttled = await nextBy(subscribe(), T0);
      expect(throttled.error).to.be.instanceOf(KinesisThrottledError).and.to.include({ code: 'LimitExceededException' });

      kinesis.faults.add({ operation: 'subscribeToShard', fault: 'lostResponse', times: 1 });
      const lost = subscribe();
      const lostResult = await nextBy(lost, T0);
      expect(lostResult.error).to.be.instanceOf(KinesisCallError).and.to.include({ retryable: true });
      expect((await nextBy(lost, T0)).value?.done, 'a failed subscription ends').to.equal(true);
      const retried = await nextBy(subscribe(), T0 + 1000);
      expect(retried.error, 'the lost subscription still holds the shard').to.include({ code: 'ResourceInUseException' });
      await runTo(T0 + SUBSCRIPTION_TAKEOVER_MILLIS);
      expect((await nextBy(subscribe(), T0 + SUBSCRIPTION_TAKEOVER_MILLIS)).value?.done).to.equal(false);

      kinesis.faults.add({ operation: 'subscribeToShard', fault: 'hang', times: 1, when: (call) => call.shardId === SHARD && call.streamName === 'orders' });
      const hung = subscribe();
      const waiting = await nextBy(hung, T0 + 60_000);
      expect(waiting.settled).to.equal(false);
      await hung.return?.();
      await ticks();
      expect(waiting.value?.done).to.equal(true);
    });
  });
});
