/**
 * A graceful stop while lease writes are on their way: DynamoDB (dynalite) behind a proxy that
 * applies every UpdateItem at once and holds its answer back 500 ms, as a slow or congested table
 * does. Two workers on four shards stop at moments that meet renewals in flight; each must leave
 * every shard checkpointed at its last committed record and its lease free.
 */
import { expect } from 'chai';
import { createServer, request, type Server } from 'node:http';
import { testDynamoDbClient } from '../support/emulators';
import { listenOnLoopback, type LoopbackServer } from '../support/loopback-server';
import { RunningConsumer, TestStream, coversAll, emulators, texts, waitFor } from './consumer-harness';

/** An HTTP proxy to `target` whose answers to UpdateItem come `delayMillis` after DynamoDB gave them. */
async function delayingProxy(target: string, delayMillis: number): Promise<LoopbackServer> {
  const to = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    const delayed = String(incoming.headers['x-amz-target'] ?? '').endsWith('.UpdateItem');
    const forwarded = request(
      { host: to.hostname, port: to.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const reply = () => {
            outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
            outgoing.end(Buffer.concat(chunks));
          };
          if (delayed) setTimeout(reply, delayMillis);
          else reply();
        });
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  return listenOnLoopback(server);
}

describe('consume$ with lease writes answered 500 ms late (dynalite behind a delaying proxy)', function () {
  this.timeout(120_000);
  let stream: TestStream | undefined;
  let proxy: LoopbackServer | undefined;

  afterEach(async () => {
    await stream?.dispose();
    await proxy?.close();
  });

  it('a graceful stop of two workers leaves every shard checkpointed at its last record and every lease free', async () => {
    const env = await emulators();
    proxy = await delayingProxy(env.dynamoEndpoint, 500);
    const slowDynamo = testDynamoDbClient(proxy.endpoint);
    const slow = { ...env, dynamo: slowDynamo };
    // Stopping at these offsets after the last delivery meets renewals (every 975 ms) on their way.
    for (const [round, offset] of [0, 420, 880].entries()) {
      stream = await TestStream.create(4);
      const records = texts(`r${round}`, 120);
      await stream.put(records);
      const kcl = { failoverTimeMillis: 3000 };
      const a = new RunningConsumer('a', stream.conf('a', kcl), slow);
      const b = new RunningConsumer('b', stream.conf('b', kcl), slow);
      await waitFor('every record delivered', () => coversAll([...a.texts(), ...b.texts()], records), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1500 + offset));
      await Promise.all([a.stop(), b.stop()]);

      for (const shardId of await stream.shardIds()) {
        const lease = (await stream.leases()).find((l) => l.leaseKey === shardId)!;
        const delivered = [...a.deliveries, ...b.deliveries].filter((d) => d.shardId === shardId);
        const last = delivered.reduce((max, d) => (d.event.sequenceNumber.isAfter(max.event.sequenceNumber) ? d : max));
        expect(lease.checkpoint, `${shardId}, stop at +${offset} ms`).to.equal(last.event.sequenceNumber.sequenceNumber);
        expect(lease.leaseOwner, `${shardId}, stop at +${offset} ms`).to.equal(undefined);
      }
      expect([a.error, b.error]).to.deep.equal([undefined, undefined]);
      await stream.dispose();
      stream = undefined;
    }
  });
});
