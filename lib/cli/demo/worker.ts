/**
 * The hidden `worker` subcommand: one demo consumer in a process of its own. It consumes the demo
 * stream with `shards$` (so it can tell the demo which shards it reads), reports what it consumed
 * to the demo over IPC every 100 ms, commits only what a report has carried, and stops gracefully
 * when the demo says so, when the demo goes away, or on SIGINT/SIGTERM.
 * @packageDocumentation
 */
import {
  EMPTY,
  asyncScheduler,
  bufferTime,
  catchError,
  concat,
  concatMap,
  defer,
  filter,
  finalize,
  fromEvent,
  ignoreElements,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  take,
  throwError,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { ConsumerConf } from '../../config/consumer-config';
import type { CommittableEvent } from '../../consumer/committable-event';
import type { ConsumerDeps, ConsumerDiagnostic } from '../../consumer/consumer-deps';
import { shards$ } from '../../consumer/shards';
import type { ConsumerEvent } from '../../model/consumer-event';
import type { Logger } from '../../ports/deps';
import { connectDynamoDb, connectKinesis, describeError, kinesisEndpointGiven } from '../aws-flags';
import { ExitCode, aborted$, type CliIo, type Command } from '../command';
import { UsageError, positionals } from '../flags';
import { demoConsumerConf } from './demo-config';
import { encodeRuns } from './index-runs';
import { demoIndexOf } from './payload';
import { decodeWorkerSetup, isDemoMessage, type DemoMessage, type WorkerMessage, type WorkerSetup } from './protocol';

/** How often a worker reports (and then commits) what it consumed. */
export const REPORT_INTERVAL_MILLIS = 100;

/** The worker's side of the IPC channel. */
export interface DemoChannel {
  /** Completes once the message is written to the channel (the demo reads it even if this process dies next). */
  send(message: WorkerMessage): Observable<void>;
  /** Emits when the demo says start: every worker is up. */
  readonly start$: Observable<unknown>;
  /** Emits when the demo says stop, or goes away. */
  readonly stop$: Observable<unknown>;
  /** Closes the channel, so that nothing keeps the process alive. */
  close(): void;
}

/** The first message of `type` from the demo. */
function demoMessages(type: DemoMessage['type']): Observable<DemoMessage> {
  // The result selector keeps the message alone (Node passes a send handle too).
  return fromEvent(process, 'message', (message: unknown) => message).pipe(
    filter(isDemoMessage),
    filter((message) => message.type === type),
    take(1),
  );
}

/** The channel `fork` opened to this process. */
function processChannel(): DemoChannel {
  return {
    send: (message) =>
      defer(
        () =>
          new Promise<void>((resolve, reject) => {
            if (process.send === undefined || !process.connected) return reject(new Error('the demo has gone away'));
            process.send(message, undefined, undefined, (error: Error | null) => (error == null ? resolve() : reject(error)));
          }),
      ),
    start$: demoMessages('start'),
    stop$: merge(demoMessages('stop'), fromEvent(process, 'disconnect')).pipe(take(1)),
    close: () => {
      if (process.connected) process.disconnect();
    },
  };
}

/** Reports a batch of events to the demo, then commits them. */
function reportThenCommit(batch: readonly CommittableEvent<ConsumerEvent>[], caughtUp: readonly string[], channel: DemoChannel): Observable<never> {
  return defer(() => {
    const indexes: number[] = [];
    let foreign = 0;
    for (const event of batch) {
      const index = demoIndexOf(event.event.payload);
      if (index === undefined) foreign += 1;
      else indexes.push(index);
    }
    return concat(
      channel.send({ type: 'consumed', runs: encodeRuns(indexes), foreign, caughtUp }),
      defer(() => {
        for (const event of batch) event.commit();
        return EMPTY;
      }),
    ).pipe(ignoreElements());
  });
}

/**
 * The worker's work: tell the demo it has started and wait for its start signal (a stop before it
 * ends the work at once), then consume with `shards$` until `stop$`, telling the demo over
 * `channel` which shards it takes and ends, and what it consumed (every 100 ms, before committing
 * it), including the shards it has read to the tip of the stream since it took them. Completes
 * after the graceful stop (final checkpoints, leases released); errors when the consumer fails.
 */
export function consumeAndReport(conf: ConsumerConf, deps: ConsumerDeps, channel: DemoChannel, stop$: Observable<unknown>): Observable<never> {
  return defer(() => {
    const scheduler: SchedulerLike = deps.scheduler ?? asyncScheduler;
    const notify = (message: WorkerMessage): void => void channel.send(message).subscribe({ error: () => undefined });
    // Shards read to the tip (a page with millisBehindLatest 0, whose events go into the batch
    // being filled), each reported once per acquisition.
    let caughtUp = new Set<string>();
    const reported = new Set<string>();
    const onDiagnostic = (diagnostic: ConsumerDiagnostic) => {
      deps.onDiagnostic?.(diagnostic);
      if (diagnostic._tag === 'Polled' && diagnostic.millisBehindLatest === 0 && !reported.has(diagnostic.shardId)) caughtUp.add(diagnostic.shardId);
    };
    const takeCaughtUp = (): string[] => {
      const shards = [...caughtUp];
      shards.forEach((shardId) => reported.add(shardId));
      caughtUp = new Set();
      return shards;
    };
    notify({ type: 'started' });
    const consuming = shards$(conf, { ...deps, onDiagnostic }, { stop$ }).pipe(
      mergeMap((shard) =>
        defer(() => {
          reported.delete(shard.shardId);
          notify({ type: 'acquired', shardId: shard.shardId, at: scheduler.now() });
          return shard.events$.pipe(finalize(() => notify({ type: 'ended', shardId: shard.shardId, at: scheduler.now() })));
        }),
      ),
      bufferTime(REPORT_INTERVAL_MILLIS, scheduler),
      // Taken as the batch closes, when the events of every page polled so far are in it.
      map((batch) => ({ batch, caughtUp: takeCaughtUp() })),
      filter(({ batch, caughtUp }) => batch.length > 0 || caughtUp.length > 0),
      concatMap(({ batch, caughtUp }) => reportThenCommit(batch, caughtUp, channel)),
      catchError((error: unknown) =>
        concat(channel.send({ type: 'failed', message: describeError(error) }).pipe(catchError(() => EMPTY)), throwError(() => error)).pipe(ignoreElements()),
      ),
    );
    return merge(channel.start$.pipe(map(() => true)), stop$.pipe(map(() => false))).pipe(
      take(1),
      concatMap((start) => (start ? consuming : EMPTY)),
    );
  });
}

/** A logger that writes warnings to `io`'s error output, prefixed with the worker's id. */
export function loggerFor(workerId: string, io: CliIo): Logger {
  const describe = (context: Readonly<Record<string, unknown>>) =>
    Object.entries(context)
      .map(([key, value]) => `${key}=${value instanceof Error ? value.message : String(value)}`)
      .join(' ');
  return { warn: (message, context) => io.err(`[${workerId}] ${message}${context === undefined ? '' : ` ${describe(context)}`}`) };
}

/**
 * Runs one worker process until it is told to stop and has stopped gracefully.
 * @returns the exit code
 */
export async function runWorker(setup: WorkerSetup, channel: DemoChannel, io: CliIo, signal: AbortSignal): Promise<number> {
  const fanOut = setup.fanOut === true;
  // SubscribeToShard needs HTTP/2 on AWS; kinesis-local streams it only over HTTP/1.1.
  const kinesis = connectKinesis(setup.aws, { http1: !fanOut || kinesisEndpointGiven(setup.aws) });
  const dynamo = connectDynamoDb(setup.aws);
  try {
    const conf = demoConsumerConf(setup, setup.workerId, setup.failoverTimeMillis, fanOut);
    const deps: ConsumerDeps = { kinesis: kinesis.client, leases: dynamo.client, logger: loggerFor(setup.workerId, io) };
    await lastValueFrom(consumeAndReport(conf, deps, channel, merge(channel.stop$, aborted$(signal))), { defaultValue: undefined });
    return ExitCode.ok;
  } finally {
    kinesis.close();
    dynamo.close();
    channel.close();
  }
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'one consumer of the demo (started by demo)',
  synopsis: 'usage: reactive-kinesis worker <setup-json>\n\nStarted by `reactive-kinesis demo` with an IPC channel; not meant to be run by hand.',
  flags: [],
  hidden: true,
  async run(parsed, { io, signal }) {
    const [text] = positionals(parsed, ['setup-json']) as [string];
    const setup = decodeWorkerSetup(text);
    if (process.send === undefined) throw new UsageError('worker runs only as a process started by `reactive-kinesis demo` (it needs its IPC channel)', 'worker');
    return runWorker(setup, processChannel(), io, signal);
  },
};
