#!/usr/bin/env node
/**
 * The `reactive-kinesis` command line: `demo`, `tail`, `leases`, `lag` and `rewind`, each a module
 * of its own. {@link runCli} runs one in this process and returns its exit code, so that `npm start`
 * can wrap the demo with local emulators.
 * @packageDocumentation
 */
import { describeError } from './aws-flags';
import { ExitCode, processIo, type CliIo, type Command } from './command';
import { demoCommand } from './demo/demo';
import { workerCommand } from './demo/worker';
import { UsageError, parseFlags, type FlagSpec } from './flags';
import { lagCommand } from './lag';
import { leasesCommand } from './leases';
import { rewindCommand } from './rewind';
import { tailCommand } from './tail';

/** Every subcommand, in the order of the help text. */
export const COMMANDS: readonly Command[] = [demoCommand, tailCommand, leasesCommand, lagCommand, rewindCommand, workerCommand];

/** The general usage: the commands and where AWS is found. */
export function mainUsage(): string {
  const visible = COMMANDS.filter((command) => command.hidden !== true);
  const width = Math.max(...visible.map((command) => command.name.length));
  return [
    'usage: reactive-kinesis <command> [options]',
    '',
    'Commands:',
    ...visible.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'AWS is found as the AWS SDK finds it (credentials chain, AWS_REGION, AWS_ENDPOINT_URL_KINESIS,',
    'AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL), or from --endpoint-kinesis, --endpoint-dynamodb and',
    '--region. `reactive-kinesis <command> --help` describes a command.',
  ].join('\n');
}

/** The usage of one command: synopsis and flags. */
export function commandUsage(command: Command): string {
  const flags: FlagSpec[] = [...command.flags, { name: 'help', description: 'show this help' }];
  const label = (flag: FlagSpec) => `--${flag.name}${flag.value === undefined ? '' : ` ${flag.value}`}`;
  const width = Math.max(...flags.map((flag) => label(flag).length));
  return [command.synopsis, '', 'Options:', ...flags.map((flag) => `  ${label(flag).padEnd(width)}  ${flag.description}`)].join('\n');
}

/**
 * Runs the command line `argv` (without node and the script) in this process.
 * @param signal aborted to interrupt the command (the process's SIGINT and SIGTERM when run as a program)
 * @returns the exit code (see {@link ExitCode})
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(mainUsage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.err(`reactive-kinesis: unknown command "${name}"\n\n${mainUsage()}`);
    return ExitCode.usage;
  }
  try {
    const parsed = parseFlags(command.name, args, command.flags);
    if (parsed.help) {
      io.out(commandUsage(command));
      return ExitCode.ok;
    }
    return await command.run(parsed, { io, signal });
  } catch (error) {
    if (error instanceof UsageError) {
      const synopsis = command.synopsis.split('\n')[0] ?? '';
      io.err(`reactive-kinesis ${command.name}: ${error.message}\n${synopsis}\n(reactive-kinesis ${command.name} --help describes the options)`);
      return ExitCode.usage;
    }
    io.err(`reactive-kinesis ${command.name}: ${describeError(error)}`);
    return ExitCode.failure;
  }
}

/** Signals this soon after the first are echoes of it (npm forwards the Ctrl-C the terminal also sends). */
const SIGNAL_ECHO_MILLIS = 2_000;

/**
 * An abort signal for SIGINT and SIGTERM: the first asks the command to wind down; another one,
 * once the echoes of the first are past, ends the process at once.
 */
export function interruptSignal(): { readonly signal: AbortSignal; readonly dispose: () => void } {
  const controller = new AbortController();
  let firstAt: number | undefined;
  const onSignal = () => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      controller.abort();
    } else if (Date.now() - firstAt > SIGNAL_ECHO_MILLIS) {
      process.exit(ExitCode.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

if (require.main === module) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  // `reactive-kinesis tail s | head`: the reader has gone, which ends the command, not in an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(ExitCode.ok);
  });
  const interrupt = interruptSignal();
  void runCli(process.argv.slice(2), processIo, interrupt.signal).then((code) => {
    interrupt.dispose();
    process.exitCode = code;
  });
}
