/**
 * consume$ against kinesis-local and dynalite, in real time with a 1.5 s failover: workers share
 * the shards, take over from a worker that stops, rebalance when one joins (by graceful handoffs,
 * nothing delivered twice), resume from the checkpoint (inside an aggregate too), deliver
 * aws-kinesis-agg's aggregates across shards (or drop them when told to), and read a split parent
 * to its end before its children.
 */
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { encodeAggregatedRecord } from '../../lib/kpl/aggregated-record';
import { awsKinesisAggAggregator, crossShardAggregates, expectedReports, outOfRangeReports } from '../../spec/support/cross-shard-aggregates';
import { RunningConsumer, TestStream, coversAll, texts, waitFor } from './consumer-harness';

describe('consume$ on kinesis-local and dynalite', function () {
  this.timeout(30_000);
  let stream: TestStream;
  const running: RunningConsumer[] = [];

  const start = (id: string, options: { readonly autoCommit?: boolean; readonly kcl?: object; readonly outOfRangeRecords?: 'deliver' | 'drop' } = {}): RunningConsumer => {
    const consumer = new RunningConsumer(id, stream.conf(id, options.kcl), stream.env, options);
    running.push(consumer);
    return consumer;
  };

  afterEach(async function () {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await stream?.dispose();
  });

  it('two workers, four shards: each shard read by exactly one worker, every record consumed', async function () {
    stream = await TestStream.create(4);
    const early = texts('early', 400);
    await stream.put(early);
    const a = start('a');
    const b = start('b');
    await waitFor('every early record', () => coversAll([...a.texts(), ...b.texts()], early));
    await waitFor('two leases each', async () => {
      const owners = await stream.owners();
      return owners['a'] === 2 && owners['b'] === 2;
    });

    // Once the shares are settled (a worker slow to start may have had a lease stolen back meanwhile),
    // every record is read once, each shard by the worker holding its lease.
    const held = new Map((await stream.leases()).map((l) => [l.leaseKey, l.leaseOwner]));
    const fromA = a.deliveries.length;
    const fromB = b.deliveries.length;
    const late = texts('late', 400);
    await stream.put(late);
    await waitFor('every late record', () => coversAll([...a.texts(), ...b.texts()], late));
    const lateA = a.deliveries.slice(fromA);
    const lateB = b.deliveries.slice(fromB);
    expect([...lateA, ...lateB].map((d) => d.text).sort(), 'each record once').to.deep.equal([...late].sort());
    for (const d of lateA) expect(held.get(d.shardId), d.text).to.equal('a');
    for (const d of lateB) expect(held.get(d.shardId), d.text).to.equal('b');
    expect(new Set([...lateA, ...lateB].map((d) => d.shardId)).size).to.equal(4);
    expect(await stream.owners()).to.deep.equal({ a: 2, b: 2 });
  });

  it('a worker that stops hands every shard to the other; a third that joins gets its share', async function () {
    stream = await TestStream.create(4);
    const first = texts('first', 200);
    await stream.put(first);
    const a = start('a');
    const b = start('b');
    await waitFor('the first records', () => coversAll([...a.texts(), ...b.texts()], first));

    await a.stop();
    expect(a.completed).to.equal(true);
    const second = texts('second', 200);
    await stream.put(second);
    await waitFor('b to hold every shard', async () => (await stream.owners())['b'] === 4, 5000);
    await waitFor('the second records', () => coversAll(b.texts(), second));

    // c joins while records come in: b checkpoints each shard c asks for before handing it over,
    // so nothing is delivered twice.
    const fromB = b.deliveries.length;
    const c = start('c');
    const third = texts('third', 200);
    await stream.put(third);
    await waitFor('b and c to share the shards, no handoff pending', async () => {
      const leases = await stream.leases();
      const owners = await stream.owners();
      return owners['b'] === 2 && owners['c'] === 2 && leases.every((l) => l.checkpointOwner === undefined);
    });
    const fourth = texts('fourth', 200);
    await stream.put(fourth);
    await waitFor('the third and fourth records', () => coversAll([...b.texts(), ...c.texts()], [...third, ...fourth]));
    expect(c.shardsRead()).to.have.length(2);
    const delivered = [...b.deliveries.slice(fromB), ...c.deliveries].map((d) => d.text);
    expect(delivered.sort(), 'each record once').to.deep.equal([...third, ...fourth].sort());
  });

  it('a restart resumes from the checkpoint and delivers again what was not committed, inside an aggregate too', async function () {
    stream = await TestStream.create(1);
    const users = texts('user', 10);
    await stream.putEntries([{ partitionKey: 'agg', data: encodeAggregatedRecord(users.map((t) => ({ partitionKey: t, data: Buffer.from(t) }))) }]);
    await stream.put(texts('plain', 3));
    const a = start('a', { autoCommit: false });
    await waitFor('the aggregate and the plain records', () => a.deliveries.length === 13);
    expect(a.texts()).to.deep.equal([...users, ...texts('plain', 3)]);
    for (const d of a.deliveries.slice(0, 4)) d.event.commit();
    await a.stop();

    const [lease] = await stream.leases();
    const aggregate = a.deliveries[0]!.event.sequenceNumber.sequenceNumber;
    expect(lease).to.include({ checkpoint: aggregate, checkpointSubSequenceNumber: 3 });
    expect(lease!.leaseOwner, 'released').to.equal(undefined);

    const again = start('a');
    await waitFor('the uncommitted records', () => again.deliveries.length >= 9);
    expect(again.texts()).to.deep.equal([...users.slice(4), ...texts('plain', 3)]);
    expect(again.deliveries[0]!.event.sequenceNumber.toString()).to.equal(`${aggregate}/4`);
  });

  describe('aggregates made by aws-kinesis-agg, which mixes shards', () => {
    /** Six aggregates of eight user records in a 4-shard stream, then a plain record. */
    const mixedStream = async () => {
      stream = await TestStream.create(4);
      const aggregates = crossShardAggregates('agg', 6, 8, awsKinesisAggAggregator);
      const results = await lastValueFrom(stream.kinesisPort.putRecords(stream.name, aggregates.map((a) => a.entry)));
      await stream.put(['plain']);
      const shards = await lastValueFrom(stream.kinesisPort.listShards(stream.name));
      const reports = (outcome: 'delivered' | 'dropped') => expectedReports(aggregates, results, shards, outcome);
      expect(reports('delivered'), 'every aggregate strays').to.have.length(aggregates.length);
      return { userRecords: aggregates.flatMap((a) => a.texts), reports };
    };

    it('are delivered whole, every user record once, each reported', async function () {
      const { userRecords, reports } = await mixedStream();
      const a = start('a');
      await waitFor('every user record', () => coversAll(a.texts(), [...userRecords, 'plain']));
      expect(a.texts().sort()).to.deep.equal([...userRecords, 'plain'].sort());
      expect(outOfRangeReports(a.diagnostics)).to.deep.equal(reports('delivered'));
    });

    it("are dropped whole with outOfRangeRecords: 'drop', each reported", async function () {
      const { reports } = await mixedStream();
      const a = start('a', { outOfRangeRecords: 'drop' });
      await waitFor('the plain record and every report', () => a.texts().includes('plain') && outOfRangeReports(a.diagnostics).length === 6);
      expect(a.texts()).to.deep.equal(['plain']);
      expect(outOfRangeReports(a.diagnostics)).to.deep.equal(reports('dropped'));
    });
  });

  it('after a split mid-stream, every record of the parent comes before any record of its children, key by key', async function () {
    stream = await TestStream.create(1);
    const keys = texts('key', 10);
    const round = (name: string) => texts(name, 300).map((t, i) => `${keys[i % keys.length]!}|${t}`);
    const keyOf = (text: string) => text.split('|')[0]!;
    const before = round('before');
    const after = round('after');
    await stream.put(before, keyOf);
    const a = start('a', { kcl: { maxRecords: 50 } });
    await waitFor('the first page', () => a.deliveries.length > 0);
    const [parent] = await stream.shardIds();
    await lastValueFrom(stream.kinesisPort.splitShard(stream.name, parent!, 2n ** 127n), { defaultValue: undefined });
    expect(a.deliveries.length, 'the parent is still being read').to.be.lessThan(before.length);
    await stream.put(after, keyOf);
    await waitFor('every record', () => coversAll(a.texts(), [...before, ...after]), 20_000);

    const shardIds = await stream.shardIds();
    expect(shardIds).to.have.length(3);
    expect(new Set(a.deliveries.filter((d) => d.text.includes('|before-')).map((d) => d.shardId))).to.deep.equal(new Set([parent]));
    for (const key of keys) {
      const ofKey = a.deliveries.map((d, index) => ({ ...d, index })).filter((d) => d.partitionKey === key);
      const lastParent = Math.max(...ofKey.filter((d) => d.shardId === parent).map((d) => d.index));
      const firstChild = Math.min(...ofKey.filter((d) => d.shardId !== parent).map((d) => d.index));
      expect(lastParent, key).to.be.lessThan(firstChild);
    }
    const parentLease = (await stream.leases()).find((l) => l.leaseKey === parent);
    expect(parentLease).to.include({ checkpoint: 'SHARD_END' });
  });
});
