/**
 * Consumer throughput, memory and failover. Prints figures and ratios; asserts nothing.
 *
 *   npx tsx bench/consumer.ts [a] [b] [c] [--records N] [--seconds S] [--events N] [--failover-runs N]
 *   (no letter: all three)
 *
 * (a) `consume$` over the in-memory ports (InMemoryKinesis and InMemoryLeaseStore, latency 0, on
 *     asyncScheduler), 4 shards holding KPL aggregates of 1,000,000 user records of 100 random bytes
 *     with random 16-hex-character partition keys (aggregates of at most 51,200 bytes, the KPL's
 *     default), committing every event: user records/s from subscribe to the last event, against
 *     aws-kinesis-agg deaggregating the same aggregates (`deaggregateSync`, then base64 back to
 *     bytes, which is what a consumer needs) in the same process. `idleTimeBetweenReadsInMillis`
 *     is 0 so the pipeline, not the pause between polls, is measured.
 * (b) RSS growth of `consume$` with the default backpressure and a subscriber that takes 1 ms per
 *     event (a 1 ms timer in `concatMap`), over the same 1,000,000 records for `--seconds` (20):
 *     peak and final RSS over the RSS after the stream was filled, and how many events waited for
 *     the subscriber; with the default `kcl.maxRecords` (10,000 Kinesis records per GetRecords) and
 *     with 5, since each Kinesis record here is an aggregate of about 420 events.
 * (c) Failover time after SIGKILL: `npm start -- --kill-worker --json` (kinesis-local, dynalite, two
 *     worker processes), from its report: from the kill until the survivor held every shard of the
 *     killed worker, against `failoverTimeMillis`; `--failover-runs` runs (3).
 *
 * (a) and (b) each run in a process of their own, so that one's garbage does not count in the
 * other's memory; records are generated from a fixed seed, identically in each.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Subject, asyncScheduler, concatMap, lastValueFrom, map, tap, timer } from 'rxjs';
import { consumerConf, decodeKinesisConfig, type ConsumerConf } from '../lib/config';
import { consume$ } from '../lib/consumer/consume';
import { AggregateBuilder, hashKeyOf, type KinesisEntry } from '../lib/kpl';
import { InMemoryKinesis, InMemoryLeaseStore, evenHashKeyRanges } from '../lib/testing';
import { awsKinesisAgg, type AnchorKinesisRecordV3 } from './aws-kinesis-agg';
import { formatRate, median, perSecond } from './measure';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const STREAM = 'bench';
const SHARDS = 4;
const PAYLOAD_BYTES = 100;
const AGGREGATE_MAX_BYTES = 51_200;
const SEQUENCE_NUMBER = '49581544954143914480256700934210366840104395343224897586';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const RECORDS = option('records', 1_000_000);
const SECONDS = option('seconds', 20);
const DEMO_EVENTS = option('events', 100_000);
const FAILOVER_RUNS = option('failover-runs', 3);

// ------------------------------------------------------------------------------------ data

/** Deterministic bytes, the same in every process. */
function pool(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let seed = 0x2545f491;
  for (let i = 0; i < size; i += 4) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    bytes.writeUInt32LE(seed >>> 0, i);
  }
  return bytes;
}

/** The aggregates of `count` records, per shard of a 4-shard stream, each routed to its own shard. */
function aggregatesPerShard(count: number): KinesisEntry[][] {
  const bytes = pool(1 << 22);
  const ranges = evenHashKeyRanges(SHARDS);
  const builders = ranges.map(() => new AggregateBuilder());
  const out: KinesisEntry[][] = ranges.map(() => []);
  for (let i = 0; i < count; i++) {
    const keyAt = (Math.imul(i, 2654435761) >>> 0) % (bytes.length - 8);
    const dataAt = (Math.imul(i, 7919) >>> 0) % (bytes.length - PAYLOAD_BYTES);
    const record = { partitionKey: bytes.toString('hex', keyAt, keyAt + 8), data: bytes.subarray(dataAt, dataAt + PAYLOAD_BYTES) };
    const hash = hashKeyOf(record.partitionKey);
    const shard = ranges.findIndex((range) => hash <= range.endingHashKey);
    const builder = builders[shard]!;
    if (!builder.tryAdd(record, AGGREGATE_MAX_BYTES)) {
      out[shard]!.push(builder.build());
      builder.clear();
      builder.add(record);
    }
  }
  builders.forEach((builder, shard) => builder.count > 0 && out[shard]!.push(builder.build()));
  return out;
}

