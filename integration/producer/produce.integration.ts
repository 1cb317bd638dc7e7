/**
 * The producer against kinesis-local: events go in through `produce`, come back out through
 * GetRecords and `decodeAggregatedRecord`, and each is there exactly once, in the shard its hash key
 * belongs to, also when a shard is split while the producer runs.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, from, interval, lastValueFrom, map, mergeMap, take, toArray } from 'rxjs';
import { decodeKinesisConfig, producerConf } from '../../lib/config';
import { hashKeyOf } from '../../lib/kpl';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendSuccessful, type SendResult } from '../../lib/model/send-result';
import { produce } from '../../lib/producer/produce';
import { pullable } from '../../lib/producer/pullable';
import { freshStreamPerTest } from './fresh-stream';
import { inRange, readAll } from './read-stream';

function randomEvents(count: number): ProducerEvent[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: randomBytes(8).toString('hex'), payload: `event-${i}-${randomBytes(12).toString('hex')}` }));
}

describe('produce on kinesis-local', function () {
  this.timeout(120_000);
  const fixture = freshStreamPerTest(4);

  const confFor = (name: string, akka: Record<string, unknown> = {}) => producerConf(decodeKinesisConfig({ producer: { 'stream-name': name, akka } }), 'producer');

  it('puts 10,000 events with random keys into 4 shards, each exactly once, in the shard its hash key belongs to', async function () {
    const events = randomEvents(10_000);
    const results = await lastValueFrom(from(events).pipe(produce(confFor(fixture.stream), { kinesis: fixture.client }), toArray()));

    expect(results.filter(isSendSuccessful)).to.have.length(10_000);
    const { shards, records } = await readAll(fixture.port, fixture.stream);
    expect(records.map((r) => r.payload).sort()).to.deep.equal(events.map((e) => e.payload as string).sort());
    const byId = new Map(shards.map((s) => [s.shardId, s]));
    for (const record of records) expect(inRange(byId.get(record.shardId)!, hashKeyOf(record.partitionKey))).to.equal(true);
    // Aggregated: a few Kinesis records per shard, not one per event.
    const resultShards = new Map(results.map((r) => [r.event.payload as string, isSendSuccessful(r) ? r.shardId : undefined]));
    for (const record of records) expect(resultShards.get(record.payload)).to.equal(record.shardId);
  });

  it('keeps every event exactly once, as a KCL consumer reads it, across a SplitShard done mid-run', async function () {
    const events = randomEvents(10_000);
    const rounds = 50;
    const perRound = events.length / rounds;
    // 200 events every 40 ms, about 2 s; the split happens after about a third of them.
    const source = interval(40).pipe(
      take(rounds),
      mergeMap((round) => events.slice(round * perRound, (round + 1) * perRound)),
    );
    const results: SendResult[] = [];
    const producing = lastValueFrom(source.pipe(produce(confFor(fixture.stream), { kinesis: fixture.client }), map((r) => results.push(r))), { defaultValue: 0 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const [parent] = await firstValueFrom(fixture.port.listShards(fixture.stream));
    const middle = (parent!.hashKeyRange.startingHashKey + parent!.hashKeyRange.endingHashKey) / 2n;
    await lastValueFrom(fixture.port.splitShard(fixture.stream, parent!.shardId, middle), { defaultValue: undefined });
    await producing;

    expect(results.filter((r) => !isSendSuccessful(r)).map((r) => (r._tag === 'SendFailed' ? r.reason.message : ''))).to.deep.equal([]);
    expect(results).to.have.length(10_000);
    const { shards, records } = await readAll(fixture.port, fixture.stream);
    expect(shards).to.have.length(6);
    const delivered = records.filter((r) => r.deliveredByKcl);
    // Aggregates that landed on a shard not holding all their records (the KCL drops those) were
    // sent again whole: exactly their records carry a WrongShard attempt.
    const dropped = records.filter((r) => !r.deliveredByKcl).map((r) => r.payload);
    const resent = results.filter((r) => r.attempts.some((a) => a.errorCode === 'WrongShard')).map((r) => r.event.payload as string);
    expect(dropped.sort()).to.deep.equal(resent.sort());
    expect(delivered.map((r) => r.payload).sort()).to.deep.equal(events.map((e) => e.payload as string).sort());
    const byId = new Map(shards.map((s) => [s.shardId, s]));
    for (const record of delivered) expect(inRange(byId.get(record.shardId)!, hashKeyOf(record.partitionKey))).to.equal(true);
    // Some records went to the children, which the producer found by refreshing its map.
    const children = new Set(shards.filter((s) => s.parentShardId === parent!.shardId).map((s) => s.shardId));
    expect(delivered.some((r) => children.has(r.shardId))).to.equal(true);
  });

  it('pulls from an async generator through pullable no further ahead than max-outstanding-requests, every event stored once', async function () {
    const events = randomEvents(3000);
    const limit = 200;
    let yielded = 0;
    let answered = 0;
    let mostAhead = 0;
    async function* source(): AsyncGenerator<ProducerEvent> {
      for (const event of events) {
        mostAhead = Math.max(mostAhead, yielded - answered);
        yielded += 1;
        yield event;
      }
    }
    const results = await lastValueFrom(
      pullable(source()).pipe(
        produce(confFor(fixture.stream, { 'max-outstanding-requests': limit }), { kinesis: fixture.client }),
        map((result) => {
          answered += 1;
          return result;
        }),
        toArray(),
      ),
    );

    expect(results.filter(isSendSuccessful)).to.have.length(events.length);
    expect(mostAhead, 'events taken from the generator and not yet answered').to.be.at.most(limit);
    expect(mostAhead, 'the limit was reached, so the bound was tested').to.be.at.least(limit / 2);
    const { records } = await readAll(fixture.port, fixture.stream);
    expect(records.map((r) => r.payload).sort()).to.deep.equal(events.map((e) => e.payload as string).sort());
  });
});
