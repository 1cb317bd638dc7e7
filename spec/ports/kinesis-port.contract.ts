/**
 * What every Kinesis port must do, as observed on Kinesis itself (and on kinesis-local, which
 * copies it): run this suite against an implementation by handing it a factory.
 *
 * ```ts
 * kinesisPortContract('in-memory Kinesis', async () => ({ port, elapse }));
 * ```
 *
 * Where an emulator departs from AWS, the fixture's capabilities say so and the contract checks the
 * emulator's documented behaviour instead; nothing is skipped.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { defer, lastValueFrom, toArray, type Observable } from 'rxjs';
import { KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../lib/model/errors';
import type {
  GetRecordsOutput,
  IteratorPosition,
  KinesisAdminPort,
  KinesisFanOutPort,
  KinesisPort,
  KinesisRecord,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardSubscriptionEvent,
} from '../../lib/ports/kinesis-port';

/** Behaviours some emulators lack; each defaults to what AWS does. */
export interface KinesisPortCapabilities {
  /**
   * The GetRecords page that finishes a closed shard has no next iterator and lists the child
   * shards (AWS, kinesis-local). Without it (kinesalite) the iterator ends one call later and no
   * child shards are announced.
   */
  readonly childShardsAtShardEnd: boolean;
  /** ListShards applies a ShardFilter (AWS, kinesis-local). Without it (kinesalite) every shard is listed. */
  readonly shardFilter: boolean;
  /**
   * Stream consumers and SubscribeToShard (AWS, kinesis-local). Without them (kinesalite) the
   * service does not know the operations, and `ensureStreamConsumer` fails for good.
   */
  readonly enhancedFanOut: boolean;
}

/** The ports the contract checks. */
export type ContractKinesisPort = KinesisPort & KinesisAdminPort & KinesisFanOutPort;

/** A port under test and how to drive it. */
export interface KinesisPortFixture {
  readonly port: ContractKinesisPort;
  /**
   * Runs an Observable from the port to completion and resolves with its last value. A port on
   * virtual time flushes its scheduler here. Default: `lastValueFrom`. A subscription's `next()` is
   * run through it too (wrapped in `defer`), so that virtual time reaches the event.
   */
  readonly run?: <T>(observable$: Observable<T>) => Promise<T>;
  /** Lets `millis` pass on the port's clock, so records put before and after get different arrival times. */
  readonly elapse: (millis: number) => Promise<void>;
  /** Called after each test. */
  readonly dispose?: () => Promise<void>;
}

/** What AWS does. */
export const AWS_KINESIS_CAPABILITIES: KinesisPortCapabilities = { childShardsAtShardEnd: true, shardFilter: true, enhancedFanOut: true };

const MAX_HASH_KEY = 2n ** 128n - 1n;

/** The 128-bit hash key Kinesis derives from a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

function uniqueStreamName(): string {
  return `contract-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function entry(partitionKey: string, text: string, explicitHashKey?: bigint): PutRecordsEntry {
  return {
    partitionKey,
    data: new TextEncoder().encode(text),
    ...(explicitHashKey === undefined ? {} : { explicitHashKey: explicitHashKey.toString() }),
  };
}

const text = (record: KinesisRecord) => new TextDecoder().decode(record.data);

function byStartingHashKey(a: Shard, b: Shard): number {
  return a.hashKeyRange.startingHashKey < b.hashKeyRange.startingHashKey ? -1 : 1;
}

function shardFor(shards: readonly Shard[], hashKey: bigint): Shard {
  const open = shards.filter((s) => s.endingSequenceNumber === undefined);
  const shard = open.find((s) => s.hashKeyRange.startingHashKey <= hashKey && hashKey <= s.hashKeyRange.endingHashKey);
  if (shard === undefined) throw new Error(`no open shard holds hash key ${hashKey}`);
  return shard;
}

function expectPut(result: PutRecordsResultEntry | undefined): Extract<PutRecordsResultEntry, { _tag: 'Put' }> {
  expect(result?._tag, JSON.stringify(result)).to.equal('Put');
  return result as Extract<PutRecordsResultEntry, { _tag: 'Put' }>;
}

/**
 * Registers a mocha suite named `name` that checks `setup()`'s port against the behaviours of Kinesis.
 * `setup` is called before each test; each test creates its own streams.
 */
