/**
 * What every subcommand of the `reactive-kinesis` command line is: its flags, its usage text, and
 * a `run` that returns an exit code. Output goes through {@link CliIo} so that commands can run in
 * process (from `npm start`, from tests) as well as from the terminal.
 * @packageDocumentation
 */
import { defer, fromEvent, map, of, take, type Observable } from 'rxjs';
import type { FlagSpec, ParsedFlags } from './flags';

/** Exit codes of the command line. */
export const ExitCode = {
  /** Done, and nothing went wrong (the demo lost nothing). */
  ok: 0,
  /** The command ran and failed: an AWS error, or the demo lost records. */
  failure: 1,
  /** Bad arguments: nothing was done. */
  usage: 2,
  /** Stopped by SIGINT or SIGTERM (128 + SIGINT's number, as shells report it). */
  interrupted: 130,
} as const;

/** Where a command writes. Each call is one or more whole lines, without the final newline. */
export interface CliIo {
  /** Results: records, tables, the report. */
  out(text: string): void;
  /** Progress, warnings and errors. */
  err(text: string): void;
}

/** The console as {@link CliIo}. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** What a running command is given besides its flags. */
export interface CommandContext {
  readonly io: CliIo;
  /** Aborted on SIGINT or SIGTERM: the command should wind down and return {@link ExitCode.interrupted}. */
  readonly signal: AbortSignal;
}

/** One subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The synopsis and an explanation of the arguments, without the flag list. */
  readonly synopsis: string;
  /** Flags besides `--help`. */
  readonly flags: readonly FlagSpec[];
  /** Left out of the list of commands (the demo's worker processes). */
  readonly hidden?: boolean;
  /**
   * Runs the command on parsed flags.
   * @throws UsageError when a flag's value or a positional argument is wrong, before anything is done
   */
  run(parsed: ParsedFlags, context: CommandContext): Promise<number>;
}

/** Emits once when `signal` is aborted (at once when it already is), then completes. */
export function aborted$(signal: AbortSignal): Observable<void> {
  return defer(() => (signal.aborted ? of(undefined) : fromEvent(signal, 'abort').pipe(take(1), map(() => undefined))));
}
