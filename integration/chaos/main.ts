/**
 * `npm run chaos`: starts kinesis-local and dynalite on 127.0.0.1 (as `npm start` does), runs the
 * chaos test on them (see `chaos-run.ts`), prints the report, stops the emulators whatever happens,
 * and exits 0 when every invariant held, 1 when one broke, 2 on bad flags, 130 when interrupted.
 *
 *   npm run chaos -- [--seed N] [--events N] [--duration-seconds N] [--workers N] [--json] …
 * @packageDocumentation
 */
import { randomInt } from 'node:crypto';
import { describeError } from '../../lib/cli/aws-flags';
import { ExitCode, processIo, type Command } from '../../lib/cli/command';
import { UsageError, parseFlags } from '../../lib/cli/flags';
import { commandUsage, interruptSignal } from '../../lib/cli/main';
import { startDynalite, startKinesisLocal, type RunningEmulator } from '../../localstack/emulators';
import { CHAOS_FLAGS, chaosOptionsOf } from './chaos-options';
import { exitCodeOf, formatChaosReport } from './chaos-report';
import { runChaos } from './chaos-run';

const REGION = 'us-east-1';

export const chaosCommand: Command = {
  name: 'chaos',
  summary: 'kill, pause and stop consumer workers on a seed while events flow; check nothing is lost',
  synopsis: [
    'usage: npm run chaos -- [options]',
    '',
    'Starts kinesis-local and dynalite, a stream of --shards shards and --workers worker processes',
    'consuming it with shards$ (default settings, failoverTimeMillis --failover-ms) on one lease table.',
    'Produces --events events over --duration-seconds through produce(), and meanwhile, on a schedule',
    'drawn from --seed, kills workers (SIGKILL) and restarts them, pauses them (SIGSTOP) past the',
    'failover time and resumes them, and stops them gracefully (SIGTERM) and restarts them. Then waits',
    'until every event was delivered (or --drain-timeout-seconds), stops the workers, and reports from',
    "the workers' delivery logs: lost, duplicates by the fault that caused them, zombie deliveries,",
    'order within each lease tenure, and the checkpoints against the last delivered records.',
    'Exit code 0 when every invariant held, 1 when one broke, 130 when interrupted.',
  ].join('\n'),
  flags: CHAOS_FLAGS,
  async run(parsed, { io, signal }) {
    const options = chaosOptionsOf(parsed, () => randomInt(2 ** 31));
    const running: RunningEmulator[] = [];
    try {
      const kinesisLocal = await startKinesisLocal();
      running.push(kinesisLocal);
      const dynalite = await startDynalite();
      running.push(dynalite);
      io.err(`kinesis-local (Kinesis) on ${kinesisLocal.endpoint}, dynalite (DynamoDB) on ${dynalite.endpoint}`);
      // Emulators take any credentials; the workers inherit these.
      process.env['AWS_ACCESS_KEY_ID'] ??= 'x';
      process.env['AWS_SECRET_ACCESS_KEY'] ??= 'x';
      if (signal.aborted) return ExitCode.interrupted;
      const report = await runChaos(options, { region: REGION, kinesisEndpoint: kinesisLocal.endpoint, dynamoDbEndpoint: dynalite.endpoint }, { io, signal });
      io.out(options.json ? JSON.stringify(report) : formatChaosReport(report));
      return exitCodeOf(report);
    } finally {
      await Promise.allSettled(running.map((emulator) => emulator.stop()));
    }
  },
};

async function main(args: readonly string[]): Promise<number> {
  const interrupt = interruptSignal();
  try {
    const parsed = parseFlags(chaosCommand.name, args, chaosCommand.flags);
    if (parsed.help) {
      processIo.out(commandUsage(chaosCommand));
      return ExitCode.ok;
    }
    return await chaosCommand.run(parsed, { io: processIo, signal: interrupt.signal });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    processIo.err(`npm run chaos: ${error.message}\n(npm run chaos -- --help describes the options)`);
    return ExitCode.usage;
  } finally {
    interrupt.dispose();
  }
}

if (require.main === module) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      processIo.err(`npm run chaos: ${describeError(error)}`);
      process.exitCode = ExitCode.failure;
    },
  );
}
