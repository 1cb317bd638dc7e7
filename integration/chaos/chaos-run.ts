/**
 * One chaos run: a fresh stream, worker processes sharing one lease table, events produced at a
 * steady rate through `produce()`, and meanwhile the seeded faults: workers killed (SIGKILL) and
 * restarted, paused (SIGSTOP) past the failover time and resumed (SIGCONT), and stopped
 * gracefully (SIGTERM) and restarted. Then the drain (workers run on until every acknowledged
 * event was delivered, or the drain timeout), the lease table read, a graceful stop of every
 * worker, the lease table read again, and the report of the delivery logs.
 *
 * Each worker is the leader of a process group of its own: signals go to the group, the terminal's
 * Ctrl-C reaches this process only, and every group is killed whichever way the run ends.
 * @packageDocumentation
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, interval, lastValueFrom, map, range, take, type Subscription } from 'rxjs';
import { connectDynamoDb, connectKinesis, describeError, type AwsTarget } from '../../lib/cli/aws-flags';
import type { CommandContext } from '../../lib/cli/command';
import { demoProducerConf } from '../../lib/cli/demo/demo-config';
import { demoIndexOf, demoPayload } from '../../lib/cli/demo/payload';
import { workerExecArgv } from '../../lib/cli/demo/worker-process';
import { formatCount, formatMillis } from '../../lib/cli/format';
import type { ConsumerConf } from '../../lib/config/consumer-config';
import type { Lease } from '../../lib/model/lease';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendSuccessful, type SendResult } from '../../lib/model/send-result';
import { produce } from '../../lib/producer/produce';
import { analyse, type FaultRecord, type ProducedRecord } from './analysis';
import type { ChaosOptions } from './chaos-options';
import { invariantsOf, type ChaosOutcome, type ChaosReport, type FaultEntry } from './chaos-report';
import { CHAOS_APPLICATION_NAME, chaosConsumerConf, incarnationName, isReadyMessage, type ChaosWorkerSetup } from './chaos-worker-setup';
import { DeliveryLogReader, monotonicMillis, type Delivery } from './delivery-log';
import { faultSchedule, type PlannedFault } from './fault-schedule';

/**
 * Events are offered to the producer this often, the same number each time: a second's worth at
 * once makes few PutRecords calls, which kinesis-local answers slowly on a busy machine.
 */
const PRODUCE_TICK_MILLIS = 1_000;
const POLL_MILLIS = 250;
const PROGRESS_MILLIS = 5_000;
/** How long the workers may take to start (load, connect) before production starts anyway. */
const READY_TIMEOUT_MILLIS = 60_000;
/** Past a worker's own bound on its graceful stop (`worker.shutdownTimeoutSeconds`), this much more before it is killed. */
const STOP_MARGIN_MILLIS = 15_000;
/** A worker that exited when nobody stopped it is started again this soon. */
const RESTART_AFTER_CRASH_MILLIS = 1_000;
/** Past a checkpoint interval, this much more before the lease table is read at the end of the drain. */
const QUIET_MARGIN_MILLIS = 1_000;

/** The event with id `id`: a key of its own (events spread evenly over the shards), its id in the payload. */
export function chaosEvent(id: number): ProducerEvent {
  return { partitionKey: `chaos-${id}`, payload: demoPayload(id) };
}

type SlotState = 'starting' | 'running' | 'paused' | 'stopping' | 'down';

/** A worker slot: one process at a time, restarted as a new incarnation after a kill or a stop. */
interface Slot {
  readonly name: string;
  incarnation: number;
  child: ChildProcess | undefined;
  state: SlotState;
  /** Why the current process is expected to exit, if it is. */
  ending: 'kill' | 'term' | 'final' | undefined;
  /** Resolves when the current process has exited. */
  exited: Promise<void>;
}

/** A fault injected, as the run tracks it. */
interface Injected extends FaultRecord {
  readonly atMillis: number;
  readonly shards: readonly string[];
  pausedMillis?: number;
  restartedAs?: string;
  stopMillis?: number;
}

/**
 * Runs the chaos test on the Kinesis and DynamoDB of `aws` (whose credentials the workers find in
 * the environment), and reports. Progress goes to `context.io.err`.
 */
