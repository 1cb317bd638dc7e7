/**
 * The flags of `reactive-kinesis demo`, checked into {@link DemoOptions}.
 * @packageDocumentation
 */
import { AWS_FLAGS, awsTargetOf, type AwsTarget } from '../aws-flags';
import { UsageError, integerFlag, positionals, type FlagSpec, type ParsedFlags } from '../flags';

/** What the demo does. */
export interface DemoOptions {
  /** Events to produce (`--events`, default 100,000). */
  readonly events: number;
  /** Shards of the stream (`--shards`, default 4). */
  readonly shards: number;
  /** Worker processes (`--workers`, default 2). */
  readonly workers: number;
  /** SIGKILL one worker once half the events are consumed (`--kill-worker`). */
  readonly killWorker: boolean;
  /** The workers read through enhanced fan-out (`--fan-out`: `kcl.retrievalMode` FANOUT). */
  readonly fanOut: boolean;
  /** `kcl.failoverTimeMillis` of the workers (`--failover-ms`, default 3000). */
  readonly failoverTimeMillis: number;
  /** Give up after this long (`--timeout-seconds`, default 600). */
  readonly timeoutMillis: number;
  /** Leave the stream and the lease table in place (`--keep`). */
  readonly keep: boolean;
  /** Print the report as JSON (`--json`). */
  readonly json: boolean;
  readonly aws: AwsTarget;
}

export const DEMO_DEFAULTS = {
  events: 100_000,
  shards: 4,
  workers: 2,
  failoverTimeMillis: 3_000,
  timeoutSeconds: 600,
} as const;

export const DEMO_FLAGS: readonly FlagSpec[] = [
  { name: 'events', value: 'N', description: `events to produce (default ${DEMO_DEFAULTS.events.toLocaleString('en-US')})` },
  { name: 'shards', value: 'N', description: `shards of the new stream (default ${DEMO_DEFAULTS.shards})` },
  { name: 'workers', value: 'N', description: `consumer processes sharing the lease table (default ${DEMO_DEFAULTS.workers})` },
  { name: 'kill-worker', description: 'SIGKILL one worker halfway; the others must take its shards over and lose nothing' },
  { name: 'fan-out', description: 'the workers read through enhanced fan-out (SubscribeToShard) instead of GetRecords' },
  { name: 'failover-ms', value: 'N', description: `failoverTimeMillis of the workers (default ${DEMO_DEFAULTS.failoverTimeMillis})` },
  { name: 'timeout-seconds', value: 'N', description: `give up after this long (default ${DEMO_DEFAULTS.timeoutSeconds})` },
  { name: 'keep', description: 'keep the stream and the lease table afterwards (default: delete them)' },
  { name: 'json', description: 'print the report as JSON on stdout (progress stays on stderr)' },
  ...AWS_FLAGS,
];

/**
 * The options of parsed `demo` flags.
 * @throws UsageError when a value is out of range, or `--kill-worker` has no other worker to fail over to
 */
export function demoOptionsOf(parsed: ParsedFlags): DemoOptions {
  positionals(parsed, []);
  const workers = integerFlag(parsed, 'workers', DEMO_DEFAULTS.workers, { min: 1, max: 16 });
  const killWorker = parsed.switches.has('kill-worker');
  if (killWorker && workers < 2) throw new UsageError('--kill-worker needs at least 2 workers to fail over to', parsed.command);
  return {
    events: integerFlag(parsed, 'events', DEMO_DEFAULTS.events, { min: 1, max: 10_000_000 }),
    shards: integerFlag(parsed, 'shards', DEMO_DEFAULTS.shards, { min: 1, max: 64 }),
    workers,
    killWorker,
    fanOut: parsed.switches.has('fan-out'),
    failoverTimeMillis: integerFlag(parsed, 'failover-ms', DEMO_DEFAULTS.failoverTimeMillis, { min: 500, max: 600_000 }),
    timeoutMillis: integerFlag(parsed, 'timeout-seconds', DEMO_DEFAULTS.timeoutSeconds, { min: 5, max: 86_400 }) * 1000,
    keep: parsed.switches.has('keep'),
    json: parsed.switches.has('json'),
    aws: awsTargetOf(parsed),
  };
}
