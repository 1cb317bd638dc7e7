/**
 * Starting a demo worker as a process of its own: the same command-line entry, run by the same
 * Node with the same flags, with the hidden `worker` subcommand and an IPC channel. From source
 * (`tsx`, `node --import tsx`, `node --require tsx/cjs`) the entry is `main.ts` and Node's own
 * flags carry the TypeScript loader to the child; compiled, it is `main.js`.
 * @packageDocumentation
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import type { WorkerSetup } from './protocol';

/** The command-line entry next to this module, in the same form (`.ts` from source, `.js` compiled). */
export function cliEntry(): string {
  return join(__dirname, '..', `main${extname(__filename)}`);
}

const LOADER_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);

/**
 * Node flags for a worker running `entry`: the parent's own (its loader, memory limits, …). A
 * TypeScript entry run from a process whose loader was registered some other way (a test runner's
 * `--require tsx/cjs` option is not among Node's flags) gets tsx's CommonJS hook, which is how this
 * repository runs TypeScript.
 */
export function workerExecArgv(entry: string, execArgv: readonly string[]): string[] {
  const hasLoader = execArgv.some((flag) => LOADER_FLAGS.has(flag.split('=')[0]!));
  return entry.endsWith('.ts') && !hasLoader ? [...execArgv, '--require', 'tsx/cjs'] : [...execArgv];
}

/** Forks a worker for `setup`; its output goes to this process's stdout and stderr. */
export function forkWorker(setup: WorkerSetup): ChildProcess {
  const entry = cliEntry();
  return fork(entry, ['worker', JSON.stringify(setup)], {
    execArgv: workerExecArgv(entry, process.execArgv),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ?? 'true' },
  });
}