/** A 4-shard in-memory stream holding `count` records in aggregates. */
function filledStream(count: number): { kinesis: InMemoryKinesis; aggregates: KinesisEntry[] } {
  const kinesis = new InMemoryKinesis({ latencyMillis: 0, streams: { [STREAM]: SHARDS } });
  const aggregates = aggregatesPerShard(count).flat();
  // PutRecords limits: 500 entries and 5 MiB per request.
  for (let i = 0; i < aggregates.length; i += 80) kinesis.appendRecords(STREAM, aggregates.slice(i, i + 80));
  return { kinesis, aggregates };
}

let runs = 0;
function benchConf(idleMillis: number, maxRecords = 10_000): ConsumerConf {
  runs += 1;
  return consumerConf(
    decodeKinesisConfig({
      'application-name': 'bench',
      consumer: { 'stream-name': STREAM, kcl: { workerId: `bench-${runs}`, tableName: `bench-leases-${runs}`, idleTimeBetweenReadsInMillis: idleMillis, maxRecords } },
    }),
    'consumer',
  );
}

// ------------------------------------------------------------------------------------ phases

/** (a): timed runs of ours and of the anchor, alternating. */
async function throughputPhase(): Promise<object> {
  const { kinesis, aggregates } = filledStream(RECORDS);
  const anchorRecords: AnchorKinesisRecordV3[] = aggregates.map((entry) => ({
    Data: entry.data,
    PartitionKey: entry.partitionKey,
    SequenceNumber: SEQUENCE_NUMBER,
    ApproximateArrivalTimestamp: new Date(0),
  }));

  const ours = async (): Promise<number> => {
    const leases = new InMemoryLeaseStore({ latencyMillis: 0 });
    const stop = new Subject<void>();
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    await lastValueFrom(
      consume$(benchConf(0), { kinesis, leases, scheduler: asyncScheduler }, { stop$: stop }).pipe(
        tap((event) => {
          event.commit();
          count += 1;
          if (count === RECORDS) {
            elapsed = performance.now() - start;
            stop.next();
          }
        }),
      ),
      { defaultValue: undefined },
    );
    if (count < RECORDS) throw new Error(`consumed ${count} of ${RECORDS}`);
    return elapsed;
  };

  const anchor = (): number => {
    const start = performance.now();
    let count = 0;
    for (const record of anchorRecords) {
      awsKinesisAgg.deaggregateSync(record, true, (error, users = []) => {
        if (error) throw error;
        for (const user of users) count += Buffer.from(user.Data, 'base64').length === PAYLOAD_BYTES ? 1 : 0;
      });
    }
    if (count !== RECORDS) throw new Error(`anchor deaggregated ${count} of ${RECORDS}`);
    return performance.now() - start;
  };

  await ours();
  anchor();
  const oursMs: number[] = [];
  const anchorMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i % 2 === 0) {
      oursMs.push(await ours());
      anchorMs.push(anchor());
    } else {
      anchorMs.push(anchor());
      oursMs.push(await ours());
    }
  }
  return { aggregates: aggregates.length, oursMs, anchorMs };
}

/**
 * (b): RSS while a slow subscriber consumes for SECONDS, with GetRecords limited to `maxRecords`
 * Kinesis records. The consumer is then unsubscribed without waiting: what it buffered is dropped.
 */
async function memoryPhase(maxRecords: number): Promise<object> {
  const { kinesis } = filledStream(RECORDS);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let delivered = 0;
  let processed = 0;
  let mostBuffered = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    mostBuffered = Math.max(mostBuffered, delivered - processed);
  }, 50);
  const subscription = consume$(benchConf(1000, maxRecords), { kinesis, leases: new InMemoryLeaseStore(), scheduler: asyncScheduler })
    .pipe(
      tap(() => (delivered += 1)),
      concatMap((event) =>
        timer(1).pipe(
          map(() => {
            event.commit();
            processed += 1;
          }),
        ),
      ),
    )
    .subscribe();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(sampler);
  const end = process.memoryUsage().rss;
  peak = Math.max(peak, end);
  subscription.unsubscribe();
  const mb = (bytes: number) => bytes / 2 ** 20;
  return { maxRecords, delivered, processed, mostBuffered, baselineMb: mb(baseline), peakMb: mb(peak), endMb: mb(end) };
}

// ------------------------------------------------------------------------------------ driver

/** Runs `phase` in a child process of this script and returns what it printed as JSON. */
function inChild(phase: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--phase', phase, ...process.argv.slice(2)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`phase ${phase} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>);
    });
  });
}

