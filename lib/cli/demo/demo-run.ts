/**
 * The demo, end to end: a fresh stream, worker processes sharing one lease table, `produce()`
 * writing events that carry their index, progress while it runs, optionally a worker killed
 * halfway, then a graceful stop and the report.
 *
 * The run is driven by what happens (a worker's message or exit, a producer result, a tick, a
 * timeout, an interrupt); after each, {@link DemoRun.check} decides what comes next:
 * wait for the leases to spread → produce → (kill a worker halfway) → once every acknowledged event
 * was consumed, and a failover (if any) finished: stop the workers, read the lease table, report.
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { concatMap, filter, lastValueFrom, map, range, take, throwError, timeout, timer, type Observable, type Subscription } from 'rxjs';
import type { Lease } from '../../model/lease';
import type { ProducerEvent } from '../../model/producer-event';
import { isSendSuccessful, type SendResult } from '../../model/send-result';
import type { KinesisAdminPort } from '../../ports/kinesis-port';
import type { LeaseStoreAdminPort } from '../../ports/lease-store-port';
import { produce } from '../../producer/produce';
import { connectDynamoDb, connectKinesis, describeError } from '../aws-flags';
import type { CommandContext } from '../command';
import { formatCount, formatMillis, shortShardId } from '../format';
import { ownerCounts } from '../lease-table';
import { demoProducerConf, DEMO_APPLICATION_NAME, type DemoNames } from './demo-config';
import type { DemoOptions } from './demo-options';
import { Failover, LeaseHoldings } from './holdings';
import { demoEvent, demoIndexOf } from './payload';
import { formatProgress, type WorkerState } from './progress';
import { isWorkerMessage, type DemoMessage, type WorkerMessage } from './protocol';
import { exitCodeOf, formatReport, type DemoOutcome, type DemoReport, type LeasesAfterStop } from './report';
import { ConsumptionTally } from './tally';
import { forkWorker } from './worker-process';

const PROGRESS_INTERVAL_MILLIS = 1_000;
/** How long a worker may take to stop gracefully before it is killed. */
const STOP_TIMEOUT_MILLIS = 30_000;
/** Events offered to the producer at a time. */
const PRODUCE_CHUNK = 5_000;
/** Offer no more while this many events offered have no result yet (the producer holds 20,000 in flight). */
const MAX_AWAITING_RESULT = 40_000;
/** How long deleting the stream and the lease table may take. */
const CLEANUP_TIMEOUT_MILLIS = 5_000;

/** A fresh stream name (and its lease table) for a run started at `now`. */
export function demoNames(now: Date): DemoNames {
  const streamName = `${DEMO_APPLICATION_NAME}-${now.getTime().toString(36)}-${randomBytes(2).toString('hex')}`;
  return { streamName, tableName: `${streamName}-leases` };
}

/**
 * Runs the demo and prints its report (text, or JSON with `--json`) on stdout; progress goes to
 * stderr.
 * @returns the exit code: 0 when every event was consumed, 1 when any was lost or the run failed
 */
export async function runDemo(options: DemoOptions, context: CommandContext): Promise<number> {
  const { io } = context;
  const names = demoNames(new Date());
  const kinesis = connectKinesis(options.aws);
  const dynamo = connectDynamoDb(options.aws);
  try {
    io.err(`creating stream ${names.streamName} with ${options.shards} shards`);
    await lastValueFrom(kinesis.port.createStream(names.streamName, options.shards), { defaultValue: undefined });
    let report: DemoReport;
    try {
      report = await new DemoRun(options, names, kinesis, dynamo, context).run();
    } finally {
      await cleanUp(options, names, kinesis.port, dynamo.port, context);
    }
    io.out(options.json ? JSON.stringify(report) : formatReport(report));
    return exitCodeOf(report);
  } finally {
    kinesis.close();
    dynamo.close();
  }
}

