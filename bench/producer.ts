/**
 * Producer throughput and memory. Prints figures and ratios; asserts nothing.
 *
 *   npx tsx bench/producer.ts [events]            (default 1,000,000; node --expose-gc steadies runs)
 *
 * (a) `produce()` over an in-memory Kinesis (4 shards, latency 0, on asyncScheduler): user records/s
 *     for events of 100 random bytes with random 16-hex-character keys, against aws-kinesis-agg
 *     aggregating the same records in the same run (it only encodes: no hashing, no shard
 *     prediction, no requests, no results). RateLimit is raised to 1,000,000 % so the per-shard rate
 *     limiter never waits (it still runs) and the fake's write limits are off (its default), so the
 *     pipeline, not a simulated 1 MiB/s shard, is what is measured. Two fakes: `InMemoryKinesis`,
 *     which stores every record (a real cost of the fake, not of the producer), and a port that
 *     answers PutRecords at once without storing, which isolates the producer's own cost and memory.
 * (b) kinesalite (in a process of its own): events/s with aggregation against the same events sent one Kinesis record each,
 *     RateLimit raised as in (a) so the emulator, not the limiter, bounds both, with the seed's
 *     default of 1000 events in flight and with 20,000; and again with the default RateLimit
 *     (150 %), which is what a real 4-shard stream would allow.
 * (c) peak RSS while (a) runs, sampled every 10 ms, each measurement in a fresh process.
 *
 * Each measurement runs in its own child process so that one's garbage does not count in another's
 * memory; records are generated lazily from their index, identically in every process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { lastValueFrom, map, Observable, range, timer } from 'rxjs';
import { decodeKinesisConfig, producerConf, type ProducerConf } from '../lib/config';
import { MAX_HASH_KEY } from '../lib/kpl';
import type { ProducerEvent } from '../lib/model/producer-event';
import { isSendSuccessful, type SendResult } from '../lib/model/send-result';
import type { KinesisPort, PutRecordsResultEntry, Shard } from '../lib/ports/kinesis-port';
import { kinesisSink } from '../lib/producer/sink';
import { produce } from '../lib/producer/produce';
import { kinesisClient } from '../lib/ports/aws/clients';
import { awsKinesisPort } from '../lib/ports/aws/kinesis-adapter';
import { InMemoryKinesis } from '../lib/testing';
import { freePort } from '../localstack/emulators';
import { awsKinesisAgg, type AnchorEncodedRecord, type AnchorUserRecord } from './aws-kinesis-agg';
import { formatRate, perSecond } from './measure';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const STREAM = 'bench';
const SHARDS = 4;
const PAYLOAD_BYTES = 100;

// ------------------------------------------------------------------------------------ data

// One pool of random bytes; record i's payload is a 100-byte view at a pseudo-random offset.
const POOL = Buffer.alloc(1 << 20);
let seed = 0x2545f491;
function nextRandom(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
for (let i = 0; i < POOL.length; i += 4) POOL.writeUInt32LE(nextRandom(), i);

/** Record `i`: the same in every process. */
function keyOf(i: number): string {
  const offset = (Math.imul(i, 2654435761) >>> 0) % (POOL.length - 8);
  return POOL.toString('hex', offset, offset + 8);
}
function payloadOf(i: number): Buffer {
  const offset = (Math.imul(i, 7919) >>> 0) % (POOL.length - PAYLOAD_BYTES);
  return POOL.subarray(offset, offset + PAYLOAD_BYTES);
}
function eventOf(i: number): ProducerEvent {
  return { partitionKey: keyOf(i), payload: payloadOf(i) };
}
function* eventsUpTo(count: number): Generator<ProducerEvent> {
  for (let i = 0; i < count; i++) yield eventOf(i);
}

// ------------------------------------------------------------------------------------ helpers

function conf(kpl: Record<string, unknown>, akka: Record<string, unknown> = {}): ProducerConf {
  return producerConf(decodeKinesisConfig({ bench: { 'stream-name': STREAM, kpl, akka } }), 'bench');
}

const UNLIMITED = { RateLimit: 1_000_000 };

/** Samples RSS every 10 ms while `run` runs; returns its duration and the peak. */
async function measured(run: () => Promise<number>): Promise<{ ms: number; count: number; peakRssMb: number; startRssMb: number }> {
  const startRss = process.memoryUsage().rss;
  let peak = startRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const start = performance.now();
  const count = await run();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms, count, peakRssMb: peak / 2 ** 20, startRssMb: startRss / 2 ** 20 };
}

