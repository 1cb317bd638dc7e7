/**
 * The flags of `npm run chaos`, checked into {@link ChaosOptions}.
 * @packageDocumentation
 */
import { integerFlag, positionals, textFlag, type FlagSpec, type ParsedFlags } from '../../lib/cli/flags';

/** What a chaos run does. */
export interface ChaosOptions {
  /** Seeds the fault schedule (`--seed`; default: drawn, and printed). */
  readonly seed: number;
  /** Events produced over the run (`--events`). */
  readonly events: number;
  /** How long events are produced and faults injected (`--duration-seconds`). */
  readonly durationMillis: number;
  /** Worker processes (`--workers`). */
  readonly workers: number;
  /** Shards of the stream (`--shards`). */
  readonly shards: number;
  /** `kcl.failoverTimeMillis` of the workers (`--failover-ms`). */
  readonly failoverTimeMillis: number;
  /** How long after production the workers may take to deliver every event (`--drain-timeout-seconds`). */
  readonly drainTimeoutMillis: number;
  /** Where the run makes the directory of its delivery logs (`--log-dir`; default: the system's temporary directory). */
  readonly logDir?: string;
  /** Print the report as JSON (`--json`). */
  readonly json: boolean;
}

export const CHAOS_DEFAULTS = {
  events: 30_000,
  durationSeconds: 120,
  workers: 4,
  shards: 8,
  failoverTimeMillis: 4_000,
  drainTimeoutSeconds: 90,
} as const;

export const CHAOS_FLAGS: readonly FlagSpec[] = [
  { name: 'seed', value: 'N', description: 'seed of the fault schedule (default: a new one, printed with the report)' },
  { name: 'events', value: 'N', description: `events produced over the run (default ${CHAOS_DEFAULTS.events.toLocaleString('en-US')})` },
  { name: 'duration-seconds', value: 'N', description: `how long events are produced and faults injected (default ${CHAOS_DEFAULTS.durationSeconds})` },
  { name: 'workers', value: 'N', description: `worker processes sharing the lease table (default ${CHAOS_DEFAULTS.workers})` },
  { name: 'shards', value: 'N', description: `shards of the stream (default ${CHAOS_DEFAULTS.shards})` },
  { name: 'failover-ms', value: 'N', description: `failoverTimeMillis of the workers (default ${CHAOS_DEFAULTS.failoverTimeMillis})` },
  { name: 'drain-timeout-seconds', value: 'N', description: `time allowed after production to deliver every event (default ${CHAOS_DEFAULTS.drainTimeoutSeconds})` },
  { name: 'log-dir', value: 'DIR', description: "where the run makes its directory of delivery logs (default: the system's temporary directory)" },
  { name: 'json', description: 'print the report as JSON on stdout (progress stays on stderr)' },
];

/**
 * The options of parsed flags.
 * @param drawSeed the seed when none is given
 * @throws UsageError when a value is out of range
 */
export function chaosOptionsOf(parsed: ParsedFlags, drawSeed: () => number): ChaosOptions {
  positionals(parsed, []);
  const logDir = textFlag(parsed, 'log-dir');
  return {
    seed: parsed.values.has('seed') ? integerFlag(parsed, 'seed', 0, { min: 0, max: 2 ** 32 - 1 }) : drawSeed(),
    events: integerFlag(parsed, 'events', CHAOS_DEFAULTS.events, { min: 1, max: 1_000_000 }),
    durationMillis: integerFlag(parsed, 'duration-seconds', CHAOS_DEFAULTS.durationSeconds, { min: 5, max: 3_600 }) * 1000,
    workers: integerFlag(parsed, 'workers', CHAOS_DEFAULTS.workers, { min: 2, max: 16 }),
    shards: integerFlag(parsed, 'shards', CHAOS_DEFAULTS.shards, { min: 1, max: 64 }),
    failoverTimeMillis: integerFlag(parsed, 'failover-ms', CHAOS_DEFAULTS.failoverTimeMillis, { min: 1_000, max: 60_000 }),
    drainTimeoutMillis: integerFlag(parsed, 'drain-timeout-seconds', CHAOS_DEFAULTS.drainTimeoutSeconds, { min: 5, max: 3_600 }) * 1000,
    ...(logDir === undefined ? {} : { logDir }),
    json: parsed.switches.has('json'),
  };
}