async function cleanUp(
  options: DemoOptions,
  names: DemoNames,
  kinesis: KinesisAdminPort,
  dynamo: LeaseStoreAdminPort,
  { io }: CommandContext,
): Promise<void> {
  if (options.keep) {
    io.err(`kept stream ${names.streamName} and lease table ${names.tableName}`);
    return;
  }
  // Bounded: after Ctrl-C the emulators may be on their way down and answer nothing more.
  const results = await Promise.allSettled(
    [kinesis.deleteStream(names.streamName), dynamo.deleteTable(names.tableName)].map((delete$) =>
      lastValueFrom(delete$.pipe(timeout({ first: CLEANUP_TIMEOUT_MILLIS, with: () => throwError(() => new Error(`no answer within ${formatMillis(CLEANUP_TIMEOUT_MILLIS)}`)) })), {
        defaultValue: undefined,
      }),
    ),
  );
  for (const result of results) if (result.status === 'rejected') io.err(`cleaning up failed: ${describeError(result.reason)}`);
}

/** One worker process, as the demo sees it. */
interface WorkerHandle {
  readonly id: string;
  readonly child: ChildProcess;
  state: WorkerState;
  /** Resolves when the process has exited and its channel is closed (every message it sent has been read). */
  readonly closed: Promise<void>;
}

/** The state of one run; see the module notes for its course. */
class DemoRun {
  private readonly tally: ConsumptionTally;
  private readonly holdings = new LeaseHoldings();
  private readonly workers: WorkerHandle[] = [];
  private readonly problems: string[] = [];
  /** The highest sequence number acknowledged per shard: where its final checkpoint should be. */
  private readonly lastSequence = new Map<string, bigint>();
  private readonly startedAt = Date.now();
  private phase: 'spreading' | 'running' | 'ending' = 'spreading';
  /** Whether the workers were told to start consuming. */
  private startSent = false;
  private production: Subscription | undefined;
  private produceStartedAt: number | undefined;
  private produceEndedAt: number | undefined;
  private allConsumedAt: number | undefined;
  private sendFailures = 0;
  /** Producer results so far, successes and failures. */
  private results = 0;
  private kill: { readonly workerId: string; readonly atConsumed: number; readonly failover: Failover } | undefined;
  private finish: (outcome: DemoOutcome) => void = () => undefined;

  constructor(
    private readonly options: DemoOptions,
    private readonly names: DemoNames,
    private readonly kinesis: ReturnType<typeof connectKinesis>,
    private readonly dynamo: ReturnType<typeof connectDynamoDb>,
    private readonly context: CommandContext,
  ) {
    this.tally = new ConsumptionTally(options.events);
  }

  async run(): Promise<DemoReport> {
    const { options, context } = this;
    const finished = new Promise<DemoOutcome>((resolve) => (this.finish = resolve));
    // Workers left behind by an abrupt exit of this process would run on for nothing.
    const killAll = () => this.workers.forEach((worker) => worker.child.kill('SIGKILL'));
    const interrupt = () => this.end('interrupted');
    process.on('exit', killAll);
    context.signal.addEventListener('abort', interrupt);
    const timers = [
      setInterval(() => this.printProgress(), PROGRESS_INTERVAL_MILLIS),
      setTimeout(() => this.end('timed-out'), options.timeoutMillis),
      // Leases spread within a few take rounds; if they do not, produce anyway.
      setTimeout(() => this.startProducing('the leases have not spread over the workers yet'), Math.max(10_000, 4 * options.failoverTimeMillis)),
    ];
    try {
      if (context.signal.aborted) this.end('interrupted');
      else this.startWorkers();
      const outcome = await finished;
      this.production?.unsubscribe();
      this.printProgress();
      const leasesAtEnd = await this.readLeases();
      await this.stopWorkers();
      const leasesAfterStop = await this.readLeases();
      return this.report(outcome, leasesAtEnd, leasesAfterStop);
    } finally {
      timers.forEach((timer) => clearTimeout(timer));
      context.signal.removeEventListener('abort', interrupt);
      process.removeListener('exit', killAll);
      killAll();
    }
  }

  // ------------------------------------------------------------------------------ course of the run

