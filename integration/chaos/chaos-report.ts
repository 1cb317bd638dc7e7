/**
 * The report of a chaos run: its settings and seed, the faults injected, the findings of the
 * delivery logs, and the invariants they must keep, each held or broken with what broke it.
 * @packageDocumentation
 */
import { ExitCode } from '../../lib/cli/command';
import { formatCount, formatMillis, shortShardId } from '../../lib/cli/format';
import type { CheckpointFinding, Findings } from './analysis';
import type { FaultKind } from './fault-schedule';

/** How the run ended. */
export type ChaosOutcome =
  /** Every acknowledged event was delivered within the drain timeout. */
  | 'complete'
  /** The drain timeout passed first. */
  | 'drain-timed-out'
  | 'interrupted'
  /** The stream could not be produced to, or no worker could be kept running. */
  | 'failed';

/** A fault as the report shows it. */
export interface FaultEntry {
  readonly kind: FaultKind;
  readonly worker: string;
  /** Milliseconds after production started. */
  readonly atMillis: number;
  /** The shards the worker had last delivered from (those it most likely held). */
  readonly shards: readonly string[];
  /** `pause`: how long the process was stopped. */
  readonly pausedMillis?: number;
  /** `kill` and `term`: the incarnation that replaced it. */
  readonly restartedAs?: string;
  /** `term`: how long the graceful stop took, until the process exited. */
  readonly stopMillis?: number;
  readonly duplicates: number;
  readonly zombies: number;
}

/** One invariant of the run. */
export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen: the figures behind a pass, what broke and the likely cause behind a failure. */
  readonly detail: string;
}

export interface ChaosReport {
  readonly outcome: ChaosOutcome;
  readonly seed: number;
  readonly settings: {
    readonly workers: number;
    readonly shards: number;
    readonly events: number;
    readonly durationMillis: number;
    readonly failoverTimeMillis: number;
    readonly drainTimeoutMillis: number;
  };
  readonly streamName: string;
  readonly tableName: string;
  /** Where the delivery logs (and each worker's stderr) are. */
  readonly logDir: string;
  readonly faults: readonly FaultEntry[];
  /** Planned faults not injected: no worker was in a state to take them. */
  readonly skippedFaults: number;
  readonly findings: Findings;
  /** Every worker process started, so that a caller can check none is left. */
  readonly workerPids: readonly number[];
  /** Producer acknowledgements that were failures. */
  readonly sendFailed: number;
  /** From production start: until production ended, until every event was delivered. */
  readonly produceMillis?: number;
  readonly drainedMillis?: number;
  readonly elapsedMillis: number;
  /** What went wrong besides the invariants' own figures: crashed workers, stops that timed out. */
  readonly problems: readonly string[];
  readonly invariants: readonly Invariant[];
}

const KIND_LABEL: Readonly<Record<FaultKind, string>> = { kill: 'kill (SIGKILL)', pause: 'pause (SIGSTOP)', term: 'graceful stop (SIGTERM)' };

const describeCheckpoint = (c: CheckpointFinding): string =>
  `shard ${shortShardId(c.shardId)}: checkpoint ${c.checkpoint}, last delivered ${c.lastDelivered ?? 'none'}${c.ahead ? ' (ahead)' : ''}${c.behind > 0 ? ` (${c.behind} behind)` : ''}`;

/** The invariants the findings must keep; see the README's `npm run chaos`. */
export function invariantsOf(findings: Findings, outcome: ChaosOutcome, problems: readonly string[]): Invariant[] {
  const { zombies, duplicates, order } = findings;
  const ahead = [...(findings.checkpointsAtDrain ?? []), ...(findings.checkpointsAfterStop ?? [])].filter((c) => c.ahead);
  const afterStop = findings.checkpointsAfterStop;
  const notAtLast = (afterStop ?? []).filter((c) => c.ahead || c.behind > 0 || c.owner !== null);
  const zombieWorkers = Object.entries(zombies.byWorker).map(([worker, n]) => `${worker} ${n}`).join(', ');
  return [
    {
      name: 'nothing lost',
      ok: findings.lost === 0 && findings.produced > 0,
      detail:
        findings.lost === 0
          ? `${formatCount(findings.distinct)} of ${formatCount(findings.produced)} produced events delivered`
          : `${formatCount(findings.lost)} of ${formatCount(findings.produced)} never delivered (lowest ids ${findings.lostSample.join(', ')})`,
    },
    {
      name: 'order within each lease tenure',
      ok: order.violations === 0,
      detail:
        order.violations === 0
          ? `positions increased in all ${formatCount(order.tenures)} tenures`
          : `${formatCount(order.violations)} deliveries not after the previous one of their tenure, e.g. ${order.sample.map((v) => `${v.worker} shard ${shortShardId(v.shardId)} #${v.tenure}: ${v.previous} then ${v.next}`).join('; ')}`,
    },
    {
      name: 'no zombie deliveries',
      ok: zombies.count === 0,
      detail:
        zombies.count === 0
          ? 'no delivery after another worker had delivered the same shard with a greater fencing token'
          : `${formatCount(zombies.count)} deliveries by workers whose shard another worker had taken over (${zombieWorkers}), e.g. ${zombies.sample
              .slice(0, 3)
              .map((z) => `${z.worker} delivered shard ${shortShardId(z.shardId)} event ${z.eventId ?? '?'} with token ${z.token}, ${formatMillis(z.lateByMillis)} after ${z.newerWorker} had delivered it with token ${z.newerToken}`)
              .join('; ')}: a worker went on emitting from a tenure another worker had taken over (it had been paused, or its lease was taken while it still held it), so emission was not fenced by the lease`,
    },
    {
      name: 'no duplicates after graceful stops',
      ok: duplicates.term === 0,
      detail:
        duplicates.term === 0
          ? `${formatCount(duplicates.total)} duplicates: ${formatCount(duplicates.kill)} after kills, ${formatCount(duplicates.pause)} after pauses, none after graceful stops, ${formatCount(duplicates.unattributed)} unattributed`
          : `${formatCount(duplicates.term)} events delivered again after a graceful stop, e.g. ${duplicates.afterTermSample
              .slice(0, 3)
              .map((d) => `event ${d.eventId} on shard ${shortShardId(d.shardId)} by ${d.workers.join(' then ')}`)
              .join('; ')}: the final checkpoint did not cover everything the stopped worker had delivered and committed`,
    },
    {
      name: 'checkpoints never past the last delivered record',
      ok: ahead.length === 0,
      detail: ahead.length === 0 ? 'at the end of the drain and after the final stop' : ahead.map(describeCheckpoint).join('; '),
    },
    {
      name: 'checkpoints at the last delivered record after the final stop, leases released',
      ok: afterStop !== undefined && notAtLast.length === 0,
      detail:
        afterStop === undefined
          ? 'the lease table could not be read after the final stop'
          : notAtLast.length === 0
            ? `all ${afterStop.length} shards`
            : notAtLast.map((c) => `${describeCheckpoint(c)}${c.owner === null ? '' : `, still owned by ${c.owner}`}`).join('; '),
    },
    {
      name: 'the run completed, every worker ran and stopped as told',
      ok: outcome === 'complete' && problems.length === 0,
      detail: outcome === 'complete' && problems.length === 0 ? 'yes' : `outcome ${outcome}${problems.length === 0 ? '' : `, ${problems.length} problems (below)`}`,
    },
  ];
}