/** (c): the demo with --kill-worker, through `npm start`'s script. */
function failoverPhase(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const script = join(__dirname, '..', 'localstack', 'start.ts');
    const child = spawn(process.execPath, [...process.execArgv, script, '--kill-worker', '--json', '--events', String(DEMO_EVENTS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_KINESIS: '', AWS_ENDPOINT_URL_DYNAMODB: '' },
    });
    let out = '';
    let err = '';
    const start = performance.now();
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('close', (code) => {
      try {
        resolve({ code, wallMs: performance.now() - start, report: JSON.parse(out) as unknown });
      } catch {
        reject(new Error(`the demo printed no report (exit code ${code}):\n${err}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const phaseAt = process.argv.indexOf('--phase');
  if (phaseAt >= 0) {
    const phase = process.argv[phaseAt + 1] ?? '';
    const result = phase === 'throughput' ? await throughputPhase() : await memoryPhase(Number(phase.replace('memory-', '')));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // The unsubscribed consumer's final writes and timers need not run to their end.
    process.exit(0);
  }
  const letters = process.argv.slice(2).filter((arg) => /^[abc]$/.test(arg));
  const wanted = new Set(letters.length === 0 ? ['a', 'b', 'c'] : letters);
  console.log(`node ${process.version}; ${RECORDS.toLocaleString('en-US')} user records of ${PAYLOAD_BYTES} B in ${SHARDS} shards, aggregates ≤ ${AGGREGATE_MAX_BYTES} B`);

  if (wanted.has('a')) {
    const result = (await inChild('throughput')) as { aggregates: number; oursMs: number[]; anchorMs: number[] };
    const ours = perSecond(RECORDS, median(result.oursMs));
    const anchor = perSecond(RECORDS, median(result.anchorMs));
    const spread = (ms: number[]) => ms.map((m) => m.toFixed(0)).join(', ');
    console.log(`\n(a) throughput, ${result.aggregates} aggregates, median of 3 runs after a warm-up`);
    console.log(`    consume$ (in-memory ports, commit every event)   ${formatRate(ours).padStart(9)} user records/s   (ms: ${spread(result.oursMs)})`);
    console.log(`    aws-kinesis-agg deaggregateSync + base64 decode  ${formatRate(anchor).padStart(9)} user records/s   (ms: ${spread(result.anchorMs)})`);
    console.log(`    ratio ${(ours / anchor).toFixed(2)}   (goal ≥ 1.0)`);
  }
  if (wanted.has('b')) {
    console.log(`\n(b) memory, a subscriber taking 1 ms per event for ${SECONDS} s (goal: growth < 50 MB)`);
    // The default, and a GetRecords limit small enough that a page of aggregates is a few thousand events.
    for (const maxRecords of [10_000, 5]) {
      const m = (await inChild(`memory-${maxRecords}`)) as { delivered: number; processed: number; mostBuffered: number; baselineMb: number; peakMb: number; endMb: number };
      console.log(
        `    kcl.maxRecords ${String(maxRecords).padStart(5)}: RSS ${m.baselineMb.toFixed(0)} MB after filling the stream; growth: peak ${(m.peakMb - m.baselineMb).toFixed(1)} MB, ` +
          `at ${SECONDS} s ${(m.endMb - m.baselineMb).toFixed(1)} MB; ${m.processed.toLocaleString('en-US')} events processed, ` +
          `${m.delivered.toLocaleString('en-US')} delivered, at most ${m.mostBuffered.toLocaleString('en-US')} waiting`,
      );
    }
  }
  if (wanted.has('c')) {
    console.log(`\n(c) failover after SIGKILL: npm start -- --kill-worker --events ${DEMO_EVENTS}, ${FAILOVER_RUNS} runs (goal: ratio < 2.0)`);
    const ratios: number[] = [];
    for (let i = 0; i < FAILOVER_RUNS; i++) {
      const run = await failoverPhase();
      const report = run['report'] as { kill?: { failoverMillis?: number; failoverTimeMillis: number }; consumption: { lost: number; duplicates: number } };
      const kill = report.kill;
      const wall = `${((run['wallMs'] as number) / 1000).toFixed(1)} s`;
      if (kill?.failoverMillis === undefined) {
        console.log(`    run ${i + 1}: no failover measured (exit code ${String(run['code'])}, ${wall})`);
        continue;
      }
      ratios.push(kill.failoverMillis / kill.failoverTimeMillis);
      console.log(
        `    run ${i + 1}: shards taken over ${kill.failoverMillis} ms after the kill, failoverTimeMillis ${kill.failoverTimeMillis}, ratio ${ratios.at(-1)!.toFixed(2)}; ` +
          `lost ${report.consumption.lost}, redelivered ${report.consumption.duplicates}; exit code ${String(run['code'])} in ${wall}`,
      );
    }
    if (ratios.length > 0) console.log(`    ratio median ${median(ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