/** A Kinesis port that answers PutRecords on the next timer tick without storing anything. */
function nullPort(): KinesisPort {
  const width = (MAX_HASH_KEY + 1n) / BigInt(SHARDS);
  const shards: Shard[] = Array.from({ length: SHARDS }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    hashKeyRange: { startingHashKey: width * BigInt(i), endingHashKey: i === SHARDS - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n },
    startingSequenceNumber: '0',
  }));
  let sequence = 0;
  const never = (): Observable<never> => {
    throw new Error('not used by the producer');
  };
  return {
    listShards: () => timer(0).pipe(map(() => shards)),
    getShardIterator: never,
    getRecords: never,
    putRecords: (_stream, entries) =>
      (process.env['IMM'] ? new Observable<void>((s) => { const h = setImmediate(() => { s.next(); s.complete(); }); return () => clearImmediate(h); }) : timer(0)).pipe(
        map(() =>
          entries.map((entry): PutRecordsResultEntry => {
            const shard = Number(BigInt(entry.explicitHashKey!) / width);
            return { _tag: 'Put', shardId: shards[Math.min(shard, SHARDS - 1)]!.shardId, sequenceNumber: String(++sequence) };
          }),
        ),
      ),
  };
}

function countSuccesses(results$: Observable<SendResult>): Promise<number> {
  let ok = 0;
  let failed: SendResult | undefined;
  return lastValueFrom(
    results$.pipe(
      map((r) => {
        if (isSendSuccessful(r)) ok += 1;
        else failed ??= r;
      }),
    ),
    { defaultValue: undefined },
  ).then(() => {
    if (failed !== undefined && failed._tag === 'SendFailed') throw failed.reason;
    return ok;
  });
}

// ------------------------------------------------------------------------------------ phases

type Phase = (count: number) => Promise<number>;

const phases: Record<string, Phase> = {
  /** aws-kinesis-agg encoding the same records, fed in chunks of 10,000. */
  anchor: async (count) => {
    const aggregator = new awsKinesisAgg.RecordAggregator();
    let encoded = 0;
    const onReady = (err: Error | null, record?: AnchorEncodedRecord) => {
      if (err) throw err;
      if (record) encoded += 1;
    };
    const chunk = 10_000;
    for (let from = 0; from < count; from += chunk) {
      const records: AnchorUserRecord[] = [];
      for (let i = from; i < Math.min(count, from + chunk); i++) records.push({ partitionKey: keyOf(i), data: payloadOf(i) });
      aggregator.aggregateRecords(records, from + chunk >= count, onReady);
    }
    return encoded > 0 ? count : 0;
  },
  'produce-memory-1000': (count) => {
    const kinesis = new InMemoryKinesis({ latencyMillis: 0, streams: { [STREAM]: SHARDS } });
    return countSuccesses(range(0, count).pipe(map(eventOf), produce(conf(UNLIMITED), { kinesis }, { maxBufferedEvents: Infinity })));
  },
  'produce-null-1000': (count) =>
    countSuccesses(range(0, count).pipe(map(eventOf), produce(conf(UNLIMITED), { kinesis: nullPort() }, { maxBufferedEvents: Infinity }))),
  'produce-null-20000': (count) =>
    countSuccesses(
      range(0, count).pipe(
        map(eventOf),
        produce(conf(UNLIMITED, { 'max-outstanding-requests': 20_000 }), { kinesis: nullPort() }, { maxBufferedEvents: Infinity }),
      ),
    ),
  'sink-null-1000': async (count) => {
    await kinesisSink(conf(UNLIMITED), { kinesis: nullPort() })(eventsUpTo(count));
    return count;
  },
  'sink-null-20000': async (count) => {
    await kinesisSink(conf(UNLIMITED, { 'max-outstanding-requests': 20_000 }), { kinesis: nullPort() })(eventsUpTo(count));
    return count;
  },
};

/**
 * kinesalite in a process of its own (on 127.0.0.1), so that the emulator's work does not share an
 * event loop with the producer's.
 */
