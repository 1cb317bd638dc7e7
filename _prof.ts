import { lastValueFrom, map, range, timer, count } from 'rxjs';
import { decodeKinesisConfig, producerConf } from './lib/config';
import { produce } from './lib/producer/produce';
import { InMemoryKinesis } from './lib/testing';
const c = producerConf(decodeKinesisConfig({ b: { 'stream-name': 's', kpl: { RateLimit: 1000000 }, akka: { 'max-outstanding-requests': 20000 } } }), 'b');
const pool = Buffer.alloc(1 << 20, 7);
async function run(n: number) {
  const kinesis = new InMemoryKinesis({ latencyMillis: 0, streams: { s: 4 } });
  const t = performance.now();
  const k = await lastValueFrom(range(0, n).pipe(map(i => ({ partitionKey: (i * 2654435761 >>> 0).toString(16).padStart(16, '0'), payload: pool.subarray(i % 1000, i % 1000 + 100) })), produce(c, { kinesis }, { maxBufferedEvents: Infinity }), count()));
  console.log(n, k, (n / (performance.now() - t) * 1000 / 1000).toFixed(1), 'k/s');
}
(async () => { await run(20000); await run(300000); })();