export async function runChaos(options: ChaosOptions, aws: AwsTarget, context: CommandContext): Promise<ChaosReport> {
  const kinesis = connectKinesis(aws);
  const dynamo = connectDynamoDb(aws);
  try {
    const streamName = `${CHAOS_APPLICATION_NAME}-${options.seed}-${Date.now().toString(36)}`;
    const names = { streamName, tableName: `${streamName}-leases` };
    await lastValueFrom(kinesis.port.createStream(names.streamName, options.shards), { defaultValue: undefined });
    // A directory of its own, so that no other run's logs are read with this one's.
    if (options.logDir !== undefined) mkdirSync(options.logDir, { recursive: true });
    const logDir = mkdtempSync(join(options.logDir ?? tmpdir(), `reactive-kinesis-chaos-${options.seed}-`));
    return await new ChaosRun(options, names, aws, logDir, kinesis, dynamo, context).run();
  } finally {
    kinesis.close();
    dynamo.close();
  }
}

/** The state of one run; see the module notes for its course. */
class ChaosRun {
  private readonly slots: Slot[];
  private readonly logs: DeliveryLogReader;
  private readonly plan: readonly PlannedFault[];
  private readonly faults: Injected[] = [];
  private readonly problems: string[] = [];
  private readonly pids: number[] = [];
  private readonly produced = new Map<number, ProducedRecord>();
  private readonly sendFailed = new Set<number>();
  private readonly delivered = new Set<number>();
  /** The worker that last delivered each shard: its holder, as far as the logs tell. */
  private readonly lastDeliverer = new Map<string, string>();
  private readonly deliveries: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The pause each paused slot is in. */
  private readonly pauses = new Map<Slot, Injected>();
  private readonly startedAt = monotonicMillis();
  private productionStart: number | undefined;
  private produceMillis: number | undefined;
  private drainedMillis: number | undefined;
  private producing: Subscription | undefined;
  private productionDone = false;
  private productionFailed = false;
  private skippedFaults = 0;
  /** Once set, nothing is restarted and no fault injected. */
  private finalStop = false;
  private readonly conf: ConsumerConf;

  constructor(
    private readonly options: ChaosOptions,
    private readonly names: { readonly streamName: string; readonly tableName: string },
    private readonly aws: AwsTarget,
    private readonly logDir: string,
    private readonly kinesis: ReturnType<typeof connectKinesis>,
    private readonly dynamo: ReturnType<typeof connectDynamoDb>,
    private readonly context: CommandContext,
  ) {
    this.slots = Array.from({ length: options.workers }, (_, i) => ({
      name: `w${i + 1}`,
      incarnation: 0,
      child: undefined,
      state: 'down' as SlotState,
      ending: undefined,
      exited: Promise.resolve(),
    }));
    this.logs = new DeliveryLogReader(logDir);
    this.plan = faultSchedule({ seed: options.seed, workers: options.workers, durationMillis: options.durationMillis, failoverTimeMillis: options.failoverTimeMillis });
    this.conf = chaosConsumerConf({ slot: 'w', incarnation: 1, ...names, failoverTimeMillis: options.failoverTimeMillis });
  }

  async run(): Promise<ChaosReport> {
    const killAll = () => this.slots.forEach((slot) => this.signal(slot, 'SIGKILL'));
    process.on('exit', killAll);
    const { signal } = this.context;
    let outcome: ChaosOutcome = 'complete';
    let leasesAtDrain: readonly Lease[] | undefined;
    let leasesAfterStop: readonly Lease[] | undefined;
    try {
      this.note(
        `seed ${this.options.seed}: stream ${this.names.streamName} (${this.options.shards} shards), ${this.options.workers} workers, ${this.plan.length} faults planned; delivery logs in ${this.logDir}`,
      );
      this.slots.forEach((slot) => this.start(slot));
      this.every(POLL_MILLIS, () => this.readLogs());
      this.every(PROGRESS_MILLIS, () => this.printProgress());
      if (!(await this.until(() => this.slots.every((slot) => slot.state === 'running'), READY_TIMEOUT_MILLIS))) {
        if (!signal.aborted) this.note('producing although not every worker is ready');
      }
      if (!signal.aborted) this.startProducing();
      await this.until(() => this.productionDone || this.productionFailed, Infinity);
      if (!signal.aborted && !this.productionFailed) {
        this.note(`produced ${formatCount(this.produced.size)} events; draining (at most ${formatMillis(this.options.drainTimeoutMillis)})`);
        const drained = await this.until(() => this.allDelivered(), this.options.drainTimeoutMillis);
        if (drained) {
          this.drainedMillis = monotonicMillis() - this.productionStart!;
          this.note(`every event delivered`);
        }
        outcome = drained ? 'complete' : 'drain-timed-out';
      }
      if (this.productionFailed) outcome = 'failed';
      this.finalStop = true;
      this.clearTimers();
      if (signal.aborted) {
        outcome = 'interrupted';
        this.slots.forEach((slot) => (slot.ending = 'kill'));
        killAll();
      } else {
        // Pauses still under way end now; the checkpoints get an interval to catch up.
        this.slots.filter((slot) => slot.state === 'paused').forEach((slot) => this.resume(slot));
        await this.until(() => false, this.conf.checkpointer.intervalMillis + QUIET_MARGIN_MILLIS);
        leasesAtDrain = await this.readLeases('at the end of the drain');
        await this.stopAll();
        leasesAfterStop = await this.readLeases('after the final stop');
      }
      await Promise.all(this.slots.map((slot) => slot.exited));
      this.readLogs();
      return this.report(outcome, leasesAtDrain, leasesAfterStop);
    } finally {
      this.finalStop = true;
      this.clearTimers();
      this.producing?.unsubscribe();
      killAll();
      process.removeListener('exit', killAll);
    }
  }

