/**
 * A worker process of `npm run chaos`: the library's `shards$` with its default settings (but a
 * short failover time), sharing the run's lease table with the other workers. Every event it
 * delivers is appended to its delivery log and then committed at once, so the checkpoint can only
 * pass events that are logged. It tells its parent when it is ready, and stops gracefully (final
 * checkpoints, leases released, through `stop$`) on SIGTERM or when its parent goes away, then
 * exits 0. Warnings of the library go to stderr, which the run sends to a file.
 *
 *   node --import tsx integration/chaos/chaos-worker.ts '<setup-json>'   (started by the run, with IPC)
 * @packageDocumentation
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { defer, finalize, fromEvent, ignoreElements, lastValueFrom, merge, mergeMap, take, tap, type Observable } from 'rxjs';
import { connectDynamoDb, connectKinesis, describeError } from '../../lib/cli/aws-flags';
import type { CliIo } from '../../lib/cli/command';
import { demoIndexOf } from '../../lib/cli/demo/payload';
import { loggerFor } from '../../lib/cli/demo/worker';
import type { ConsumerConf } from '../../lib/config/consumer-config';
import type { ConsumerDeps, ConsumerDiagnostic } from '../../lib/consumer/consumer-deps';
import { shards$ } from '../../lib/consumer/shards';
import { chaosConsumerConf, decodeChaosWorkerSetup, incarnationName, type ReadyMessage } from './chaos-worker-setup';
import { deliveryLogPath, formatDelivery, monotonicMillis } from './delivery-log';

/**
 * Consumes until `stop$`, appending each delivery to `append` before committing it, and telling
 * `trace` when each tenure begins and ends. Completes after the graceful stop.
 */
export function logDeliveries(
  conf: ConsumerConf,
  deps: ConsumerDeps,
  worker: string,
  stop$: Observable<unknown>,
  append: (line: string) => void,
  trace: (text: string) => void,
): Observable<never> {
  return defer(() => {
    let tenures = 0;
    return shards$(conf, deps, { stop$ }).pipe(
      mergeMap((shard) => {
        const tenure = ++tenures;
        const acquiredAt = monotonicMillis();
        trace(`acquired ${shard.shardId} (tenure ${tenure})`);
        return shard.events$.pipe(
          finalize(() => trace(`ended ${shard.shardId} (tenure ${tenure})`)),
          tap((event) => {
            append(
              formatDelivery({
                worker,
                shardId: event.shardId,
                sequenceNumber: event.sequenceNumber.sequenceNumber,
                subSequenceNumber: event.sequenceNumber.subSequenceNumber,
                eventId: demoIndexOf(event.event.payload) ?? null,
                fencingToken: event.fencingToken,
                tenure,
                acquiredAt,
                at: monotonicMillis(),
                wallTime: Date.now(),
              }),
            );
            event.commit();
          }),
          ignoreElements(),
        );
      }),
    );
  });
}

/** Warnings and the trace, with the time (wall and monotonic), on stderr. */
const stampedIo: CliIo = {
  out: (text) => void process.stderr.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${new Date().toISOString()} ${monotonicMillis().toFixed(3)} ${text}\n`),
};

/** Checkpoint writes and lost leases, for reading a run's story next to its delivery logs. */
function traceDiagnostic(trace: (text: string) => void): (diagnostic: ConsumerDiagnostic) => void {
  return (diagnostic) => {
    if (diagnostic._tag !== 'Checkpoint') return;
    const { outcome } = diagnostic;
    trace(`${diagnostic.shardId} ${outcome._tag}${outcome._tag === 'LeaseLost' ? '' : ` ${outcome.position.toString()}`}`);
  };
}

async function main(): Promise<void> {
  const setup = decodeChaosWorkerSetup(process.argv[2]);
  const worker = incarnationName(setup.slot, setup.incarnation);
  const kinesis = connectKinesis(setup.aws);
  const dynamo = connectDynamoDb(setup.aws);
  const fd = openSync(deliveryLogPath(setup.logDir, worker), 'a');
  try {
    const trace = (text: string) => stampedIo.err(`[${worker}] ${text}`);
    const deps: ConsumerDeps = { kinesis: kinesis.client, leases: dynamo.client, logger: loggerFor(worker, stampedIo), onDiagnostic: traceDiagnostic(trace) };
    const stop$ = merge(fromEvent(process, 'SIGTERM'), fromEvent(process, 'disconnect')).pipe(
      take(1),
      tap(() => trace('stopping')),
    );
    const done = lastValueFrom(logDeliveries(chaosConsumerConf(setup), deps, worker, stop$, (line) => writeSync(fd, line), trace), { defaultValue: undefined });
    // Subscribed: SIGTERM now stops the consumer instead of ending the process.
    process.send?.({ type: 'ready' } satisfies ReadyMessage);
    await done;
    trace('stopped');
  } finally {
    closeSync(fd);
    kinesis.close();
    dynamo.close();
    if (process.connected) process.disconnect();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    stampedIo.err(`chaos worker failed: ${describeError(error)}`);
    process.exitCode = 1;
    if (process.connected) process.disconnect();
  });
}
