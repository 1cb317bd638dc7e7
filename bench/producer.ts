/**
 * Producer throughput and memory. Prints figures and ratios; asserts nothing.
 *
 *   npx tsx bench/producer.ts [events] [--runs n]   (default 1,000,000 and 3; node --expose-gc steadies runs)
 *
 * (a) `produce()` over an in-memory Kinesis (4 shards, latency 0): user records/s for events of 100
 *     random bytes with random 16-hex-character keys, pulled from a generator through `pullable`,
 *     against aws-kinesis-agg aggregating the same records in the same run (it only encodes: no
 *     hashing, no shard prediction, no requests, no results, and it is fed 10,000 records at a
 *     time). One row pushes the same events from `range` instead, which `produce()` must then hold
 *     in its buffer (`maxBufferedEvents: Infinity`). RateLimit is raised to 1,000,000 % so the per-shard rate limiter never waits
 *     (it still runs) and the fake's write limits are off (its default), so the pipeline, not a
 *     simulated 1 MiB/s shard, is what is measured. Two fakes: `InMemoryKinesis`, which stores every
 *     record (a real cost of the fake, not of the producer), and a port that answers PutRecords
 *     without storing, which isolates the producer's own cost and memory.
 *     The fakes answer on the next turn of the event loop (`setImmediate`), as a socket's answer
 *     would: a 0 ms timer is clamped to 1 ms by Node, and with 1000 events in flight the pipeline
 *     can do nothing while it waits, so that clamp alone would put a floor of about 1 ms under
 *     every 1000 events. One row keeps the timer to show its cost. The producer's own timers
 *     (RecordMaxBufferedTime, linger, rate limits) run on `asyncScheduler` as in production.
 * (b) kinesalite (in a process of its own): events/s with aggregation against the same events sent
 *     one Kinesis record each, RateLimit raised as in (a) so the emulator, not the limiter, bounds
 *     both, with the seed's default of 1000 events in flight and with 20,000; and again with the
 *     default RateLimit (150 %), which is what a real 4-shard stream would allow: 1000 records/s
 *     and 1 MiB/s per shard, so for 100-byte records the limits alone cap the ratio near 10x.
 *     Each row says which side bounds it: how busy the producer's event loop was, and the CPU time
 *     per event of the producer's process and of kinesalite's. Plain records are bound by the
 *     emulator's cost per Kinesis record. Aggregated ones are bound by the two processes together
 *     (with 1000 in flight, by the round trip of each request): kinesalite's cost per event is about
 *     the producer's, and on two cores they share the machine. The events are made before the clock
 *     starts (generating them costs about a fifth of the producer's time, in its process, and is no
 *     work of the producer), and each side runs for a few seconds: 50,000 plain, a million aggregated.
 * (c) peak RSS while (a) runs, sampled every 10 ms, each measurement in a fresh process. Pulled
 *     through `pullable`, `produce()` holds at most max-outstanding-requests events; a synchronous
 *     push source cannot be paused, so `produce()` over `range(0, 1e6)` holds the whole million
 *     (the floor row shows what holding them costs without any producer).
 *
 * Each measurement runs in its own child process so that one's garbage does not count in another's
 * memory; records are generated lazily from their index, identically in every process. Figures are
 * medians of `--runs` runs, each run paired with a run of its reference right before it, and ratios
 * are the medians of the pairs' ratios: other processes on the machine come and go, and a ratio
 * from two runs side by side is steadier than one from runs minutes apart.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { asyncScheduler, lastValueFrom, map, range, timer, type Observable, type SchedulerLike } from 'rxjs';
import { decodeKinesisConfig, producerConf, type ProducerConf } from '../lib/config';
import { MAX_HASH_KEY } from '../lib/kpl';
import type { ProducerEvent } from '../lib/model/producer-event';
import { isSendSuccessful, type SendResult } from '../lib/model/send-result';
import type { KinesisPort, PutRecordsResultEntry, Shard } from '../lib/ports/kinesis-port';
import { kinesisSink } from '../lib/producer/sink';
import { produce } from '../lib/producer/produce';
import { nextTurnScheduler } from '../lib/producer/next-turn-scheduler';
import { pullable } from '../lib/producer/pullable';
import { kinesisClient } from '../lib/ports/aws/clients';
import { awsKinesisPort } from '../lib/ports/aws/kinesis-adapter';
import { InMemoryKinesis } from '../lib/testing';
import { freePort } from '../localstack/emulators';
import { awsKinesisAgg, type AnchorEncodedRecord, type AnchorUserRecord } from './aws-kinesis-agg';
import { formatRate, median, perSecond } from './measure';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const USAGE = `usage: npx tsx bench/producer.ts [events] [--runs n]   (default 1,000,000 events, 3 runs)
  (a) produce() and kinesisSink over in-memory Kinesis fakes against aws-kinesis-agg, in records/s
  (b) kinesalite in a process of its own: aggregated against one Kinesis record per event
  (c) peak RSS of each measurement (each runs in a fresh child process)
  every figure is the median of n runs, each paired with a run of its reference (the anchor, or
  the same events sent plain), so that a load that comes and goes weighs on both alike
  node --expose-gc -r tsx/cjs bench/producer.ts gives steadier figures`;

const EVENTS = process.argv[2] === undefined || process.argv[2].startsWith('-') ? 1_000_000 : Number(process.argv[2]);
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
  const startRss = process.memoryUsage.rss();
  let peak = startRss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const start = performance.now();
  const count = await run();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms, count, peakRssMb: peak / 2 ** 20, startRssMb: startRss / 2 ** 20 };
}

/** A Kinesis port that answers PutRecords without storing anything, on `scheduler` after 0 ms. */
function nullPort(scheduler: SchedulerLike = nextTurnScheduler): KinesisPort {
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
    listShards: () => timer(0, scheduler).pipe(map(() => shards)),
    getShardIterator: never,
    getRecords: never,
    putRecords: (_stream, entries) =>
      timer(0, scheduler).pipe(
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
    const kinesis = new InMemoryKinesis({ latencyMillis: 0, scheduler: nextTurnScheduler, streams: { [STREAM]: SHARDS } });
    return countSuccesses(pullable(eventsUpTo(count)).pipe(produce(conf(UNLIMITED), { kinesis })));
  },
  'produce-null-1000': (count) => countSuccesses(pullable(eventsUpTo(count)).pipe(produce(conf(UNLIMITED), { kinesis: nullPort() }))),
  'produce-null-timer-1000': (count) => countSuccesses(pullable(eventsUpTo(count)).pipe(produce(conf(UNLIMITED), { kinesis: nullPort(asyncScheduler) }))),
  'produce-null-20000': (count) =>
    countSuccesses(pullable(eventsUpTo(count)).pipe(produce(conf(UNLIMITED, { 'max-outstanding-requests': 20_000 }), { kinesis: nullPort() }))),
  /** A synchronous push source: `produce()` holds every event it cannot admit yet. */
  'produce-push-null-1000': (count) =>
    countSuccesses(range(0, count).pipe(map(eventOf), produce(conf(UNLIMITED), { kinesis: nullPort() }, { maxBufferedEvents: Infinity }))),
  /** What holding a synchronous source's events costs, with no producer at all. */
  'hold-events': async (count) => {
    const held: ProducerEvent[] = [];
    for (let i = 0; i < count; i++) held.push(eventOf(i));
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the sampler see it
    return held.length;
  },
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
async function kinesaliteProcess(): Promise<{ endpoint: string; stop: () => void; cpuMicros: () => Promise<number> }> {
  const port = await freePort();
  const options = JSON.stringify({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  // It answers a message with the CPU time it has used, so that a run can say which side was busy.
  const script =
    `require('kinesalite')(${options}).listen(${port}, '127.0.0.1', () => console.log('ready'));` +
    `process.on('message', () => { const u = process.cpuUsage(); process.send(u.user + u.system); });`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await once(child.stdout!, 'data');
  const cpuMicros = async (): Promise<number> => {
    const answer = once(child, 'message');
    child.send('cpu');
    const [micros] = (await answer) as [number];
    return micros;
  };
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill(), cpuMicros };
}

async function kinesaliteRun(count: number, kpl: Record<string, unknown>, akka: Record<string, unknown>): Promise<Figure> {
  const emulator = await kinesaliteProcess();
  const client = kinesisClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, http1: true });
  try {
    const port = awsKinesisPort(client);
    await lastValueFrom(port.createStream(STREAM, SHARDS), { defaultValue: undefined });
    // The events are made before the clock starts: generating them (hex keys, buffer views) costs
    // about as much again as aggregating them, in the producer's process, and is no work of the producer.
    const events = Array.from({ length: count }, (_, i) => eventOf(i));
    (globalThis as { gc?: () => void }).gc?.();
    const emulatorCpuBefore = await emulator.cpuMicros();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const start = performance.now();
    const ok = await countSuccesses(pullable(events).pipe(produce(conf(kpl, akka), { kinesis: client })));
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      ms,
      count: ok,
      producerBusy: performance.eventLoopUtilization(loopBefore).utilization,
      producerCpuMicros: cpu.user + cpu.system,
      emulatorCpuMicros: (await emulator.cpuMicros()) - emulatorCpuBefore,
    };
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
  /** kinesalite runs: the share of the run the producer's event loop was busy, and CPU time of each side. */
  readonly producerBusy?: number;
  readonly producerCpuMicros?: number;
  readonly emulatorCpuMicros?: number;
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

/**
 * Runs `phase` and its reference `runs` times, each pair back to back, so that a load that comes and
 * goes (other processes on the machine) weighs on both alike; the ratio is the median of the pairs'.
 */
function paired(phase: string, count: number, reference: string, referenceCount: number, runs: number): { figures: Figure[]; references: Figure[]; ratio: number } {
  const figures: Figure[] = [];
  const references: Figure[] = [];
  for (let i = 0; i < runs; i++) {
    references.push(inChild(reference, referenceCount));
    figures.push(inChild(phase, count));
  }
  const rate = (f: Figure) => perSecond(f.count, f.ms);
  return { figures, references, ratio: median(figures.map((f, i) => rate(f) / rate(references[i]!))) };
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  if (process.argv[2] === '--phase') {
    const figure = await runPhase(process.argv[3]!, Number(process.argv[4]));
    console.log(JSON.stringify(figure));
    return;
  }
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const runs = Number(option('--runs') ?? 3);
  if (!(Number.isInteger(EVENTS) && EVENTS > 0)) throw new TypeError(`events must be a positive integer, got ${process.argv[2]}\n${USAGE}`);
  if (!(Number.isInteger(runs) && runs > 0)) throw new TypeError(`--runs must be a positive integer, got ${option('--runs')}\n${USAGE}`);
  const rate = (figures: readonly Figure[]) => median(figures.map((f) => perSecond(f.count, f.ms)));
  const peak = (figures: readonly Figure[]) => Math.max(...figures.map((f) => f.peakRssMb ?? 0));
  const row = (label: string, figures: readonly Figure[], ratio?: number) =>
    console.log(
      `${label.padEnd(64)} ${`${formatRate(rate(figures))} rec/s`.padStart(14)}` +
        (ratio === undefined ? '' : `   ratio ${ratio.toFixed(2)}x`.padEnd(16)) +
        (figures[0]!.peakRssMb === undefined ? '' : `   peak RSS ${peak(figures).toFixed(0)} MB`) +
        (figures[0]!.emulatorCpuMicros === undefined ? '' : `   ${whoIsBusy(figures)}`),
    );
  // Which side bounds a kinesalite run: the producer (its event loop always busy) or the emulator.
  const whoIsBusy = (figures: readonly Figure[]) => {
    const perEvent = (key: 'producerCpuMicros' | 'emulatorCpuMicros') => median(figures.map((f) => (f[key] ?? 0) / f.count)).toFixed(1);
    return `producer loop busy ${(median(figures.map((f) => f.producerBusy ?? 0)) * 100).toFixed(0)} %; CPU µs/event: producer ${perEvent('producerCpuMicros')}, kinesalite ${perEvent('emulatorCpuMicros')}`;
  };

  console.log(`median of ${runs} run(s), each against its own anchor run; node ${process.version}`);
  console.log(`(a) ${EVENTS} events of ${PAYLOAD_BYTES} B, random 16-hex keys, ${SHARDS} shards; goal: ratio ≥ 1.0x`);
  const anchors: Figure[] = [];
  for (const [label, phase] of [
    ['pullable → produce(), InMemoryKinesis, max-outstanding 1000', 'produce-memory-1000'],
    ['pullable → produce(), non-storing port, max-outstanding 1000', 'produce-null-1000'],
    ['pullable → produce(), non-storing port, max-outstanding 20000', 'produce-null-20000'],
    ['pullable → produce(), port answering after a 0 ms timer, 1000', 'produce-null-timer-1000'],
    ['range → produce() (push: all held), non-storing, 1000', 'produce-push-null-1000'],
    ['kinesisSink(generator), non-storing, 1000', 'sink-null-1000'],
    ['kinesisSink(generator), non-storing, 20000', 'sink-null-20000'],
  ] as const) {
    const { figures, references, ratio } = paired(phase, EVENTS, 'anchor', EVENTS, runs);
    anchors.push(...references);
    row(label, figures, ratio);
  }
  row('aws-kinesis-agg aggregateRecords (anchor, every run)', anchors);
  console.log('(c) goal: peak RSS < 200 MB during (a): see the rows above. A synchronous push source (range) is held whole;');
  console.log('    what holding its events alone costs:');
  const held = inChild('hold-events', EVENTS);
  console.log(`${`${EVENTS} events held in an array, no producer`.padEnd(64)} ${''.padStart(14)}${''.padEnd(16)}   peak RSS ${held.peakRssMb!.toFixed(0)} MB`);

  // Plain records are slow on the emulator: fewer of them give the same rate. Each side runs for a
  // few seconds, so that start-up (the shard map, the first connections, the JIT) weighs alike.
  // Under the real stream's rate limit aggregated events go at about 33 k/s, so fewer of them too.
  const kPlainEvents = Math.min(EVENTS, 50_000);
  console.log(`(b) kinesalite, ${SHARDS} shards: aggregated events against ${kPlainEvents} sent one Kinesis record each; goal: ratio ≥ 20x`);
  for (const [label, suffix, kEvents] of [
    ['RateLimit 1e6 %, max-outstanding 1000', '1000', EVENTS],
    ['RateLimit 1e6 %, max-outstanding 20000', '20000', EVENTS],
    ['RateLimit 150 % (a real stream), max-outstanding 20000', '150', Math.min(EVENTS, 100_000)],
  ] as const) {
    const { figures, references, ratio } = paired(`kinesalite-aggregated-${suffix}`, kEvents, `kinesalite-plain-${suffix}`, kPlainEvents, runs);
    row(`plain, ${label}`, references);
    row(`aggregated (${kEvents} events), ${label}`, figures, ratio);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