async function kinesaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const port = await freePort();
  const options = JSON.stringify({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  const child = spawn(process.execPath, ['-e', `require('kinesalite')(${options}).listen(${port}, '127.0.0.1', () => console.log('ready'))`], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function kinesaliteRun(count: number, kpl: Record<string, unknown>, akka: Record<string, unknown>): Promise<{ ms: number; count: number }> {
  const emulator = await kinesaliteProcess();
  const client = kinesisClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, http1: true });
  try {
    const port = awsKinesisPort(client);
    await lastValueFrom(port.createStream(STREAM, SHARDS), { defaultValue: undefined });
    const start = performance.now();
    const ok = await countSuccesses(range(0, count).pipe(map(eventOf), produce(conf(kpl, akka), { kinesis: client }, { maxBufferedEvents: Infinity })));
    return { ms: performance.now() - start, count: ok };
  } finally {
    client.destroy();
    emulator.stop();
  }
}

const WIDE = { 'max-outstanding-requests': 20_000 };
const kinesalitePhases: Record<string, (count: number) => Promise<{ ms: number; count: number }>> = {
  'kinesalite-aggregated-1000': (count) => kinesaliteRun(count, UNLIMITED, {}),
  'kinesalite-plain-1000': (count) => kinesaliteRun(count, { ...UNLIMITED, AggregationEnabled: false }, {}),
  'kinesalite-aggregated-20000': (count) => kinesaliteRun(count, UNLIMITED, WIDE),
  'kinesalite-plain-20000': (count) => kinesaliteRun(count, { ...UNLIMITED, AggregationEnabled: false }, WIDE),
  'kinesalite-aggregated-150': (count) => kinesaliteRun(count, {}, WIDE),
  'kinesalite-plain-150': (count) => kinesaliteRun(count, { AggregationEnabled: false }, WIDE),
};

// ------------------------------------------------------------------------------------ driver

interface Figure {
  readonly ms: number;
  readonly count: number;
  readonly peakRssMb?: number;
  readonly startRssMb?: number;
}

async function runPhase(name: string, count: number): Promise<Figure> {
  const kinesalite = kinesalitePhases[name];
  if (kinesalite !== undefined) return kinesalite(count);
  const phase = phases[name];
  if (phase === undefined) throw new Error(`unknown phase ${name}`);
  await phase(Math.min(count, 20_000)); // warm-up
  (globalThis as { gc?: () => void }).gc?.();
  return measured(() => phase(count));
}

function inChild(name: string, count: number): Figure {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--phase', name, String(count)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) throw new Error(`phase ${name} failed:\n${child.stdout}\n${child.stderr}`);
  return JSON.parse(line) as Figure;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--phase') {
    const figure = await runPhase(process.argv[3]!, Number(process.argv[4]));
    console.log(JSON.stringify(figure));
    return;
  }
  const rate = (f: Figure) => perSecond(f.count, f.ms);
  const row = (label: string, f: Figure, anchor?: Figure) =>
    console.log(
      `${label.padEnd(48)} ${`${formatRate(rate(f))} rec/s`.padStart(14)}` +
        (anchor === undefined ? '' : `   ratio ${(rate(f) / rate(anchor)).toFixed(2)}x`) +
        (f.peakRssMb === undefined ? '' : `   peak RSS ${f.peakRssMb.toFixed(0)} MB (start ${f.startRssMb!.toFixed(0)} MB)`),
    );

  console.log(`(a) ${EVENTS} events of ${PAYLOAD_BYTES} B, random 16-hex keys, ${SHARDS} shards; node ${process.version}`);
  const anchor = inChild('anchor', EVENTS);
  row('aws-kinesis-agg aggregateRecords (anchor)', anchor);
  row('produce(), InMemoryKinesis, max-outstanding 1000', inChild('produce-memory-1000', EVENTS), anchor);
  row('produce(), non-storing port, max-outstanding 1000', inChild('produce-null-1000', EVENTS), anchor);
  row('produce(), non-storing port, max-outstanding 20000', inChild('produce-null-20000', EVENTS), anchor);
  row('kinesisSink(generator), non-storing, 1000', inChild('sink-null-1000', EVENTS), anchor);
  row('kinesisSink(generator), non-storing, 20000', inChild('sink-null-20000', EVENTS), anchor);

  // Plain records are slow on the emulator: fewer of them give the same rate.
  const kEvents = Math.min(EVENTS, 300_000);
  const kPlainEvents = Math.min(EVENTS, 50_000);
  console.log(`(b) kinesalite, ${SHARDS} shards: ${kEvents} events aggregated against ${kPlainEvents} sent one Kinesis record each`);
  for (const [label, suffix] of [
    ['RateLimit 1e6 %, max-outstanding 1000', '1000'],
    ['RateLimit 1e6 %, max-outstanding 20000', '20000'],
    ['RateLimit 150 % (a real stream), max-outstanding 20000', '150'],
  ] as const) {
    const plain = inChild(`kinesalite-plain-${suffix}`, kPlainEvents);
    row(`plain, ${label}`, plain);
    row(`aggregated, ${label}`, inChild(`kinesalite-aggregated-${suffix}`, kEvents), plain);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