/** 0 when every invariant held, 130 when interrupted, 1 otherwise. */
export function exitCodeOf(report: ChaosReport): number {
  if (report.outcome === 'interrupted') return ExitCode.interrupted;
  return report.invariants.every((invariant) => invariant.ok) ? ExitCode.ok : ExitCode.failure;
}

/** The report for people. */
export function formatChaosReport(report: ChaosReport): string {
  const { settings, findings } = report;
  const d = findings.duplicates;
  const atDrain = findings.checkpointsAtDrain;
  const lines = [
    `chaos run, seed ${report.seed}: ${settings.workers} workers (shards$, failoverTimeMillis ${formatCount(settings.failoverTimeMillis)}), ${settings.shards} shards, ${formatCount(settings.events)} events over ${formatMillis(settings.durationMillis)}`,
    `outcome: ${report.outcome}${report.drainedMillis === undefined ? '' : `, every event delivered ${formatMillis(report.drainedMillis)} after production started`}; ${formatMillis(report.elapsedMillis)} in all`,
    '',
    `faults: ${report.faults.length} injected${report.skippedFaults > 0 ? `, ${report.skippedFaults} skipped (no worker to take them)` : ''}`,
    ...report.faults.map((f) => {
      const what =
        f.kind === 'pause'
          ? f.pausedMillis === undefined
            ? 'not resumed'
            : `for ${formatMillis(f.pausedMillis)}`
          : `${f.stopMillis === undefined ? '' : `stopped in ${formatMillis(f.stopMillis)}, `}${f.restartedAs === undefined ? 'not restarted' : `restarted as ${f.restartedAs}`}`;
      const shards = f.shards.length === 0 ? 'no shards' : `shards ${f.shards.map(shortShardId).join(',')}`;
      return `  ${`${(f.atMillis / 1000).toFixed(1)} s`.padStart(7)}  ${KIND_LABEL[f.kind].padEnd(23)} ${f.worker.padEnd(6)} (${shards}) ${what}: ${formatCount(f.duplicates)} redelivered${f.zombies > 0 ? `, ${formatCount(f.zombies)} zombie deliveries` : ''}`;
    }),
    '',
    `produced ${formatCount(findings.produced)} (acknowledged)${report.sendFailed > 0 ? `, ${formatCount(report.sendFailed)} sends failed (${formatCount(findings.deliveredAfterSendFailed)} of those events delivered all the same)` : ''}`,
    `delivered ${formatCount(findings.deliveries)} times, ${formatCount(findings.distinct)} distinct produced events, lost ${formatCount(findings.lost)}${findings.producerCopies > 0 ? `; ${formatCount(findings.producerCopies)} events put twice by the producer` : ''}${findings.unexpected > 0 ? `; ${formatCount(findings.unexpected)} records not produced by the run` : ''}`,
    `duplicates ${formatCount(d.total)}: after a kill ${formatCount(d.kill)}, after a pause ${formatCount(d.pause)}, after a graceful stop ${formatCount(d.term)}, unattributed ${formatCount(d.unattributed)}`,
    `zombie deliveries ${formatCount(findings.zombies.count)}`,
    `order: ${formatCount(findings.order.tenures)} tenures, ${formatCount(findings.order.violations)} out of order`,
    ...(atDrain === undefined ? [] : [`checkpoints at the end of the drain: ${atDrain.filter((c) => !c.ahead && c.behind === 0).length}/${atDrain.length} at the last delivered record${atDrain.some((c) => c.behind > 0) ? ` (${atDrain.filter((c) => c.behind > 0).map(describeCheckpoint).join('; ')})` : ''}`]),
    '',
    'invariants:',
    ...report.invariants.map((invariant) => `  ${invariant.ok ? 'held  ' : 'BROKEN'}  ${invariant.name}: ${invariant.detail}`),
    ...(report.problems.length === 0 ? [] : ['', 'problems:', ...report.problems.map((problem) => `  ${problem}`)]),
    '',
    `seed ${report.seed}; delivery logs in ${report.logDir}`,
  ];
  return lines.join('\n');
}