  private check(): void {
    if (this.phase !== 'ending' && this.workers.length > 0 && this.liveWorkers().length === 0) {
      this.end('workers-failed');
      return;
    }
    if (this.phase === 'spreading') {
      if (this.leasesSpread()) this.startProducing();
      return;
    }
    if (this.phase !== 'running') return;
    if (this.options.killWorker && this.kill === undefined && this.tally.distinct >= Math.ceil(this.options.events / 2)) this.killOne();
    if (this.produceEndedAt !== undefined && this.tally.allSentDelivered) {
      if (this.allConsumedAt === undefined) {
        this.allConsumedAt = Date.now();
        this.note(`every acknowledged event consumed`);
      }
      if (this.kill === undefined || this.kill.failover.done) this.end('complete');
    }
  }

  /** Every shard is read, and no worker reads more than its share. */
  private leasesSpread(): boolean {
    const live = this.liveWorkers();
    const share = Math.ceil(this.options.shards / Math.max(1, live.length));
    return this.holdings.held === this.options.shards && live.every((worker) => this.holdings.heldBy(worker.id).length <= share);
  }

  private end(outcome: DemoOutcome): void {
    if (this.phase === 'ending') return;
    this.phase = 'ending';
    this.finish(outcome);
  }

  private note(text: string): void {
    this.context.io.err(`[${`${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`.padStart(7)}] ${text}`);
  }

  private printProgress(): void {
    const summary = this.tally.summary();
    this.context.io.err(
      formatProgress({
        elapsedMillis: Date.now() - this.startedAt,
        events: this.options.events,
        sent: summary.sent,
        distinct: summary.distinct,
        duplicates: summary.duplicates,
        workers: this.workers.map((worker) => ({ id: worker.id, state: worker.state, consumed: this.tally.deliveriesOf(worker.id), shards: this.holdings.heldBy(worker.id) })),
      }),
    );
  }

  // ------------------------------------------------------------------------------ workers

  private startWorkers(): void {
    const { names, options } = this;
    for (let i = 1; i <= options.workers; i++) {
      const id = `w${i}`;
      const child = forkWorker({
        workerId: id,
        streamName: names.streamName,
        tableName: names.tableName,
        failoverTimeMillis: options.failoverTimeMillis,
        fanOut: options.fanOut,
        aws: options.aws,
      });
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      const worker: WorkerHandle = { id, child, state: 'starting', closed };
      this.workers.push(worker);
      child.on('message', (message: unknown) => {
        if (isWorkerMessage(message)) this.onMessage(worker, message);
      });
      child.once('exit', (code, signal) => this.onExit(worker, code, signal));
      child.once('error', (error) => this.problems.push(`${id}: ${describeError(error)}`));
    }
    this.note(`started ${this.workers.map((w) => `${w.id} (pid ${w.child.pid ?? '?'})`).join(', ')}; lease table ${names.tableName}, failoverTimeMillis ${formatCount(options.failoverTimeMillis)}${options.fanOut ? ', reading through enhanced fan-out' : ''}`);
  }

  private onMessage(worker: WorkerHandle, message: WorkerMessage): void {
    const gone = worker.state === 'killed' || worker.state === 'exited';
    switch (message.type) {
      case 'started':
        if (worker.state === 'starting') worker.state = 'running';
        this.startWhenAllStarted();
        break;
      case 'acquired':
        if (gone) break;
        this.holdings.acquired(worker.id, message.shardId);
        if (this.kill !== undefined && !this.kill.failover.taken) {
          this.kill.failover.acquired(worker.id, message.shardId, message.at);
          if (this.kill.failover.taken) this.note(`${worker.id} took over the last shard of ${this.kill.workerId}, ${formatMillis(this.kill.failover.millis ?? 0)} after the kill`);
        }
        break;
      case 'ended':
        if (!gone) this.holdings.ended(worker.id, message.shardId);
        break;
      case 'consumed':
        // Also from a killed worker: it wrote these before it died, and committed them.
        this.tally.consumed(worker.id, message.runs, message.foreign);
        if (!gone) for (const shardId of message.caughtUp) this.kill?.failover.caughtUp(worker.id, shardId);
        break;
      case 'failed':
        this.problems.push(`${worker.id} failed: ${message.message}`);
        break;
    }
    this.check();
  }

  private onExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker.state === 'stopping' && code === 0) {
      worker.state = 'stopped';
    } else if (worker.state !== 'killed') {
      const problem = `${worker.id} exited unexpectedly (${signal ?? `exit code ${code}`})`;
      this.problems.push(problem);
      this.note(problem);
      worker.state = 'exited';
    }
    this.holdings.gone(worker.id);
    // A worker that died starting must not keep the others waiting.
    this.startWhenAllStarted();
    this.check();
  }

  /**
   * Once every worker has started, tells them all to start consuming, so that they reach the lease
   * table together however long each process took to load (see `DemoMessage`).
   */
  private startWhenAllStarted(): void {
    if (this.startSent || this.workers.some((worker) => worker.state === 'starting')) return;
    this.startSent = true;
    for (const worker of this.workers) {
      if (worker.state === 'running' && worker.child.connected) worker.child.send({ type: 'start' } satisfies DemoMessage, (error) => error && this.problems.push(`${worker.id}: ${describeError(error)}`));
    }
  }

  private liveWorkers(): WorkerHandle[] {
    return this.workers.filter((worker) => worker.state === 'starting' || worker.state === 'running');
  }

  private killOne(): void {
    const live = this.liveWorkers();
    // Someone must be left to take over.
    if (live.length < 2) return;
    // The one reading the most shards, so that there is something to take over.
    const victim = live.reduce<WorkerHandle | undefined>(
      (best, worker) => (best === undefined || this.holdings.heldBy(worker.id).length > this.holdings.heldBy(best.id).length ? worker : best),
      undefined,
    );
    if (victim === undefined) return;
    const shards = this.holdings.heldBy(victim.id);
    victim.child.kill('SIGKILL');
    victim.state = 'killed';
    this.kill = { workerId: victim.id, atConsumed: this.tally.distinct, failover: new Failover(victim.id, shards, Date.now()) };
    this.holdings.gone(victim.id);
    this.note(
      `killed ${victim.id} with SIGKILL at ${formatCount(this.tally.distinct)} consumed; it read ${shards.length === 0 ? 'no shards' : `shards ${shards.map(shortShardId).join(',')}`}`,
    );
  }

  /** Tells every running worker to stop, and waits until each has exited (killing it after a while). */
  private async stopWorkers(): Promise<void> {
    const stopping = this.workers.filter((worker) => worker.state === 'starting' || worker.state === 'running');
    for (const worker of stopping) {
      worker.state = 'stopping';
      if (worker.child.connected) worker.child.send({ type: 'stop' }, (error) => error && worker.child.kill('SIGKILL'));
    }
    if (stopping.length > 0) this.note(`stopping ${stopping.map((w) => w.id).join(', ')} (final checkpoints, leases released)`);
    await Promise.all(
      this.workers.map(async (worker) => {
        const timer = setTimeout(() => {
          this.problems.push(`${worker.id} did not stop within ${formatMillis(STOP_TIMEOUT_MILLIS)}; killed`);
          worker.state = 'killed';
          worker.child.kill('SIGKILL');
        }, STOP_TIMEOUT_MILLIS);
        await worker.closed;
        clearTimeout(timer);
      }),
    );
  }

  // ------------------------------------------------------------------------------ production

  private startProducing(reason?: string): void {
    if (this.phase !== 'spreading') return;
    this.phase = 'running';
    if (reason !== undefined) this.note(`producing although ${reason}`);
    this.produceStartedAt = Date.now();
    const conf = demoProducerConf(this.names);
    this.note(`producing ${formatCount(this.options.events)} events`);
    this.production = this.events()
      .pipe(produce(conf, { kinesis: this.kinesis.client }, { maxBufferedEvents: Infinity }))
      .subscribe({
        next: (result) => this.onSendResult(result),
        error: (error: unknown) => {
          this.problems.push(`producer failed: ${describeError(error)}`);
          this.end('produce-failed');
        },
        complete: () => {
          this.produceEndedAt = Date.now();
          this.note(`produced ${formatCount(this.tally.sentSoFar)} events in ${formatMillis(this.produceEndedAt - (this.produceStartedAt ?? this.produceEndedAt))}`);
          this.check();
        },
      });
  }

  /**
   * The events, a chunk at a time, each chunk once fewer than {@link MAX_AWAITING_RESULT} events
   * offered are without a result: memory stays bounded however many events, and signals, worker
   * messages and progress are not held up behind one long synchronous burst.
   */
  private events(): Observable<ProducerEvent> {
    const { events } = this.options;
    return range(0, Math.ceil(events / PRODUCE_CHUNK)).pipe(
      concatMap((chunk) =>
        timer(0, 10).pipe(
          filter(() => chunk * PRODUCE_CHUNK - this.results < MAX_AWAITING_RESULT),
          take(1),
          concatMap(() => range(chunk * PRODUCE_CHUNK, Math.min(PRODUCE_CHUNK, events - chunk * PRODUCE_CHUNK))),
        ),
      ),
      map(demoEvent),
    );
  }

  private onSendResult(result: SendResult): void {
    this.results += 1;
    const index = demoIndexOf(result.event.payload);
    if (index === undefined) return;
    if (isSendSuccessful(result)) {
      this.tally.sent(index);
      const sequence = BigInt(result.sequenceNumber);
      const last = this.lastSequence.get(result.shardId);
      if (last === undefined || sequence > last) this.lastSequence.set(result.shardId, sequence);
    } else {
      this.tally.sendFailed(index);
      if (this.sendFailures++ === 0) this.problems.push(`send failed (first of possibly more): ${describeError(result.reason)}`);
    }
  }

  // ------------------------------------------------------------------------------ report

  private async readLeases(): Promise<readonly Lease[] | undefined> {
    try {
      return await lastValueFrom(this.dynamo.port.listLeases(this.names.tableName));
    } catch (error) {
      const problem = `reading the lease table failed: ${describeError(error)}`;
      if (!this.problems.includes(problem)) this.problems.push(problem);
      return undefined;
    }
  }

  private report(outcome: DemoOutcome, leasesAtEnd: readonly Lease[] | undefined, leasesAfterStop: readonly Lease[] | undefined): DemoReport {
    const { options, names } = this;
    const kill = this.kill;
    const failoverMillis = kill?.failover.millis;
    return {
      outcome,
      streamName: names.streamName,
      tableName: names.tableName,
      shards: options.shards,
      workers: this.workers.map((worker) => worker.id),
      consumption: this.tally.summary(),
      ...(this.produceStartedAt !== undefined && this.produceEndedAt !== undefined ? { produceMillis: this.produceEndedAt - this.produceStartedAt } : {}),
      ...(this.produceStartedAt !== undefined && this.allConsumedAt !== undefined ? { consumeMillis: this.allConsumedAt - this.produceStartedAt } : {}),
      ...(kill === undefined
        ? {}
        : {
            kill: {
              workerId: kill.workerId,
              atConsumed: kill.atConsumed,
              shards: kill.failover.shards,
              failoverTimeMillis: options.failoverTimeMillis,
              ...(failoverMillis === undefined ? {} : { failoverMillis }),
            },
          }),
      ...(leasesAtEnd === undefined ? {} : { leasesAtEnd: ownerCounts(leasesAtEnd) }),
      ...(leasesAfterStop === undefined ? {} : { leasesAfterStop: this.afterStop(leasesAfterStop) }),
      elapsedMillis: Date.now() - this.startedAt,
      problems: [...this.problems],
    };
  }

  private afterStop(leases: readonly Lease[]): LeasesAfterStop {
    const atLastRecord = leases.filter((lease) => {
      const last = this.lastSequence.get(lease.leaseKey);
      return last !== undefined && /^\d+$/.test(lease.checkpoint) && BigInt(lease.checkpoint) === last;
    }).length;
    return { owners: ownerCounts(leases), atLastRecord, shardsWithRecords: this.lastSequence.size };
  }
}