export function kinesisPortContract(
  name: string,
  setup: () => Promise<KinesisPortFixture>,
  capabilities: KinesisPortCapabilities = AWS_KINESIS_CAPABILITIES,
): void {
  describe(`${name}: the Kinesis port contract`, function () {
    let fixture: KinesisPortFixture;
    let port: ContractKinesisPort;
    let created: string[];
    let subscriptions: Array<AsyncIterator<ShardSubscriptionEvent>>;

    beforeEach(async function () {
      fixture = await setup();
      port = fixture.port;
      created = [];
      subscriptions = [];
    });

    afterEach(async function () {
      for (const subscription of subscriptions) await subscription.return?.();
      for (const stream of created) await run(port.deleteStream(stream));
      await fixture.dispose?.();
    });

    function run<T>(observable$: Observable<T>): Promise<T> {
      return (fixture.run ?? lastValueFrom)(observable$);
    }

    /** The single value of a port call, which must emit exactly once and complete. */
    async function once<T>(observable$: Observable<T>): Promise<T> {
      const values = await run(observable$.pipe(toArray()));
      expect(values, 'values emitted').to.have.length(1);
      return values[0] as T;
    }

    async function failure(observable$: Observable<unknown>): Promise<unknown> {
      try {
        await run(observable$.pipe(toArray()));
      } catch (error) {
        return error;
      }
      throw new Error('expected the call to fail');
    }

    async function newStream(shardCount: number): Promise<{ stream: string; shards: readonly Shard[] }> {
      const stream = uniqueStreamName();
      await once(port.createStream(stream, shardCount));
      created.push(stream);
      const shards = [...(await once(port.listShards(stream)))].sort(byStartingHashKey);
      return { stream, shards };
    }

    async function put(stream: string, entries: readonly PutRecordsEntry[]) {
      const results = await once(port.putRecords(stream, entries));
      return results.map(expectPut);
    }

    async function iterator(stream: string, shardId: string, position: IteratorPosition): Promise<string> {
      return once(port.getShardIterator(stream, shardId, position));
    }

    /** Every record from `shardIterator` up to the tip of an open shard (the first empty page). */
    async function readToTip(shardIterator: string, limit = 1000): Promise<KinesisRecord[]> {
      const records: KinesisRecord[] = [];
      let next: string | undefined = shardIterator;
      for (let page = 0; page < 20 && next !== undefined; page++) {
        const output: GetRecordsOutput = await once(port.getRecords(next, limit));
        records.push(...output.records);
        if (output.records.length === 0) return records;
        next = output.nextShardIterator;
      }
      return records;
    }

    describe('createStream and listShards', function () {
      it('must create the shards asked for, open, covering every hash key once', async function () {
        const { shards } = await newStream(3);
        expect(shards).to.have.length(3);
        expect(new Set(shards.map((s) => s.shardId)).size).to.equal(3);
        expect(shards[0]?.hashKeyRange.startingHashKey).to.equal(0n);
        expect(shards[2]?.hashKeyRange.endingHashKey).to.equal(MAX_HASH_KEY);
        for (let i = 1; i < shards.length; i++) {
          expect(shards[i]?.hashKeyRange.startingHashKey).to.equal((shards[i - 1]?.hashKeyRange.endingHashKey ?? -1n) + 1n);
        }
        for (const shard of shards) {
          expect(shard.endingSequenceNumber).to.equal(undefined);
          expect(shard.parentShardId).to.equal(undefined);
          expect(shard.startingSequenceNumber).to.match(/^\d+$/);
        }
      });

      it('must fail with StreamNotFoundError for a stream that does not exist', async function () {
        const stream = uniqueStreamName();
        const error = await failure(port.listShards(stream));
        expect(error).to.be.instanceOf(StreamNotFoundError);
        expect((error as StreamNotFoundError).streamName).to.equal(stream);
      });

      it('must delete a stream, and complete when deleting one that does not exist', async function () {
        const { stream } = await newStream(1);
        await once(port.deleteStream(stream));
        expect(await failure(port.listShards(stream))).to.be.instanceOf(StreamNotFoundError);
        await once(port.deleteStream(stream));
      });
    });

    describe('putRecords', function () {
      it('must route each record to the shard holding the MD5 of its partition key, answering in request order', async function () {
        const { stream, shards } = await newStream(4);
        const keys = Array.from({ length: 24 }, (_, i) => `key-${i}-${randomBytes(3).toString('hex')}`);
        const results = await put(stream, keys.map((key, i) => entry(key, `record ${i}`)));
        expect(results).to.have.length(keys.length);
        keys.forEach((key, i) => expect(results[i]?.shardId, key).to.equal(shardFor(shards, partitionKeyHash(key)).shardId));

        for (const shard of shards) {
          const records = await readToTip(await iterator(stream, shard.shardId, { type: 'TRIM_HORIZON' }));
          const expected = keys.flatMap((key, i) => (results[i]?.shardId === shard.shardId ? [{ key, text: `record ${i}` }] : []));
          expect(records.map((r) => ({ key: r.partitionKey, text: text(r) }))).to.deep.equal(expected);
          expect(records.map((r) => r.sequenceNumber)).to.deep.equal(
            results.filter((r) => r.shardId === shard.shardId).map((r) => r.sequenceNumber),
          );
        }
      });

      it('must route by the explicit hash key when one is given, at both ends of each range', async function () {
        const { stream, shards } = await newStream(3);
        const hashKeys = shards.flatMap((s) => [s.hashKeyRange.startingHashKey, s.hashKeyRange.endingHashKey]);
        const results = await put(stream, hashKeys.map((hashKey, i) => entry(`same-key`, `r${i}`, hashKey)));
        hashKeys.forEach((hashKey, i) => expect(results[i]?.shardId, String(hashKey)).to.equal(shardFor(shards, hashKey).shardId));
      });

      it('must give sequence numbers that increase within a shard, across calls', async function () {
        const { stream } = await newStream(1);
        const first = await put(stream, [entry('a', '1'), entry('b', '2'), entry('c', '3')]);
        const second = await put(stream, [entry('d', '4'), entry('e', '5')]);
        const sequence = [...first, ...second].map((r) => BigInt(r.sequenceNumber));
        for (let i = 1; i < sequence.length; i++) expect(sequence[i]! > sequence[i - 1]!, `#${i}`).to.equal(true);
      });

      it('must answer an empty request with no results', async function () {
        const { stream } = await newStream(1);
        expect(await once(port.putRecords(stream, []))).to.deep.equal([]);
      });

      it('must reject a partition key that is empty or longer than 256 characters with a non-retryable KinesisCallError', async function () {
        const { stream } = await newStream(1);
        expectPut((await put(stream, [entry('k'.repeat(256), 'longest allowed')]))[0]);
        for (const partitionKey of ['', 'k'.repeat(257)]) {
          const error = await failure(port.putRecords(stream, [entry(partitionKey, 'bad')]));
          expect(error, `partition key of ${partitionKey.length}`).to.be.instanceOf(KinesisCallError);
          expect(error).not.to.be.instanceOf(StreamNotFoundError);
          expect(error).not.to.be.instanceOf(KinesisThrottledError);
          expect((error as KinesisCallError).retryable).to.equal(false);
        }
      });

      it('must fail with StreamNotFoundError for a stream that does not exist', async function () {
        expect(await failure(port.putRecords(uniqueStreamName(), [entry('a', 'x')]))).to.be.instanceOf(StreamNotFoundError);
      });

      it('must put nothing until subscribed, and put again on each subscription', async function () {
        const { stream, shards } = await newStream(1);
        const put$ = port.putRecords(stream, [entry('a', 'again')]);
        const shardId = shards[0]!.shardId;
        expect(await readToTip(await iterator(stream, shardId, { type: 'TRIM_HORIZON' }))).to.have.length(0);
        const [first] = await once(put$);
        const [second] = await once(put$);
        expect(expectPut(first).sequenceNumber).not.to.equal(expectPut(second).sequenceNumber);
        expect(await readToTip(await iterator(stream, shardId, { type: 'TRIM_HORIZON' }))).to.have.length(2);
      });
    });

    describe('getShardIterator and getRecords', function () {
      /** A one-shard stream holding records r0..r4. */
      async function fiveRecords() {
        const { stream, shards } = await newStream(1);
        const shardId = shards[0]!.shardId;
        const results = await put(stream, [0, 1, 2, 3, 4].map((i) => entry(`pk${i}`, `r${i}`)));
        return { stream, shardId, sequenceNumbers: results.map((r) => r.sequenceNumber) };
      }

      it('must read from the oldest record at TRIM_HORIZON, with data, key and arrival time', async function () {
        const { stream, shardId, sequenceNumbers } = await fiveRecords();
        const records = await readToTip(await iterator(stream, shardId, { type: 'TRIM_HORIZON' }));
        expect(records.map(text)).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4']);
        expect(records.map((r) => r.partitionKey)).to.deep.equal(['pk0', 'pk1', 'pk2', 'pk3', 'pk4']);
        expect(records.map((r) => r.sequenceNumber)).to.deep.equal(sequenceNumbers);
        for (const record of records) {
          expect(record.data).to.be.instanceOf(Uint8Array);
          expect(record.approximateArrivalTimestamp).to.be.instanceOf(Date);
        }
      });

      it('must read only records put after the iterator was taken at LATEST', async function () {
        const { stream, shardId } = await fiveRecords();
        const latest = await iterator(stream, shardId, { type: 'LATEST' });
        await put(stream, [entry('later', 'r5')]);
        expect((await readToTip(latest)).map(text)).to.deep.equal(['r5']);
      });

      it('must start at the record named by AT_SEQUENCE_NUMBER and after it with AFTER_SEQUENCE_NUMBER', async function () {
        const { stream, shardId, sequenceNumbers } = await fiveRecords();
        const at = await iterator(stream, shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: sequenceNumbers[2]! });
        const after = await iterator(stream, shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sequenceNumbers[2]! });
        expect((await readToTip(at)).map(text)).to.deep.equal(['r2', 'r3', 'r4']);
        expect((await readToTip(after)).map(text)).to.deep.equal(['r3', 'r4']);
      });

      it('must start at the first record that arrived at or after the time given with AT_TIMESTAMP', async function () {
        const { stream, shardId } = await fiveRecords();
        await fixture.elapse(50);
        await put(stream, [entry('later', 'r5'), entry('later', 'r6')]);
        const all = await readToTip(await iterator(stream, shardId, { type: 'TRIM_HORIZON' }));
        const timestamp = all[5]!.approximateArrivalTimestamp;
        expect(all[4]!.approximateArrivalTimestamp.getTime()).to.be.lessThan(timestamp.getTime());
        const records = await readToTip(await iterator(stream, shardId, { type: 'AT_TIMESTAMP', timestamp }));
        expect(records.map(text)).to.deep.equal(['r5', 'r6']);
      });

      it('must return at most `limit` records a page and chain pages through nextShardIterator', async function () {
        const { stream, shardId } = await fiveRecords();
        let next: string | undefined = await iterator(stream, shardId, { type: 'TRIM_HORIZON' });
        const pages: string[][] = [];
        for (let i = 0; i < 4 && next !== undefined; i++) {
          const output: GetRecordsOutput = await once(port.getRecords(next, 2));
          pages.push(output.records.map(text));
          next = output.nextShardIterator;
        }
        expect(pages).to.deep.equal([['r0', 'r1'], ['r2', 'r3'], ['r4'], []]);
        expect(next, 'an open shard always has a next iterator').to.be.a('string');
      });

      it('must read the same page again from the same iterator', async function () {
        const { stream, shardId } = await fiveRecords();
        const start = await iterator(stream, shardId, { type: 'TRIM_HORIZON' });
        const first = await once(port.getRecords(start, 3));
        const again = await once(port.getRecords(start, 3));
        expect(again.records.map(text)).to.deep.equal(first.records.map(text));
      });

      it('must fail with StreamNotFoundError for an unknown stream or shard', async function () {
        const { stream, shards } = await newStream(1);
        const unknownStream = await failure(port.getShardIterator(uniqueStreamName(), shards[0]!.shardId, { type: 'LATEST' }));
        expect(unknownStream).to.be.instanceOf(StreamNotFoundError);
        const unknownShard = await failure(port.getShardIterator(stream, 'shardId-000000000999', { type: 'LATEST' }));
        expect(unknownShard).to.be.instanceOf(StreamNotFoundError);
      });
    });

    describe('subscribeToShard', function () {
      if (!capabilities.enhancedFanOut) {
        it('must fail ensureStreamConsumer with a KinesisCallError that is not retryable (no enhanced fan-out)', async function () {
          const { stream } = await newStream(1);
          const error = await failure(port.ensureStreamConsumer(stream, 'contract-consumer'));
          expect(error).to.be.instanceOf(KinesisCallError);
          expect(error).not.to.be.instanceOf(StreamNotFoundError);
          expect((error as KinesisCallError).retryable).to.equal(false);
        });
        return;
      }

      /** A subscription, returned after the test. */
      function subscribe(consumerArn: string, shardId: string, position: IteratorPosition): AsyncIterator<ShardSubscriptionEvent> {
        const subscription = port.subscribeToShard(consumerArn, shardId, position)[Symbol.asyncIterator]();
        subscriptions.push(subscription);
        return subscription;
      }

      async function nextResult(subscription: AsyncIterator<ShardSubscriptionEvent>): Promise<IteratorResult<ShardSubscriptionEvent>> {
        return run(defer(() => subscription.next()));
      }

      async function nextEvent(subscription: AsyncIterator<ShardSubscriptionEvent>): Promise<ShardSubscriptionEvent> {
        const result = await nextResult(subscription);
        expect(result.done, 'the subscription ended early').to.equal(false);
        return result.value as ShardSubscriptionEvent;
      }

      /** Events until `count` records have come (a few seconds' worth at most). */
      async function eventsUntil(subscription: AsyncIterator<ShardSubscriptionEvent>, count: number): Promise<ShardSubscriptionEvent[]> {
        const events: ShardSubscriptionEvent[] = [];
        for (let i = 0; i < 8 && events.flatMap((e) => e.records).length < count; i++) events.push(await nextEvent(subscription));
        return events;
      }

      async function nextFailure(subscription: AsyncIterator<ShardSubscriptionEvent>): Promise<unknown> {
        try {
          await nextResult(subscription);
        } catch (error) {
          return error;
        }
        throw new Error('expected next() to fail');
      }

      /** A one-shard stream holding records r0..r4, and a consumer on it. */
      async function fiveRecords(consumerName = 'contract-consumer') {
        const { stream, shards } = await newStream(1);
        const shardId = shards[0]!.shardId;
        const results = await put(stream, [0, 1, 2, 3, 4].map((i) => entry(`pk${i}`, `r${i}`)));
        const consumerArn = await once(port.ensureStreamConsumer(stream, consumerName));
        return { stream, shardId, consumerArn, sequenceNumbers: results.map((r) => r.sequenceNumber) };
      }

      it('must register a consumer once, answering the same ARN again, and another for another name', async function () {
        const { stream } = await newStream(1);
        const first = await once(port.ensureStreamConsumer(stream, 'contract-consumer'));
        expect(first).to.match(/^arn:aws:kinesis:/);
        expect(first).to.contain(`:stream/${stream}/consumer/contract-consumer:`);
        expect(await once(port.ensureStreamConsumer(stream, 'contract-consumer'))).to.equal(first);
        expect(await once(port.ensureStreamConsumer(stream, 'other-consumer'))).not.to.equal(first);
      });

      it('must fail ensureStreamConsumer with StreamNotFoundError for a stream that does not exist', async function () {
        expect(await failure(port.ensureStreamConsumer(uniqueStreamName(), 'contract-consumer'))).to.be.instanceOf(StreamNotFoundError);
      });

      it('must send the stored records from TRIM_HORIZON in order, with a continuation at or after the last one sent', async function () {
        const { shardId, consumerArn, sequenceNumbers } = await fiveRecords();
        const events = await eventsUntil(subscribe(consumerArn, shardId, { type: 'TRIM_HORIZON' }), 5);
        const records = events.flatMap((e) => e.records);
        expect(records.map(text)).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4']);
        expect(records.map((r) => r.partitionKey)).to.deep.equal(['pk0', 'pk1', 'pk2', 'pk3', 'pk4']);
        expect(records.map((r) => r.sequenceNumber)).to.deep.equal(sequenceNumbers);
        for (const record of records) expect(record.approximateArrivalTimestamp).to.be.instanceOf(Date);
        for (const event of events) {
          expect(event.continuationSequenceNumber, 'an open shard always has a continuation').to.match(/^\d+$/);
          expect(event.childShards).to.equal(undefined);
          const last = event.records[event.records.length - 1];
          if (last !== undefined) expect(BigInt(event.continuationSequenceNumber!) >= BigInt(last.sequenceNumber)).to.equal(true);
        }
      });

      it('must start at the record named by AT_SEQUENCE_NUMBER and after it with AFTER_SEQUENCE_NUMBER', async function () {
        const { stream, shardId, consumerArn, sequenceNumbers } = await fiveRecords();
        const at = await eventsUntil(subscribe(consumerArn, shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: sequenceNumbers[2]! }), 3);
        expect(at.flatMap((e) => e.records).map(text)).to.deep.equal(['r2', 'r3', 'r4']);
        // Another consumer: a second subscription of the same one within five seconds is refused.
        const other = await once(port.ensureStreamConsumer(stream, 'contract-after'));
        const after = await eventsUntil(subscribe(other, shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sequenceNumbers[2]! }), 2);
        expect(after.flatMap((e) => e.records).map(text)).to.deep.equal(['r3', 'r4']);
      });

      it('must resume AFTER_SEQUENCE_NUMBER of the continuation with only the records put since', async function () {
        const { stream, shardId, consumerArn } = await fiveRecords();
        const first = subscribe(consumerArn, shardId, { type: 'TRIM_HORIZON' });
        const events = await eventsUntil(first, 5);
        const continuation = events[events.length - 1]!.continuationSequenceNumber!;
        await first.return?.();
        await put(stream, [entry('later', 'r5'), entry('later', 'r6')]);
        const other = await once(port.ensureStreamConsumer(stream, 'contract-resume'));
        const resumed = await eventsUntil(subscribe(other, shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: continuation }), 2);
        expect(resumed.flatMap((e) => e.records).map(text)).to.deep.equal(['r5', 'r6']);
      });

      it('must reject next() with StreamNotFoundError naming the stream for a consumer that does not exist', async function () {
        const { stream, shardId, consumerArn } = await fiveRecords();
        const unknown = consumerArn.replace('/consumer/contract-consumer:', '/consumer/not-registered:');
        const error = await nextFailure(subscribe(unknown, shardId, { type: 'TRIM_HORIZON' }));
        expect(error).to.be.instanceOf(StreamNotFoundError);
        expect(error).to.include({ operation: 'SubscribeToShard', streamName: stream });
      });

      it('must end the iteration on return()', async function () {
        const { shardId, consumerArn } = await fiveRecords();
        const subscription = subscribe(consumerArn, shardId, { type: 'TRIM_HORIZON' });
        expect((await nextEvent(subscription)).continuationSequenceNumber).to.match(/^\d+$/);
        expect(await subscription.return?.()).to.deep.include({ done: true });
        expect((await nextResult(subscription)).done).to.equal(true);
      });
    });

    describe('resharding', function () {
      it('must split a shard into two children that cover its range and route new records to them', async function () {
        const { stream, shards } = await newStream(2);
        const parent = shards[0]!;
        const { startingHashKey, endingHashKey } = parent.hashKeyRange;
        const middle = (startingHashKey + endingHashKey + 1n) / 2n;
        await once(port.splitShard(stream, parent.shardId, middle));

        const after = await once(port.listShards(stream));
        expect(after).to.have.length(4);
        const closed = after.find((s) => s.shardId === parent.shardId);
        expect(closed?.endingSequenceNumber, 'parent closed').to.match(/^\d+$/);
        const children = after.filter((s) => s.parentShardId === parent.shardId).sort(byStartingHashKey);
        expect(children.map((c) => c.hashKeyRange)).to.deep.equal([
          { startingHashKey, endingHashKey: middle - 1n },
          { startingHashKey: middle, endingHashKey },
        ]);
        for (const child of children) expect(child.endingSequenceNumber).to.equal(undefined);
        expect(after.find((s) => s.shardId === shards[1]!.shardId)?.endingSequenceNumber, 'sibling open').to.equal(undefined);

        const [low, high] = await put(stream, [entry('x', 'low', startingHashKey), entry('x', 'high', endingHashKey)]);
        expect([low?.shardId, high?.shardId]).to.deep.equal(children.map((c) => c.shardId));
      });

      it(
        capabilities.childShardsAtShardEnd
          ? 'must end a closed shard with no next iterator and the child shards, after its last record'
          : 'must end a closed shard with no next iterator (one call after its last record, no child shards announced)',
        async function () {
          const { stream, shards } = await newStream(1);
          const parent = shards[0]!;
          await put(stream, [entry('a', 'before-1'), entry('b', 'before-2')]);
          const middle = 2n ** 127n;
          await once(port.splitShard(stream, parent.shardId, middle));

          let next: string | undefined = await iterator(stream, parent.shardId, { type: 'TRIM_HORIZON' });
          const pages: GetRecordsOutput[] = [];
          for (let i = 0; i < 10 && next !== undefined; i++) {
            const output: GetRecordsOutput = await once(port.getRecords(next, 1));
            pages.push(output);
            next = output.nextShardIterator;
          }
          expect(next, 'the closed shard ends').to.equal(undefined);
          expect(pages.flatMap((p) => p.records.map(text))).to.deep.equal(['before-1', 'before-2']);
          const last = pages[pages.length - 1]!;
          if (capabilities.childShardsAtShardEnd) {
            const children = [...(last.childShards ?? [])].sort((a, b) => (a.hashKeyRange.startingHashKey < b.hashKeyRange.startingHashKey ? -1 : 1));
            expect(children.map((c) => c.parentShards)).to.deep.equal([[parent.shardId], [parent.shardId]]);
            expect(children.map((c) => c.hashKeyRange)).to.deep.equal([
              { startingHashKey: 0n, endingHashKey: middle - 1n },
              { startingHashKey: middle, endingHashKey: MAX_HASH_KEY },
            ]);
            for (const page of pages.slice(0, -1)) expect(page.childShards, 'only the last page names children').to.equal(undefined);
          } else {
            expect(pages).to.have.length(3);
            expect(last.records).to.have.length(0);
            expect(last.childShards).to.equal(undefined);
          }
        },
      );

      it('must merge two adjacent shards into one child of both', async function () {
        const { stream, shards } = await newStream(2);
        const [left, right] = [shards[0]!, shards[1]!];
        await once(port.mergeShards(stream, left.shardId, right.shardId));
        const after = await once(port.listShards(stream));
        expect(after).to.have.length(3);
        for (const parent of [left, right]) {
          expect(after.find((s) => s.shardId === parent.shardId)?.endingSequenceNumber, parent.shardId).to.match(/^\d+$/);
        }
        const child = after.find((s) => s.parentShardId !== undefined);
        expect([child?.parentShardId, child?.adjacentParentShardId]).to.deep.equal([left.shardId, right.shardId]);
        expect(child?.hashKeyRange).to.deep.equal({ startingHashKey: 0n, endingHashKey: MAX_HASH_KEY });
      });

      it(
        capabilities.shardFilter
          ? 'must list only open shards with the AT_LATEST filter, and shards after one with AFTER_SHARD_ID'
          : 'must list every shard whatever the filter (no ShardFilter support)',
        async function () {
          const { stream, shards } = await newStream(2);
          await once(port.splitShard(stream, shards[0]!.shardId, 2n ** 64n));
          const all = await once(port.listShards(stream));
          const ids = (list: readonly Shard[]) => list.map((s) => s.shardId).sort();
          const atLatest = await once(port.listShards(stream, { type: 'AT_LATEST' }));
          const afterFirst = await once(port.listShards(stream, { type: 'AFTER_SHARD_ID', shardId: shards[0]!.shardId }));
          if (capabilities.shardFilter) {
            expect(ids(atLatest)).to.deep.equal(ids(all.filter((s) => s.endingSequenceNumber === undefined)));
            expect(ids(afterFirst)).to.deep.equal(ids(all.filter((s) => s.shardId > shards[0]!.shardId)));
          } else {
            expect(ids(atLatest)).to.deep.equal(ids(all));
            expect(ids(afterFirst)).to.deep.equal(ids(all));
          }
        },
      );
    });
  });
}
