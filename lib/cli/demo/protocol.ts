/**
 * The messages between the demo and its worker processes, over the IPC channel `fork` opens, and
 * the setup a worker is started with.
 *
 * A worker reports what it consumed before it commits it: once a `consumed` message is written to
 * the channel, the demo will read it even if the worker is killed a moment later, so nothing the
 * checkpoint has passed can go unreported.
 * @packageDocumentation
 */
import { UsageError } from '../flags';
import type { AwsTarget } from '../aws-flags';

/** A message from a worker to the demo. */
export type WorkerMessage =
  /** The worker runs; its consumer is subscribed. */
  | { readonly type: 'started' }
  /** The worker took the lease of a shard and reads it. `at` is the worker's `Date.now()`. */
  | { readonly type: 'acquired'; readonly shardId: string; readonly at: number }
  /** The worker stopped reading a shard (lease lost, shard ended, or stopping). */
  | { readonly type: 'ended'; readonly shardId: string; readonly at: number }
  /**
   * Events consumed since the last report: their indexes as runs (`index-runs.ts`), how many
   * carried no index, and the shards read up to the tip of the stream (`millisBehindLatest` 0) by
   * the time of these events.
   */
  | { readonly type: 'consumed'; readonly runs: readonly number[]; readonly foreign: number; readonly caughtUp: readonly string[] }
  /** The consumer failed; the worker exits with an error after this. */
  | { readonly type: 'failed'; readonly message: string };

/** A message from the demo to a worker. */
export type DemoMessage =
  /**
   * Every worker has started: begin consuming. Workers wait for it so that they reach the lease
   * table together, however long each process took to load, and share the shards from the first
   * take round rather than one taking all and the other stealing (which redelivers).
   */
  | { readonly type: 'start' }
  /** Everything is consumed: stop gracefully (final checkpoints, leases released) and exit. */
  | { readonly type: 'stop' };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** True when `value` is a well-formed {@link WorkerMessage}. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'started':
      return true;
    case 'acquired':
    case 'ended':
      return typeof value['shardId'] === 'string' && isTime(value['at']);
    case 'consumed':
      return (
        Array.isArray(value['runs']) &&
        value['runs'].every((n) => typeof n === 'number') &&
        typeof value['foreign'] === 'number' &&
        Array.isArray(value['caughtUp']) &&
        value['caughtUp'].every((shardId) => typeof shardId === 'string')
      );
    case 'failed':
      return typeof value['message'] === 'string';
    default:
      return false;
  }
}

/** True when `value` is a {@link DemoMessage}. */
export function isDemoMessage(value: unknown): value is DemoMessage {
  return isObject(value) && (value['type'] === 'start' || value['type'] === 'stop');
}

/** What a worker process is told on its command line. */
export interface WorkerSetup {
  readonly workerId: string;
  readonly streamName: string;
  readonly tableName: string;
  readonly failoverTimeMillis: number;
  /** Read through enhanced fan-out; absent: polling. */
  readonly fanOut?: boolean;
  readonly aws: AwsTarget;
}

/**
 * The setup of a worker from its JSON form.
 * @throws UsageError naming what is missing or malformed
 */
export function decodeWorkerSetup(text: string): WorkerSetup {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the worker setup is not JSON: ${(error as Error).message}`, 'worker');
  }
  const problems: string[] = [];
  const setup = isObject(value) ? value : {};
  if (!isObject(value)) problems.push('not an object');
  for (const key of ['workerId', 'streamName', 'tableName'] as const) {
    if (typeof setup[key] !== 'string' || setup[key] === '') problems.push(`${key} must be a non-empty string`);
  }
  const failover = setup['failoverTimeMillis'];
  if (!(typeof failover === 'number' && Number.isSafeInteger(failover) && failover > 0)) problems.push('failoverTimeMillis must be a positive integer');
  if (setup['fanOut'] !== undefined && typeof setup['fanOut'] !== 'boolean') problems.push('fanOut must be a boolean');
  const aws = isObject(setup['aws']) ? setup['aws'] : undefined;
  if (aws === undefined) problems.push('aws must be an object');
  for (const key of ['region', 'kinesisEndpoint', 'dynamoDbEndpoint'] as const) {
    if (aws?.[key] !== undefined && typeof aws[key] !== 'string') problems.push(`aws.${key} must be a string`);
  }
  if (problems.length > 0) throw new UsageError(`bad worker setup: ${problems.join('; ')}`, 'worker');
  return value as unknown as WorkerSetup;
}
