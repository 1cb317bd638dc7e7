import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { concatMap, map, timer, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ExpiredIteratorError, KinesisCallError, StreamNotFoundError } from '../../lib/model/errors';
import type { GetRecordsOutput, PutRecordsEntry, PutRecordsResultEntry, Shard } from '../../lib/ports/kinesis-port';
import { InMemoryKinesis } from '../../lib/testing/in-memory-kinesis';
import { advance, errorOf, settle, valueOf } from './virtual-time';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);
const entry = (partitionKey: string, data = partitionKey, explicitHashKey?: string): PutRecordsEntry =>
  explicitHashKey === undefined ? { partitionKey, data: bytes(data) } : { partitionKey, data: bytes(data), explicitHashKey };
const md5Key = (pk: string): bigint => BigInt(`0x${createHash('md5').update(pk, 'utf8').digest('hex')}`);
const MAX = 2n ** 128n - 1n;

function put(result: PutRecordsResultEntry): { shardId: string; sequenceNumber: string } {
  if (result._tag !== 'Put') throw new Error(`expected Put, got ${result.errorCode}`);
  return result;
}

function codeOf(error: Error): string {
  expect(error).to.be.instanceOf(KinesisCallError);
  return (error as KinesisCallError).code;
}

// prettier-ignore
describe('InMemoryKinesis', () => {
  let scheduler: VirtualTimeScheduler;
  let kinesis: InMemoryKinesis;

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    kinesis = new InMemoryKinesis({ scheduler });
  });

  const create = (name: string, shards: number): void => valueOf(scheduler, kinesis.createStream(name, shards));
  const listShards = (name: string, filter?: Parameters<InMemoryKinesis['listShards']>[1]): readonly Shard[] =>
    valueOf(scheduler, kinesis.listShards(name, filter));
  const putRecords = (name: string, entries: PutRecordsEntry[]): readonly PutRecordsResultEntry[] =>
    valueOf(scheduler, kinesis.putRecords(name, entries));
  const iterator = (name: string, shardId: string, position: Parameters<InMemoryKinesis['getShardIterator']>[2]): string =>
    valueOf(scheduler, kinesis.getShardIterator(name, shardId, position));
  const getRecords = (shardIterator: string, limit = 10000): GetRecordsOutput => valueOf(scheduler, kinesis.getRecords(shardIterator, limit));
  const keys = (page: GetRecordsOutput): string[] => page.records.map((r) => r.partitionKey);

  /** Reads a shard from `shardIterator` to its end (or to the tip of an open shard). */
  function drain(shardIterator: string, limit = 10000): { pages: GetRecordsOutput[]; keys: string[] } {
    const pages: GetRecordsOutput[] = [];
    let next: string | undefined = shardIterator;
    while (next !== undefined) {
      const page = getRecords(next, limit);
      pages.push(page);
      next = page.records.length === 0 ? undefined : page.nextShardIterator;
    }
    return { pages, keys: pages.flatMap(keys) };
  }

  describe('must lay out streams as Kinesis does', () => {
    it('splits the hash-key space evenly into shardId-000000000000…', () => {
      create('four', 4);
      const shards = listShards('four');
      expect(shards.map((s) => s.shardId)).to.deep.equal(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']);
      expect(shards.map((s) => [s.hashKeyRange.startingHashKey, s.hashKeyRange.endingHashKey])).to.deep.equal([
        [0n, 85070591730234615865843651857942052863n],
        [85070591730234615865843651857942052864n, 170141183460469231731687303715884105727n],
        [170141183460469231731687303715884105728n, 255211775190703847597530955573826158591n],
        [255211775190703847597530955573826158592n, MAX],
      ]);
      for (const shard of shards) {
        expect(shard.startingSequenceNumber).to.match(/^\d{56}$/);
        expect(shard).not.to.have.property('endingSequenceNumber');
        expect(shard).not.to.have.property('parentShardId');
      }
    });

    it('uses Kinesis’ boundaries when the count does not divide 2^128', () => {
      create('three', 3);
      expect(listShards('three').map((s) => s.hashKeyRange.endingHashKey)).to.deep.equal([
        113427455640312821154458202477256070484n,
        226854911280625642308916404954512140969n,
        MAX,
      ]);
    });

    it('refuses a stream that exists, a bad shard count and a bad name', () => {
      create('s', 1);
      expect(codeOf(errorOf(scheduler, kinesis.createStream('s', 2)))).to.equal('ResourceInUseException');
      expect(codeOf(errorOf(scheduler, kinesis.createStream('t', 0)))).to.equal('ValidationException');
      expect(codeOf(errorOf(scheduler, kinesis.createStream('t', 1.5)))).to.equal('ValidationException');
      expect(codeOf(errorOf(scheduler, kinesis.createStream('bad name', 1)))).to.equal('ValidationException');
      expect(listShards('s')).to.have.length(1);
    });

    it('creates the streams named in the options', () => {
      const preset = new InMemoryKinesis({ scheduler, streams: { a: 2, b: 1 } });
      expect(preset.streamNames()).to.deep.equal(['a', 'b']);
      expect(preset.shards('a')).to.have.length(2);
    });

    it('deletes a stream, and deleting a missing one is not an error', () => {
      create('s', 1);
      valueOf(scheduler, kinesis.deleteStream('s'));
      const error = errorOf(scheduler, kinesis.listShards('s'));
      expect(error).to.be.instanceOf(StreamNotFoundError);
      expect((error as StreamNotFoundError).streamName).to.equal('s');
      expect(settle(scheduler, kinesis.deleteStream('s')).completed).to.equal(true);
    });

    it('reports an unknown stream on every data call', () => {
      const calls = {
        ListShards: kinesis.listShards('nope'),
        GetShardIterator: kinesis.getShardIterator('nope', 'shardId-000000000000', { type: 'LATEST' }),
        PutRecords: kinesis.putRecords('nope', [entry('a')]),
        SplitShard: kinesis.splitShard('nope', 'shardId-000000000000', 1n),
        MergeShards: kinesis.mergeShards('nope', 'shardId-000000000000', 'shardId-000000000001'),
      };
      for (const [action, call$] of Object.entries(calls)) {
        const error = errorOf(scheduler, call$);
        expect(error, action).to.be.instanceOf(StreamNotFoundError);
        expect(error, action).to.deep.include({ operation: action, code: 'ResourceNotFoundException', streamName: 'nope', retryable: false });
      }
      expect(() => kinesis.shards('nope')).to.throw(StreamNotFoundError);
    });
  });

  describe('must route and number records as Kinesis does', () => {
    beforeEach(() => create('s', 4));

    it('routes by the MD5 of the partition key', () => {
      const pks = Array.from({ length: 200 }, (_, i) => `key-${i}`);
      const results = putRecords('s', pks.map((pk) => entry(pk)));
      const shards = listShards('s');
      results.forEach((result, i) => {
        const key = md5Key(pks[i] as string);
        const owner = shards.find((s) => s.hashKeyRange.startingHashKey <= key && key <= s.hashKeyRange.endingHashKey);
        expect(put(result).shardId, pks[i]).to.equal(owner?.shardId);
      });
      expect(new Set(results.map((r) => put(r).shardId)).size, 'every shard used').to.equal(4);
    });

    it('routes by the explicit hash key when there is one, boundaries included', () => {
      const results = putRecords('s', [
        entry('a', 'a', '0'),
        entry('a', 'a', '85070591730234615865843651857942052863'),
        entry('a', 'a', '85070591730234615865843651857942052864'),
        entry('a', 'a', String(MAX)),
      ]);
      expect(results.map((r) => put(r).shardId)).to.deep.equal([
        'shardId-000000000000', 'shardId-000000000000', 'shardId-000000000001', 'shardId-000000000003',
      ]);
    });

    it('answers entries in request order and issues 56-digit numbers increasing per shard and across the stream', () => {
      const first = putRecords('s', Array.from({ length: 50 }, (_, i) => entry(`k${i}`)));
      const second = putRecords('s', Array.from({ length: 50 }, (_, i) => entry(`k${i}`)));
      const all = [...first, ...second].map(put);
      for (const r of all) expect(r.sequenceNumber).to.match(/^\d{56}$/);
      expect(new Set(all.map((r) => r.sequenceNumber)).size, 'unique').to.equal(100);
      const numbers = all.map((r) => BigInt(r.sequenceNumber));
      numbers.slice(1).forEach((n, i) => expect(n > (numbers[i] as bigint), `#${i + 1} after #${i}`).to.equal(true));
      for (const shard of listShards('s')) {
        expect(BigInt(shard.startingSequenceNumber) < (numbers[0] as bigint)).to.equal(true);
        const stored = kinesis.records('s', shard.shardId).map((r) => r.sequenceNumber);
        expect(stored).to.deep.equal(all.filter((r) => r.shardId === shard.shardId).map((r) => r.sequenceNumber));
      }
    });

    it('stamps arrival with the scheduler clock', () => {
      advance(scheduler, 1234);
      const r = put(putRecords('s', [entry('a', 'hello')])[0] as PutRecordsResultEntry);
      const [stored] = kinesis.records('s', r.shardId);
      expect(stored?.approximateArrivalTimestamp.getTime()).to.equal(1234);
      expect(text(stored?.data ?? new Uint8Array())).to.equal('hello');
    });

    it('lists every record of a stream in write order with its shard', () => {
      const results = putRecords('s', ['a', 'b', 'c', 'd', 'e'].map((pk) => entry(pk))).map(put);
      const all = kinesis.allRecords('s');
      expect(all.map((r) => [r.partitionKey, r.shardId, r.sequenceNumber])).to.deep.equal(
        results.map((r, i) => [['a', 'b', 'c', 'd', 'e'][i], r.shardId, r.sequenceNumber]),
      );
    });
  });

  describe('must hand out iterators of every type', () => {
    let shardId: string;
    let numbers: string[];

    beforeEach(() => {
      create('s', 1);
      shardId = 'shardId-000000000000';
      numbers = [];
      for (const pk of ['a', 'b', 'c']) {
        numbers.push(put(putRecords('s', [entry(pk)])[0] as PutRecordsResultEntry).sequenceNumber);
        advance(scheduler, 1000);
      }
    });

    it('TRIM_HORIZON starts at the oldest record', () => {
      expect(keys(getRecords(iterator('s', shardId, { type: 'TRIM_HORIZON' })))).to.deep.equal(['a', 'b', 'c']);
    });

    it('LATEST returns only records written after it was issued', () => {
      const latest = iterator('s', shardId, { type: 'LATEST' });
      putRecords('s', [entry('d')]);
      expect(keys(getRecords(latest))).to.deep.equal(['d']);
    });

    it('AT_SEQUENCE_NUMBER includes the record, AFTER_SEQUENCE_NUMBER does not', () => {
      expect(keys(getRecords(iterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: numbers[1] as string })))).to.deep.equal(['b', 'c']);
      expect(keys(getRecords(iterator('s', shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: numbers[1] as string })))).to.deep.equal(['c']);
      expect(keys(getRecords(iterator('s', shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: numbers[2] as string })))).to.deep.equal([]);
    });

    it('AT_TIMESTAMP starts at the first record that arrived at or after the time', () => {
      expect(keys(getRecords(iterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: new Date(1000) })))).to.deep.equal(['b', 'c']);
      expect(keys(getRecords(iterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: new Date(1001) })))).to.deep.equal(['c']);
      expect(keys(getRecords(iterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: new Date(0) })))).to.deep.equal(['a', 'b', 'c']);
    });

    it('refuses a timestamp in the future', () => {
      expect(codeOf(errorOf(scheduler, kinesis.getShardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: new Date(scheduler.now() + 1) })))).to.equal('InvalidArgumentException');
    });

    it('refuses sequence numbers that are malformed or from another shard', () => {
      create('other', 2);
      const foreign = put(putRecords('other', [entry('x', 'x', '0')])[0] as PutRecordsResultEntry);
      expect(foreign.shardId).to.equal('shardId-000000000000');
      const [, secondShard] = listShards('other');
      for (const sequenceNumber of ['12', 'abc', numbers[0] as string]) {
        const error = errorOf(scheduler, kinesis.getShardIterator('other', secondShard?.shardId ?? '', { type: 'AT_SEQUENCE_NUMBER', sequenceNumber }));
        expect(codeOf(error), sequenceNumber).to.equal('InvalidArgumentException');
      }
    });

    it('refuses an unknown shard', () => {
      const error = errorOf(scheduler, kinesis.getShardIterator('s', 'shardId-000000000009', { type: 'LATEST' }));
      expect(error).to.be.instanceOf(StreamNotFoundError);
      expect(error.message).to.contain('shardId-000000000009');
    });

    it('lets an iterator be used again', () => {
      const it = iterator('s', shardId, { type: 'TRIM_HORIZON' });
      expect(keys(getRecords(it, 2))).to.deep.equal(['a', 'b']);
      expect(keys(getRecords(it, 2))).to.deep.equal(['a', 'b']);
    });

    it('expires an iterator five virtual minutes after it was issued', () => {
      const it = iterator('s', shardId, { type: 'TRIM_HORIZON' });
      advance(scheduler, 5 * 60_000 - 1);
      const page = getRecords(it, 1);
      expect(keys(page)).to.deep.equal(['a']);
      advance(scheduler, 1);
      const error = errorOf(scheduler, kinesis.getRecords(it, 1));
      expect(error).to.be.instanceOf(ExpiredIteratorError);
      expect((error as ExpiredIteratorError).retryable).to.equal(true);
      // the iterator returned just before expiry was issued then, and lives on
      expect(keys(getRecords(page.nextShardIterator ?? '', 1))).to.deep.equal(['b']);
    });

    it('refuses a malformed iterator', () => {
      expect(codeOf(errorOf(scheduler, kinesis.getRecords('not-an-iterator', 10)))).to.equal('InvalidArgumentException');
      expect(codeOf(errorOf(scheduler, kinesis.getRecords(Buffer.from('["s"]').toString('base64'), 10)))).to.equal('InvalidArgumentException');
    });

    it('refuses an iterator of a stream deleted since, even when re-created', () => {
      const it = iterator('s', shardId, { type: 'TRIM_HORIZON' });
      valueOf(scheduler, kinesis.deleteStream('s'));
      expect(errorOf(scheduler, kinesis.getRecords(it, 10))).to.be.instanceOf(StreamNotFoundError);
      create('s', 1);
      expect(errorOf(scheduler, kinesis.getRecords(it, 10))).to.be.instanceOf(StreamNotFoundError);
    });
  });

  describe('must page GetRecords', () => {
    beforeEach(() => create('s', 1));
    const shardId = 'shardId-000000000000';

    it('honours the limit and chains nextShardIterator, staying open at the tip', () => {
      putRecords('s', Array.from({ length: 25 }, (_, i) => entry(`k${String(i).padStart(2, '0')}`)));
      const { pages } = drain(iterator('s', shardId, { type: 'TRIM_HORIZON' }), 10);
      expect(pages.map((p) => p.records.length)).to.deep.equal([10, 10, 5, 0]);
      expect(pages.flatMap(keys)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`));
      for (const page of pages) {
        expect(page.nextShardIterator).to.be.a('string');
        expect(page).not.to.have.property('childShards');
      }
    });

    it('refuses a limit outside 1..10000', () => {
      const it = iterator('s', shardId, { type: 'TRIM_HORIZON' });
      for (const limit of [0, 10001, 1.5, -1]) {
        expect(codeOf(errorOf(scheduler, kinesis.getRecords(it, limit))), String(limit)).to.equal('ValidationException');
      }
      expect(settle(scheduler, kinesis.getRecords(it, 10000)).completed).to.equal(true);
    });

    it('stops a page before it passes 10 MiB, partition keys included', () => {
      // 1 MiB of data and a partition key is more than a stream takes unless its maximum is raised.
      kinesis = new InMemoryKinesis({ scheduler, maxRecordSizeKiB: 2048, streams: { s: 1 } });
      const mib = new Uint8Array(1024 * 1024);
      for (let i = 0; i < 11; i += 1) kinesis.appendRecords('s', [{ partitionKey: `k${i}`, data: mib }]);
      const page = getRecords(iterator('s', shardId, { type: 'TRIM_HORIZON' }));
      expect(page.records).to.have.length(9);
      expect(getRecords(page.nextShardIterator ?? '').records).to.have.length(2);
    });

    it('measures millisBehindLatest from the oldest unread record on the scheduler clock', () => {
      putRecords('s', [entry('a')]);
      advance(scheduler, 1000);
      putRecords('s', [entry('b')]);
      advance(scheduler, 2000);
      const first = getRecords(iterator('s', shardId, { type: 'TRIM_HORIZON' }), 1);
      expect(first.millisBehindLatest).to.equal(2000);
      const second = getRecords(first.nextShardIterator ?? '', 1);
      expect(second.millisBehindLatest).to.equal(0);
    });
  });

  describe('must reshard', () => {
    const parent = 'shardId-000000000000';

    beforeEach(() => create('s', 2));

    it('splits a shard: the parent closes after its records, the children take over its range', () => {
      const before = putRecords('s', [entry('a', 'a', '1'), entry('b', 'b', '2')]).map(put);
      advance(scheduler, 1000);
      valueOf(scheduler, kinesis.splitShard('s', parent, 1000n));
      const shards = listShards('s');
      expect(shards.map((s) => s.shardId)).to.deep.equal([parent, 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']);
      const [closed, , low, high] = shards as [Shard, Shard, Shard, Shard];
      expect(closed.endingSequenceNumber).to.match(/^\d{56}$/);
      const ending = BigInt(closed.endingSequenceNumber ?? '0');
      for (const r of before) expect(BigInt(r.sequenceNumber) <= ending).to.equal(true);
      expect(low).to.deep.include({ parentShardId: parent, hashKeyRange: { startingHashKey: 0n, endingHashKey: 999n } });
      expect(high).to.deep.include({ parentShardId: parent, hashKeyRange: { startingHashKey: 1000n, endingHashKey: 170141183460469231731687303715884105727n } });
      expect(BigInt(low.startingSequenceNumber) > ending).to.equal(true);
      const after = putRecords('s', [entry('c', 'c', '1'), entry('d', 'd', '1000')]).map(put);
      expect(after.map((r) => r.shardId)).to.deep.equal([low.shardId, high.shardId]);
      expect(kinesis.records('s', parent)).to.have.length(2);
    });

    it('ends a closed parent with a page that has its last records, no nextShardIterator and the children', () => {
      putRecords('s', Array.from({ length: 5 }, (_, i) => entry(`k${i}`, 'x', String(i))));
      valueOf(scheduler, kinesis.splitShard('s', parent, 1000n));
      const first = getRecords(iterator('s', parent, { type: 'TRIM_HORIZON' }), 3);
      expect(first.records).to.have.length(3);
      expect(first.nextShardIterator).to.be.a('string');
      const last = getRecords(first.nextShardIterator ?? '', 3);
      expect(keys(last)).to.deep.equal(['k3', 'k4']);
      expect(last).not.to.have.property('nextShardIterator');
      expect(last.millisBehindLatest).to.equal(0);
      expect(last.childShards).to.deep.equal([
        { shardId: 'shardId-000000000002', parentShards: [parent], hashKeyRange: { startingHashKey: 0n, endingHashKey: 999n } },
        { shardId: 'shardId-000000000003', parentShards: [parent], hashKeyRange: { startingHashKey: 1000n, endingHashKey: 170141183460469231731687303715884105727n } },
      ]);
      const latest = getRecords(iterator('s', parent, { type: 'LATEST' }));
      expect(latest.records).to.deep.equal([]);
      expect(latest.childShards).to.have.length(2);
    });

    it('accepts only a new starting hash key strictly inside the range of an open shard', () => {
      expect(codeOf(errorOf(scheduler, kinesis.splitShard('s', parent, 0n)))).to.equal('InvalidArgumentException');
      expect(codeOf(errorOf(scheduler, kinesis.splitShard('s', parent, 170141183460469231731687303715884105728n)))).to.equal('InvalidArgumentException');
      expect(settle(scheduler, kinesis.splitShard('s', parent, 170141183460469231731687303715884105727n)).completed).to.equal(true);
      expect(codeOf(errorOf(scheduler, kinesis.splitShard('s', parent, 5n)))).to.equal('InvalidArgumentException');
      expect(errorOf(scheduler, kinesis.splitShard('s', 'shardId-000000000042', 5n))).to.be.instanceOf(StreamNotFoundError);
    });

    it('merges two adjacent shards into one child with both parents', () => {
      putRecords('s', [entry('a', 'a', '0'), entry('b', 'b', String(MAX))]);
      valueOf(scheduler, kinesis.mergeShards('s', 'shardId-000000000001', parent));
      const shards = listShards('s');
      const child = shards[2];
      expect(child).to.deep.include({
        shardId: 'shardId-000000000002',
        parentShardId: 'shardId-000000000001',
        adjacentParentShardId: parent,
        hashKeyRange: { startingHashKey: 0n, endingHashKey: MAX },
      });
      expect(shards.filter((s) => s.endingSequenceNumber !== undefined).map((s) => s.shardId)).to.deep.equal([parent, 'shardId-000000000001']);
      for (const shardId of [parent, 'shardId-000000000001']) {
        const { pages } = drain(iterator('s', shardId, { type: 'TRIM_HORIZON' }));
        const last = pages[pages.length - 1];
        expect(last?.nextShardIterator, shardId).to.equal(undefined);
        expect(last?.childShards).to.deep.equal([
          { shardId: 'shardId-000000000002', parentShards: ['shardId-000000000001', parent], hashKeyRange: { startingHashKey: 0n, endingHashKey: MAX } },
        ]);
      }
      expect(put(putRecords('s', [entry('c')])[0] as PutRecordsResultEntry).shardId).to.equal('shardId-000000000002');
    });

    it('refuses to merge shards that are not adjacent, the same, or closed', () => {
      create('t', 3);
      expect(codeOf(errorOf(scheduler, kinesis.mergeShards('t', 'shardId-000000000000', 'shardId-000000000002')))).to.equal('InvalidArgumentException');
      expect(codeOf(errorOf(scheduler, kinesis.mergeShards('t', 'shardId-000000000000', 'shardId-000000000000')))).to.equal('InvalidArgumentException');
      valueOf(scheduler, kinesis.mergeShards('t', 'shardId-000000000000', 'shardId-000000000001'));
      expect(codeOf(errorOf(scheduler, kinesis.mergeShards('t', 'shardId-000000000001', 'shardId-000000000002')))).to.equal('InvalidArgumentException');
    });
  });

  describe('must filter ListShards', () => {
    beforeEach(() => {
      advance(scheduler, 100);
      create('s', 2);
      advance(scheduler, 900);
      valueOf(scheduler, kinesis.splitShard('s', 'shardId-000000000000', 1000n)); // at t=1000
    });
    const ids = (shards: readonly Shard[]): string[] => shards.map((s) => s.shardId.slice(-1));

    it('without a filter or AT_TRIM_HORIZON: every shard', () => {
      expect(ids(listShards('s'))).to.deep.equal(['0', '1', '2', '3']);
      expect(ids(listShards('s', { type: 'AT_TRIM_HORIZON' }))).to.deep.equal(['0', '1', '2', '3']);
    });

    it('AT_LATEST: the open shards', () => {
      expect(ids(listShards('s', { type: 'AT_LATEST' }))).to.deep.equal(['1', '2', '3']);
    });

    it('AFTER_SHARD_ID: the shards after it', () => {
      expect(ids(listShards('s', { type: 'AFTER_SHARD_ID', shardId: 'shardId-000000000001' }))).to.deep.equal(['2', '3']);
    });

    it('AT_TIMESTAMP: the shards open at that time', () => {
      expect(ids(listShards('s', { type: 'AT_TIMESTAMP', timestamp: new Date(500) }))).to.deep.equal(['0', '1']);
      expect(ids(listShards('s', { type: 'AT_TIMESTAMP', timestamp: new Date(1500) }))).to.deep.equal(['1', '2', '3']);
      expect(ids(listShards('s', { type: 'AT_TIMESTAMP', timestamp: new Date(0) })), 'before creation').to.deep.equal(['0', '1']);
    });

    it('FROM_TIMESTAMP: the shards open at that time or later', () => {
      expect(ids(listShards('s', { type: 'FROM_TIMESTAMP', timestamp: new Date(500) }))).to.deep.equal(['0', '1', '2', '3']);
      expect(ids(listShards('s', { type: 'FROM_TIMESTAMP', timestamp: new Date(1500) }))).to.deep.equal(['1', '2', '3']);
    });
  });

  describe('must check PutRecords requests as Kinesis does', () => {
    beforeEach(() => create('s', 1));

    function refused(entries: PutRecordsEntry[]): string {
      const error = errorOf(scheduler, kinesis.putRecords('s', entries));
      expect((error as KinesisCallError).retryable).to.equal(false);
      expect(kinesis.records('s', 'shardId-000000000000'), 'nothing written').to.deep.equal([]);
      return codeOf(error);
    }

    it('refuses whole requests of more than 500 entries', () => {
      expect(refused(Array.from({ length: 501 }, () => entry('a')))).to.equal('ValidationException');
      expect(putRecords('s', Array.from({ length: 500 }, () => entry('a')))).to.have.length(500);
    });

    it('answers an empty request with no results at once, without a call, as the AWS adapter does', () => {
      kinesis.faults.add({ operation: 'putRecords', fault: 'throttle' });
      const result = settle(scheduler, kinesis.putRecords('s', []));
      expect(result).to.deep.equal({ values: [[]], error: undefined, completed: true, at: 0 });
      expect(kinesis.calls.putRecords).to.equal(0);
    });

    it('refuses partition keys outside 1..256 characters, counting characters not bytes', () => {
      expect(refused([entry('')])).to.equal('ValidationException');
      expect(refused([entry('a'), entry('x'.repeat(257))])).to.equal('ValidationException');
      expect(putRecords('s', [entry('x'.repeat(256)), entry('é'.repeat(256)), entry('😀'.repeat(256))])).to.have.length(3);
    });

    it('refuses a whole request when one record\'s data plus partition key is over 1 MiB', () => {
      const mib = 1024 * 1024;
      expect(refused([entry('a'), { partitionKey: 'abc', data: new Uint8Array(mib - 2) }, entry('b')])).to.equal('ValidationException');
      expect(refused([{ partitionKey: 'a', data: new Uint8Array(mib) }])).to.equal('ValidationException');
      const error = errorOf(scheduler, kinesis.putRecords('s', [entry('a'), { partitionKey: 'é', data: new Uint8Array(mib - 1) }]));
      expect(error.message).to.contain("records[1] data plus partition key must be at most the stream's maximum record size of 1048576 bytes, got 1048575 + 2");
      expect(putRecords('s', [{ partitionKey: 'abc', data: new Uint8Array(mib - 3) }])).to.have.length(1);
    });

    it('takes records up to a raised maximum record size, in requests of up to 10 MiB', () => {
      const mib = 1024 * 1024;
      const large = new InMemoryKinesis({ scheduler, maxRecordSizeKiB: 2048, streams: { l: 1 } });
      const results = valueOf(scheduler, large.putRecords('l', Array.from({ length: 5 }, (_, i) => ({ partitionKey: `${i}`, data: new Uint8Array(2 * mib - 1) }))));
      expect(results.map((r) => r._tag)).to.deep.equal(['Put', 'Put', 'Put', 'Put', 'Put']);
      expect(codeOf(errorOf(scheduler, large.putRecords('l', [{ partitionKey: 'ab', data: new Uint8Array(2 * mib - 1) }])))).to.equal('ValidationException');
      const over = Array.from({ length: 6 }, (_, i) => ({ partitionKey: `${i}`, data: new Uint8Array(2 * mib - 1) }));
      expect(codeOf(errorOf(scheduler, large.putRecords('l', over)))).to.equal('InvalidArgumentException');
    });

    it('accepts only a maximum record size Kinesis can be set to', () => {
      for (const kib of [1023, 10241, 1536.5, Number.NaN]) {
        expect(() => new InMemoryKinesis({ maxRecordSizeKiB: kib }), String(kib)).to.throw(TypeError, 'maxRecordSizeKiB must be an integer from 1024 to 10240');
      }
      expect(() => new InMemoryKinesis({ maxRecordSizeKiB: 10240 })).not.to.throw();
    });

    it('refuses explicit hash keys that are not decimals in 0..2^128-1', () => {
      for (const ehk of [String(MAX + 1n), '-1', 'abc', '01', '1e3', '']) {
        expect(refused([entry('a', 'a', ehk)]), ehk).to.equal('InvalidArgumentException');
      }
    });

    it('refuses requests over 5 MiB, partition keys included', () => {
      const data = new Uint8Array(1024 * 1024 - 1);
      const exactly = Array.from({ length: 5 }, (_, i) => ({ partitionKey: String(i), data }));
      expect(putRecords('s', exactly)).to.have.length(5);
      const over = [...exactly, { partitionKey: '5', data: new Uint8Array(1) }];
      const error = errorOf(scheduler, kinesis.putRecords('s', over));
      expect(codeOf(error)).to.equal('InvalidArgumentException');
      expect(kinesis.records('s', 'shardId-000000000000')).to.have.length(5);
    });
  });

  describe('must enforce write limits only when asked', () => {
    it('accepts any rate by default', () => {
      create('s', 1);
      const results = [1, 2, 3].flatMap(() => putRecords('s', Array.from({ length: 400 }, (_, i) => entry(`k${i}`))));
      expect(results.filter((r) => r._tag === 'Failed')).to.deep.equal([]);
    });

    it('fails the entries past 1000 records per shard per second, per entry, and recovers the next second', () => {
      const limited = new InMemoryKinesis({ scheduler, writeLimits: true, streams: { s: 2 } });
      const toShard0 = (n: number): PutRecordsEntry[] => Array.from({ length: n }, (_, i) => entry(`k${i}`, 'x', '0'));
      const first = valueOf(scheduler, limited.putRecords('s', toShard0(500)));
      const second = valueOf(scheduler, limited.putRecords('s', [...toShard0(499), entry('other', 'x', String(MAX))]));
      const third = valueOf(scheduler, limited.putRecords('s', [...toShard0(2), entry('other', 'x', String(MAX))]));
      expect([...first, ...second].every((r) => r._tag === 'Put')).to.equal(true);
      expect(third.map((r) => r._tag)).to.deep.equal(['Put', 'Failed', 'Put']);
      expect(third[1]).to.deep.equal({
        _tag: 'Failed',
        errorCode: 'ProvisionedThroughputExceededException',
        errorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
      });
      expect(limited.records('s', 'shardId-000000000000')).to.have.length(1000);
      advance(scheduler, 999);
      expect(valueOf(scheduler, limited.putRecords('s', toShard0(1)))[0]?._tag, 'same second').to.equal('Failed');
      advance(scheduler, 1);
      expect(valueOf(scheduler, limited.putRecords('s', toShard0(1)))[0]?._tag, 'next second').to.equal('Put');
    });

    it('fails the entries past 1 MiB per shard per second, partition keys included', () => {
      const limited = new InMemoryKinesis({ scheduler, writeLimits: true, streams: { s: 1 } });
      const half = new Uint8Array(512 * 1024);
      const results = valueOf(scheduler, limited.putRecords('s', [
        { partitionKey: 'a', data: half },
        { partitionKey: 'b', data: half.subarray(2) }, // with the keys, exactly 1 MiB
        { partitionKey: 'c', data: new Uint8Array(1) },
      ]));
      expect(results.map((r) => r._tag)).to.deep.equal(['Put', 'Put', 'Failed']);
    });

    it('takes other figures', () => {
      const limited = new InMemoryKinesis({ scheduler, writeLimits: { recordsPerSecond: 2 }, streams: { s: 1 } });
      expect(valueOf(scheduler, limited.putRecords('s', [entry('a'), entry('b'), entry('c')])).map((r) => r._tag)).to.deep.equal(['Put', 'Put', 'Failed']);
      expect(() => new InMemoryKinesis({ writeLimits: { bytesPerSecond: 0 } })).to.throw(TypeError, /bytesPerSecond/);
    });
  });

  describe('must behave as a cold, asynchronous service', () => {
    it('takes effect on subscribe, not when the call is made', () => {
      create('s', 1);
      const call$ = kinesis.putRecords('s', [entry('a')]);
      expect(kinesis.records('s', 'shardId-000000000000')).to.deep.equal([]);
      valueOf(scheduler, call$);
      valueOf(scheduler, call$);
      expect(kinesis.records('s', 'shardId-000000000000')).to.have.length(2);
    });

    it('answers after the latency on the scheduler, with the effect visible from the subscription on', () => {
      const testScheduler = new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });
      testScheduler.run(({ expectObservable, cold }) => {
        const slow = new InMemoryKinesis({ scheduler: testScheduler, latencyMillis: 50, streams: { s: 1 } });
        const shards$ = cold('10ms a|').pipe(concatMap(() => slow.listShards('s')), map((shards) => shards.length));
        expectObservable(shards$).toBe('60ms (a|)', { a: 1 });
        const written$ = slow.putRecords('s', [entry('a')]).pipe(map((results) => results.length));
        expectObservable(written$).toBe('50ms (a|)', { a: 1 });
        const stored$ = timer(20, testScheduler).pipe(map(() => slow.records('s', 'shardId-000000000000').length));
        expectObservable(stored$).toBe('20ms (a|)', { a: 1 });
      });
    });

    it('copies data on the way in and out', () => {
      create('s', 1);
      const data = bytes('abc');
      putRecords('s', [{ partitionKey: 'a', data }]);
      data[0] = 0;
      const [read] = getRecords(iterator('s', 'shardId-000000000000', { type: 'TRIM_HORIZON' })).records;
      expect(text(read?.data ?? new Uint8Array())).to.equal('abc');
      read?.data.fill(0);
      expect(text(kinesis.records('s', 'shardId-000000000000')[0]?.data ?? new Uint8Array())).to.equal('abc');
    });

    it('counts calls per operation, failed ones included', () => {
      create('s', 1);
      settle(scheduler, kinesis.listShards('s'));
      settle(scheduler, kinesis.listShards('missing'));
      settle(scheduler, kinesis.getRecords('bad', 1));
      expect(kinesis.calls).to.include({ createStream: 1, listShards: 2, getRecords: 1, putRecords: 0 });
      kinesis.resetCalls();
      expect(kinesis.calls.listShards).to.equal(0);
    });

    it('writes at once with appendRecords, bypassing faults', () => {
      create('s', 1);
      kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'throttle' });
      const results = kinesis.appendRecords('s', [entry('a'), entry('b')]);
      expect(results.map((r) => r._tag)).to.deep.equal(['Put', 'Put']);
      expect(kinesis.calls.putRecords).to.equal(0);
      expect(kinesis.appendRecords('s', [])).to.deep.equal([]);
      expect(() => kinesis.appendRecords('s', Array.from({ length: 501 }, () => entry('a')))).to.throw(KinesisCallError, /1 to 500/);
    });

    it('refuses a negative latency', () => {
      expect(() => new InMemoryKinesis({ latencyMillis: -1 })).to.throw(TypeError, /latencyMillis/);
    });
  });
});
