/**
 * consume$ with enhanced fan-out (`kcl.retrievalMode` FANOUT) against kinesis-local and dynalite:
 * the stream consumer is registered, every shard is read through SubscribeToShard (no GetRecords),
 * records written while subscribed arrive, two workers share the shards, and a worker that takes
 * a shard over resumes from the checkpoint through a new subscription (kinesis-local refuses a
 * second subscription within 5 s, so the takeover also rides out ResourceInUseException).
 */
import { expect } from 'chai';
import type { IteratorPosition, KinesisFanOutPort, KinesisPort } from '../../lib/ports/kinesis-port';
import { awsKinesisPort } from '../../lib/ports/aws/kinesis-adapter';
import { RunningConsumer, TestStream, coversAll, texts, waitFor } from './consumer-harness';

const FANOUT = { retrievalMode: 'FANOUT', consumerName: 'fan-out-it' };

/** The AWS port, counting the reads of each kind. */
function countingPort(stream: TestStream): { port: KinesisPort & KinesisFanOutPort; calls: { getRecords: number; subscriptions: number } } {
  const base = awsKinesisPort(stream.env.kinesis);
  const calls = { getRecords: 0, subscriptions: 0 };
  const port: KinesisPort & KinesisFanOutPort = {
    listShards: (name, filter) => base.listShards(name, filter),
    getShardIterator: (name, shardId, position) => base.getShardIterator(name, shardId, position),
    getRecords: (iterator, limit) => {
      calls.getRecords += 1;
      return base.getRecords(iterator, limit);
    },
    putRecords: (name, entries) => base.putRecords(name, entries),
    ensureStreamConsumer: (name, consumerName) => base.ensureStreamConsumer(name, consumerName),
    subscribeToShard: (consumerArn: string, shardId: string, position: IteratorPosition) => {
      calls.subscriptions += 1;
      return base.subscribeToShard(consumerArn, shardId, position);
    },
  };
  return { port, calls };
}

describe('consume$ with enhanced fan-out on kinesis-local and dynalite', function () {
  this.timeout(45_000);
  let stream: TestStream;
  const running: RunningConsumer[] = [];

  afterEach(async function () {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await stream?.dispose();
  });

  it('reads every shard through subscriptions, records written meanwhile too, each once; a restart resumes from the checkpoint', async function () {
    stream = await TestStream.create(2, 'fan-out');
    const { port, calls } = countingPort(stream);
    const start = (id: string) => {
      const consumer = new RunningConsumer(id, stream.conf(id, FANOUT), stream.env, { kinesis: port });
      running.push(consumer);
      return consumer;
    };
    const early = texts('early', 100);
    await stream.put(early);
    const a = start('a');
    await waitFor('every early record', () => coversAll(a.texts(), early), 20_000);
    const late = texts('late', 100);
    await stream.put(late);
    await waitFor('every late record', () => coversAll(a.texts(), late), 20_000);
    expect([...a.texts()].sort(), 'each record once').to.deep.equal([...early, ...late].sort());
    expect(calls.getRecords, 'no GetRecords').to.equal(0);
    expect(calls.subscriptions).to.be.at.least(2);

    await a.stop();
    expect(a.error).to.equal(undefined);
    const after = texts('after', 50);
    await stream.put(after);
    const b = start('b');
    await waitFor('the records written after the stop', () => coversAll(b.texts(), after), 25_000);
    expect(b.texts().filter((text) => !after.includes(text)), 'nothing before the checkpoint again').to.deep.equal([]);
    expect(b.error).to.equal(undefined);
  });

  it('two workers share the shards, each reading its own through the one stream consumer', async function () {
    stream = await TestStream.create(4, 'fan-out');
    const consumers = ['a', 'b'].map((id) => {
      const consumer = new RunningConsumer(id, stream.conf(id, FANOUT), stream.env);
      running.push(consumer);
      return consumer;
    });
    const records = texts('r', 200);
    await stream.put(records);
    await waitFor('every record', () => coversAll(consumers.flatMap((c) => c.texts()), records), 25_000);
    await waitFor('two leases each', async () => {
      const owners = await stream.owners();
      return owners['a'] === 2 && owners['b'] === 2;
    });
    for (const consumer of consumers) expect(consumer.error, consumer.id).to.equal(undefined);
  });
});