  // ------------------------------------------------------------------------------ workers

  private start(slot: Slot): void {
    slot.incarnation += 1;
    slot.state = 'starting';
    slot.ending = undefined;
    const setup: ChaosWorkerSetup = {
      slot: slot.name,
      incarnation: slot.incarnation,
      ...this.names,
      failoverTimeMillis: this.options.failoverTimeMillis,
      aws: this.aws,
      logDir: this.logDir,
    };
    const worker = incarnationName(slot.name, slot.incarnation);
    const entry = join(__dirname, `chaos-worker${__filename.slice(__filename.lastIndexOf('.'))}`);
    const stderr = openSync(join(this.logDir, `${worker}.stderr`), 'a');
    let child: ChildProcess;
    try {
      child = fork(entry, [JSON.stringify(setup)], {
        execArgv: workerExecArgv(entry, process.execArgv),
        // A group of its own: signals reach it from this run only, and kill whatever it started.
        detached: true,
        stdio: ['ignore', 'ignore', stderr, 'ipc'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
    } finally {
      closeSync(stderr);
    }
    slot.child = child;
    if (child.pid !== undefined) this.pids.push(child.pid);
    slot.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (slot.child === child) this.onExit(slot, worker, code, signal);
        resolve();
      });
      // A process that could not be started never exits.
      child.once('error', (error) => {
        this.problem(`${worker}: ${describeError(error)}`);
        if (child.pid === undefined) resolve();
      });
    });
    child.on('message', (message: unknown) => {
      if (isReadyMessage(message) && slot.child === child && slot.state === 'starting') slot.state = 'running';
    });
  }

  private onExit(slot: Slot, worker: string, code: number | null, signal: NodeJS.Signals | null): void {
    const ending = slot.ending;
    slot.state = 'down';
    if (ending === 'kill') return;
    if (ending === 'final' || ending === 'term') {
      if (code !== 0) this.problem(`${worker} did not stop cleanly after SIGTERM (${signal ?? `exit code ${code}`})`);
      return;
    }
    this.problem(`${worker} exited unexpectedly (${signal ?? `exit code ${code}`}); see ${worker}.stderr`);
    this.later(RESTART_AFTER_CRASH_MILLIS, () => this.restart(slot));
  }

  /** Starts the next incarnation of `slot`, unless the run is ending. */
  private restart(slot: Slot, fault?: Injected): void {
    if (this.finalStop || slot.state !== 'down') return;
    this.start(slot);
    if (fault !== undefined) fault.restartedAs = incarnationName(slot.name, slot.incarnation);
  }

  /** Sends `signal` to the process group of the slot's current process, if it is there. */
  private signal(slot: Slot, signal: NodeJS.Signals): void {
    const pid = slot.child?.pid;
    if (pid === undefined || slot.child!.exitCode !== null || slot.child!.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Gone already.
    }
  }

  private resume(slot: Slot): void {
    this.signal(slot, 'SIGCONT');
    if (slot.state === 'paused') slot.state = 'running';
    const pause = this.pauses.get(slot);
    if (pause !== undefined) pause.pausedMillis = monotonicMillis() - pause.at;
    this.pauses.delete(slot);
  }

  /** Stops every worker gracefully, killing those that do not exit in time. */
  private async stopAll(): Promise<void> {
    const stopTimeout = this.conf.worker.shutdownTimeoutMillis + STOP_MARGIN_MILLIS;
    const live = this.slots.filter((slot) => slot.state !== 'down');
    this.note(`stopping ${live.map((slot) => incarnationName(slot.name, slot.incarnation)).join(', ')} gracefully`);
    for (const slot of live) {
      // A term under way is waited for as it is.
      if (slot.state === 'stopping') continue;
      if (slot.state === 'starting') {
        // Not consuming yet, and SIGTERM would end it before it listens for it.
        slot.ending = 'kill';
        this.signal(slot, 'SIGKILL');
        continue;
      }
      slot.ending = 'final';
      slot.state = 'stopping';
      this.signal(slot, 'SIGCONT');
      this.signal(slot, 'SIGTERM');
    }
    await Promise.all(
      live.map(async (slot) => {
        const timer = setTimeout(() => {
          this.problem(`${incarnationName(slot.name, slot.incarnation)} did not stop within ${formatMillis(stopTimeout)} of SIGTERM; killed`);
          this.signal(slot, 'SIGKILL');
        }, stopTimeout);
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }

  // ------------------------------------------------------------------------------ faults

  private scheduleFaults(): void {
    for (const planned of this.plan) this.later(planned.atMillis, () => this.inject(planned));
  }

  /**
   * Injects a planned fault into its slot, or the next one that is running; skipped when fewer
   * than two workers run (someone must be left to take the shards over).
   */
  private inject(planned: PlannedFault): void {
    const running = this.slots.filter((slot) => slot.state === 'running');
    if (this.finalStop || running.length < 2) {
      this.skippedFaults += 1;
      return;
    }
    const victim = [...this.slots.slice(planned.slot), ...this.slots.slice(0, planned.slot)].find((slot) => slot.state === 'running')!;
    this.readLogs();
    const worker = incarnationName(victim.name, victim.incarnation);
    const at = monotonicMillis();
    const fault: Injected = {
      kind: planned.kind,
      worker,
      at,
      atMillis: at - this.productionStart!,
      shards: [...this.lastDeliverer].filter(([, holder]) => holder === worker).map(([shardId]) => shardId).sort(),
    };
    this.faults.push(fault);
    switch (planned.kind) {
      case 'kill':
        victim.ending = 'kill';
        victim.state = 'down';
        this.signal(victim, 'SIGKILL');
        void victim.exited.then(() => this.later(planned.restartAfterMillis, () => this.restart(victim, fault)));
        break;
      case 'pause':
        victim.state = 'paused';
        this.pauses.set(victim, fault);
        this.signal(victim, 'SIGSTOP');
        this.later(planned.pauseMillis, () => this.resume(victim));
        break;
      case 'term':
        victim.ending = 'term';
        victim.state = 'stopping';
        this.signal(victim, 'SIGTERM');
        void victim.exited.then(() => {
          fault.stopMillis = monotonicMillis() - at;
          this.later(planned.restartAfterMillis, () => this.restart(victim, fault));
        });
        this.later(this.conf.worker.shutdownTimeoutMillis + STOP_MARGIN_MILLIS, () => {
          if (victim.state !== 'stopping' || incarnationName(victim.name, victim.incarnation) !== worker) return;
          this.problem(`${worker} did not stop within ${formatMillis(this.conf.worker.shutdownTimeoutMillis + STOP_MARGIN_MILLIS)} of SIGTERM; killed`);
          this.signal(victim, 'SIGKILL');
        });
        break;
    }
    this.note(`${planned.kind} ${worker}${fault.shards.length === 0 ? '' : ` (shards ${fault.shards.join(', ')})`}`);
  }

  // ------------------------------------------------------------------------------ production

  private startProducing(): void {
    this.productionStart = monotonicMillis();
    const { events, durationMillis } = this.options;
    const ticks = Math.max(1, Math.ceil(durationMillis / PRODUCE_TICK_MILLIS));
    const first = (tick: number) => Math.floor((tick * events) / ticks);
    this.note(`producing ${formatCount(events)} events over ${formatMillis(durationMillis)}`);
    this.scheduleFaults();
    this.producing = interval(PRODUCE_TICK_MILLIS)
      .pipe(
        take(ticks),
        concatMap((tick) => range(first(tick), first(tick + 1) - first(tick))),
        map(chaosEvent),
        produce(demoProducerConf(this.names), { kinesis: this.kinesis.client }),
      )
      .subscribe({
        next: (result) => this.onSendResult(result),
        error: (error: unknown) => {
          this.problem(`the producer failed: ${describeError(error)}`);
          this.productionFailed = true;
        },
        complete: () => {
          this.produceMillis = monotonicMillis() - this.productionStart!;
          this.productionDone = true;
        },
      });
  }

  private onSendResult(result: SendResult): void {
    const id = demoIndexOf(result.event.payload);
    if (id === undefined) return;
    if (isSendSuccessful(result)) {
      this.produced.set(id, { shardId: result.shardId, sequenceNumber: result.sequenceNumber });
    } else {
      // Not a problem of the consumer: the record may well be in the stream (put, its answer lost).
      if (this.sendFailed.size === 0) this.note(`a send failed (the first of possibly more): ${describeError(result.reason)}`);
      this.sendFailed.add(id);
    }
  }

  // ------------------------------------------------------------------------------ logs and leases

  private readLogs(): void {
    for (const delivery of this.logs.read()) {
      this.deliveries.push(delivery);
      if (delivery.eventId !== null) this.delivered.add(delivery.eventId);
      this.lastDeliverer.set(delivery.shardId, delivery.worker);
    }
  }

  private allDelivered(): boolean {
    for (const id of this.produced.keys()) if (!this.delivered.has(id)) return false;
    return true;
  }

  private async readLeases(when: string): Promise<readonly Lease[] | undefined> {
    try {
      return await lastValueFrom(this.dynamo.port.listLeases(this.names.tableName));
    } catch (error) {
      this.problem(`reading the lease table ${when} failed: ${describeError(error)}`);
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------ time

  /** Resolves true once `condition` holds, false when `millis` pass first or the run is interrupted. */
  private until(condition: () => boolean, millis: number): Promise<boolean> {
    const deadline = monotonicMillis() + millis;
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) return resolve(true);
        if (this.context.signal.aborted || monotonicMillis() >= deadline) return resolve(false);
        setTimeout(check, Math.min(POLL_MILLIS, Math.max(0, deadline - monotonicMillis())));
      };
      check();
    });
  }

  private later(millis: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, millis);
    this.timers.add(timer);
  }

  private every(millis: number, action: () => void): void {
    this.timers.add(setInterval(action, millis));
  }

  private clearTimers(): void {
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
  }

  // ------------------------------------------------------------------------------ output

  private note(text: string): void {
    this.context.io.err(`[${`${((monotonicMillis() - this.startedAt) / 1000).toFixed(1)} s`.padStart(7)}] ${text}`);
  }

  private problem(text: string): void {
    this.problems.push(text);
    this.note(text);
  }

  private printProgress(): void {
    const states = this.slots.map((slot) => `${incarnationName(slot.name, slot.incarnation)} ${slot.state}`).join(', ');
    const duplicates = this.deliveries.length - this.delivered.size;
    this.note(`produced ${formatCount(this.produced.size)}/${formatCount(this.options.events)}, delivered ${formatCount(this.delivered.size)} (+${formatCount(duplicates)} again), faults ${this.faults.length}/${this.plan.length}; ${states}`);
  }

  private report(outcome: ChaosOutcome, leasesAtDrain: readonly Lease[] | undefined, leasesAfterStop: readonly Lease[] | undefined): ChaosReport {
    if (this.logs.malformedLines > 0) this.problems.push(`${this.logs.malformedLines} delivery log lines could not be read`);
    if (this.logs.unfinishedLines > 0) this.problems.push(`${this.logs.unfinishedLines} delivery logs end in an unfinished line`);
    const findings = analyse({
      produced: this.produced,
      sendFailed: this.sendFailed,
      deliveries: this.deliveries,
      faults: this.faults,
      ...(leasesAtDrain === undefined ? {} : { leasesAtDrain }),
      ...(leasesAfterStop === undefined ? {} : { leasesAfterStop }),
    });
    const { options } = this;
    const faults: FaultEntry[] = this.faults.map((fault, i) => ({
      kind: fault.kind,
      worker: fault.worker,
      atMillis: Math.round(fault.atMillis),
      shards: fault.shards,
      ...(fault.pausedMillis === undefined ? {} : { pausedMillis: Math.round(fault.pausedMillis) }),
      ...(fault.restartedAs === undefined ? {} : { restartedAs: fault.restartedAs }),
      ...(fault.stopMillis === undefined ? {} : { stopMillis: Math.round(fault.stopMillis) }),
      ...findings.perFault[i]!,
    }));
    return {
      outcome,
      seed: options.seed,
      settings: {
        workers: options.workers,
        shards: options.shards,
        events: options.events,
        durationMillis: options.durationMillis,
        failoverTimeMillis: options.failoverTimeMillis,
        drainTimeoutMillis: options.drainTimeoutMillis,
      },
      ...this.names,
      logDir: this.logDir,
      faults,
      skippedFaults: this.skippedFaults,
      findings,
      workerPids: [...this.pids],
      sendFailed: this.sendFailed.size,
      ...(this.produceMillis === undefined ? {} : { produceMillis: Math.round(this.produceMillis) }),
      ...(this.drainedMillis === undefined ? {} : { drainedMillis: Math.round(this.drainedMillis) }),
      elapsedMillis: Math.round(monotonicMillis() - this.startedAt),
      problems: [...this.problems],
      invariants: invariantsOf(findings, outcome, this.problems),
    };
  }
}
