/**
 * The demo's final report: what was produced and consumed, what was lost or delivered twice, how
 * fast, who held the leases, and how long a failover took; as text or JSON, and its exit code.
 * @packageDocumentation
 */
import { ExitCode } from '../command';
import { formatCount, formatMillis, formatRate, shortShardId } from '../format';
import { formatOwnerCounts } from '../lease-table';
import type { ConsumptionSummary } from './tally';

/** How the run ended. */
export type DemoOutcome =
  /** Every acknowledged event was consumed (and, after a kill, the failover finished). */
  | 'complete'
  | 'timed-out'
  | 'interrupted'
  /** Every worker process died. */
  | 'workers-failed'
  /** The producer failed as a whole (the stream could not be used). */
  | 'produce-failed';

/** The kill of a worker and what followed. */
export interface KillReport {
  readonly workerId: string;
  /** Distinct events consumed when it was killed. */
  readonly atConsumed: number;
  /** The shards it read. */
  readonly shards: readonly string[];
  readonly failoverTimeMillis: number;
  /** From SIGKILL until other workers had taken all its shards; absent when they never did or it held none. */
  readonly failoverMillis?: number;
}

/** The lease table after the workers stopped. */
export interface LeasesAfterStop {
  /** Unfinished leases per owner (`(none)`: released). */
  readonly owners: Readonly<Record<string, number>>;
  /** Leases whose checkpoint is the last record produced into their shard. */
  readonly atLastRecord: number;
  /** Shards that received records. */
  readonly shardsWithRecords: number;
}

/** Everything the demo reports. */
export interface DemoReport {
  readonly outcome: DemoOutcome;
  readonly streamName: string;
  readonly tableName: string;
  readonly shards: number;
  readonly workers: readonly string[];
  readonly consumption: ConsumptionSummary;
  /** From the first event offered to the last result. */
  readonly produceMillis?: number;
  /** From the first event offered until every acknowledged event was consumed. */
  readonly consumeMillis?: number;
  readonly kill?: KillReport;
  /** Unfinished leases per owner when everything was consumed, before the workers stopped. */
  readonly leasesAtEnd?: Readonly<Record<string, number>>;
  readonly leasesAfterStop?: LeasesAfterStop;
  readonly elapsedMillis: number;
  /** Problems met on the way (a worker that exited, a failed send, a cleanup that failed). */
  readonly problems: readonly string[];
}

/**
 * 0 when the run completed, lost nothing and met no problem (every send acknowledged, every worker
 * stopped gracefully); 130 when interrupted; 1 otherwise.
 */
export function exitCodeOf(report: DemoReport): number {
  if (report.outcome === 'interrupted') return ExitCode.interrupted;
  const { lost, sendFailed } = report.consumption;
  return report.outcome === 'complete' && lost === 0 && sendFailed === 0 && report.problems.length === 0 ? ExitCode.ok : ExitCode.failure;
}

const OUTCOMES: Readonly<Record<DemoOutcome, string>> = {
  complete: 'complete',
  'timed-out': 'timed out before everything was consumed',
  interrupted: 'interrupted',
  'workers-failed': 'every worker process died',
  'produce-failed': 'the producer failed',
};

/** The report as text, one fact a line. */
export function formatReport(report: DemoReport): string {
  const c = report.consumption;
  const ok = exitCodeOf(report) === ExitCode.ok;
  const lines = [
    '',
    `reactive-kinesis demo: ${ok ? 'OK' : 'FAILED'} (${OUTCOMES[report.outcome]}) in ${formatMillis(report.elapsedMillis)}`,
    `  stream          ${report.streamName} (${report.shards} shards), lease table ${report.tableName}`,
    `  produced        ${formatCount(c.sent)} of ${formatCount(c.events)} events${c.sendFailed > 0 ? `, ${formatCount(c.sendFailed)} failed` : ''}` +
      (report.produceMillis === undefined ? '' : ` in ${formatMillis(report.produceMillis)} (${formatRate(c.sent, report.produceMillis)})`),
    // Short of completion, what is missing may only be late.
    `  consumed        ${formatCount(c.deliveries)} deliveries: ${formatCount(c.distinct)} distinct, ${formatCount(c.duplicates)} duplicates, ${formatCount(c.lost)} ${report.outcome === 'complete' ? 'lost' : 'not consumed'}` +
      (c.unexpected > 0 ? `, ${formatCount(c.unexpected)} unexpected` : ''),
    ...(report.consumeMillis === undefined ? [] : [`  consume rate    ${formatRate(c.distinct, report.consumeMillis)} (all consumed ${formatMillis(report.consumeMillis)} after the first event was offered)`]),
    `  by worker       ${report.workers.map((w) => `${w} ${formatCount(c.byWorker[w] ?? 0)}`).join(', ')}`,
  ];
  if (report.kill !== undefined) {
    const k = report.kill;
    const shards = k.shards.length === 0 ? 'no shards' : `shards ${k.shards.map(shortShardId).join(',')}`;
    const failover =
      k.failoverMillis === undefined
        ? k.shards.length === 0
          ? 'nothing to take over'
          : 'its shards were not all taken over'
        : `its shards taken over ${formatMillis(k.failoverMillis)} later (failoverTimeMillis ${formatCount(k.failoverTimeMillis)}, ratio ${(k.failoverMillis / k.failoverTimeMillis).toFixed(2)})`;
    lines.push(`  killed          ${k.workerId} (SIGKILL) at ${formatCount(k.atConsumed)} consumed, holding ${shards}; ${failover}`);
  }
  if (report.leasesAtEnd !== undefined) lines.push(`  leases at end   ${formatOwnerCounts(report.leasesAtEnd)}`);
  if (report.leasesAfterStop !== undefined) {
    const after = report.leasesAfterStop;
    lines.push(
      `  after stop      ${formatOwnerCounts(after.owners)}; checkpoint at the last record in ${after.atLastRecord} of ${after.shardsWithRecords} shards with records`,
    );
  }
  if (c.duplicates > 0) lines.push('  (duplicates are expected after a failover: events after the last checkpoint are delivered again)');
  for (const problem of report.problems) lines.push(`  problem         ${problem}`);
  return lines.join('\n');
}
