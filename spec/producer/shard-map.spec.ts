import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { MAX_HASH_KEY } from '../../lib/kpl';
import { KinesisCallError, StreamNotFoundError } from '../../lib/model/errors';
import type { Shard } from '../../lib/ports/kinesis-port';
import { NoOpenShardsError, ShardMap, ShardMapState } from '../../lib/producer/shard-map';
import { hashKeyFromBigInt } from '../../lib/producer/hash-key';
import { kinesisWith, runToEnd, STREAM, virtualTime } from './support';

const shard = (id: number, start: bigint, end: bigint, closed = false): Shard => ({
  shardId: `shardId-${String(id).padStart(12, '0')}`,
  hashKeyRange: { startingHashKey: start, endingHashKey: end },
  startingSequenceNumber: '0',
  ...(closed ? { endingSequenceNumber: '9' } : {}),
});

describe('ShardMap', () => {
  describe('must', () => {
    // Out of order on purpose, with a closed parent that some emulators list despite AT_LATEST.
    const shards = [shard(2, 200n, MAX_HASH_KEY), shard(0, 0n, 99n), shard(9, 0n, MAX_HASH_KEY, true), shard(1, 100n, 199n)];
    const map = new ShardMap(shards, 0);

    it('predict the open shard whose range holds a hash key, at both ends of each range', () => {
      const at = (n: bigint) => map.predict(hashKeyFromBigInt(n));
      expect([at(0n), at(99n), at(100n), at(199n), at(200n), at(MAX_HASH_KEY)]).to.deep.equal([
        'shardId-000000000000',
        'shardId-000000000000',
        'shardId-000000000001',
        'shardId-000000000001',
        'shardId-000000000002',
        'shardId-000000000002',
      ]);
    });

    it('leave closed shards out', () => {
      expect(map.openShardIds).to.deep.equal(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
      expect(map.has('shardId-000000000009')).to.equal(false);
    });

    it('say whether a shard’s range holds a hash key, or that it does not know the shard', () => {
      expect(map.contains('shardId-000000000001', hashKeyFromBigInt(150n))).to.equal(true);
      expect(map.contains('shardId-000000000001', hashKeyFromBigInt(200n))).to.equal(false);
      expect(map.contains('shardId-000000000042', hashKeyFromBigInt(1n))).to.equal(undefined);
    });
  });
});

describe('ShardMapState', () => {
  const options = (scheduler: ReturnType<typeof virtualTime>) => ({
    streamName: STREAM,
    scheduler,
    retryInitialMillis: 1000,
    retryMultiplier: 1.5,
    retryMaxMillis: 30000,
    loadTimeoutMillis: 10000,
  });

  describe('must', () => {
    it('load the open shards with ListShards AT_LATEST', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 4);
      const state = new ShardMapState(kinesis, options(scheduler));
      const run = runToEnd(state.load(), scheduler);
      expect(run.values[0]!.size).to.equal(4);
      expect(state.current).to.equal(run.values[0]);
    });

    it('retry retryable failures 1 s, then 1.5 s apart', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      kinesis.faults.add({ operation: 'listShards', fault: 'transient', times: 2 });
      const run = runToEnd(new ShardMapState(kinesis, options(scheduler)).load(), scheduler);
      expect(run.completed).to.equal(true);
      expect(scheduler.now()).to.equal(2500);
      expect(kinesis.calls.listShards).to.equal(3);
    });

    it('give up with the last cause when retrying would pass the load timeout', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      kinesis.faults.add({ operation: 'listShards', fault: 'transient' });
      const run = runToEnd(new ShardMapState(kinesis, options(scheduler)).load(), scheduler);
      expect(run.error).to.be.instanceOf(KinesisCallError);
      expect(scheduler.now()).to.be.at.most(10000);
    });

    it('fail at once when the stream does not exist', () => {
      const scheduler = virtualTime();
      const run = runToEnd(new ShardMapState(kinesisWith(scheduler, 1), { ...options(scheduler), streamName: 'nope' }).load(), scheduler);
      expect(run.error).to.be.instanceOf(StreamNotFoundError);
      expect(scheduler.now()).to.equal(0);
    });

    it('share one ListShards between refreshes asked for at once, and keep the old map if it fails', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2, { latencyMillis: 5 });
      const errors: unknown[] = [];
      const state = new ShardMapState(kinesis, { ...options(scheduler), onRefreshError: (e) => errors.push(e) });
      runToEnd(state.load(), scheduler);
      const first = state.current!;
      kinesis.resetCalls();
      const both = [lastValueFrom(state.refresh()), lastValueFrom(state.refresh())];
      scheduler.flush();
      const [x, y] = await Promise.all(both);
      expect(x).to.equal(y);
      expect(kinesis.calls.listShards).to.equal(1);
      kinesis.faults.add({ operation: 'listShards', fault: 'transient', times: 1 });
      const failed = runToEnd(state.refresh(), scheduler);
      expect(failed.values).to.deep.equal([x]);
      expect(errors).to.have.length(1);
      expect(first).to.not.equal(x);
    });

    it('refuse to predict when the stream has no open shard', () => {
      const scheduler = virtualTime();
      const state = new ShardMapState(kinesisWith(scheduler, 1), options(scheduler));
      expect(() => state.predict(hashKeyFromBigInt(1n))).to.throw(NoOpenShardsError);
    });
  });
});
