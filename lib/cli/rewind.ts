/**
 * `reactive-kinesis rewind <table> --to <position>`: moves the checkpoints of a consumer's lease
 * table (replay from the oldest record, skip to the tip, resume after a given record) without
 * redeploying the consumer or deleting its table.
 * @packageDocumentation
 */
import { lastValueFrom } from 'rxjs';
import { CompoundSequenceNumber, isCheckpointSentinel } from '../model/sequence-number';
import type { LeaseStorePort } from '../ports/lease-store-port';
import { AWS_FLAGS, awsTargetOf, connectDynamoDb } from './aws-flags';
import { ExitCode, type CliIo, type Command } from './command';
import { UsageError, listFlag, positionals, type ParsedFlags } from './flags';
import { REWIND_ATTEMPTS, formatRewindRows, rewindLeases, type RewindPlan } from './rewind-leases';

const POSITION_FORMS = 'trim-horizon, latest, <sequence-number> or <sequence-number>/<sub-sequence-number>';

/**
 * The checkpoint `--to` names: TRIM_HORIZON, LATEST, or a record position (`<seq>` is `<seq>/0`).
 * @throws UsageError naming the value and the accepted forms
 */
export function rewindPosition(text: string, command = 'rewind'): CompoundSequenceNumber {
  const lower = text.toLowerCase();
  if (lower === 'trim-horizon') return CompoundSequenceNumber.TRIM_HORIZON;
  if (lower === 'latest') return CompoundSequenceNumber.LATEST;
  const [sequence = '', sub, ...rest] = text.split('/');
  if (rest.length === 0 && !isCheckpointSentinel(sequence) && (sub === undefined || /^\d+$/.test(sub))) {
    try {
      return new CompoundSequenceNumber(sequence, sub === undefined ? 0 : Number(sub));
    } catch {
      // Not a sequence number after all (too long, a sub-sequence too large): said below.
    }
  }
  const hint = /^\d{4}-\d\d-\d\d/.test(text) ? '; a timestamp cannot be a checkpoint (see --help)' : '';
  throw new UsageError(`--to must be ${POSITION_FORMS}, got "${text}"${hint}`, command);
}

/** What the command line asks for. */
export interface RewindArguments {
  readonly table: string;
  readonly plan: RewindPlan;
  readonly json: boolean;
}

/**
 * The arguments of `rewind`.
 * @throws UsageError when the table or `--to` is missing or wrong, or a sequence number comes
 *   without exactly one `--shard`
 */
export function rewindArgumentsOf(parsed: ParsedFlags): RewindArguments {
  const [table] = positionals(parsed, ['table']) as [string];
  const toText = parsed.values.get('to');
  if (toText === undefined) throw new UsageError(`--to is required: ${POSITION_FORMS}`, parsed.command);
  const to = rewindPosition(toText, parsed.command);
  const shards = listFlag(parsed, 'shard');
  if (!to.isSentinel && shards.length !== 1) {
    throw new UsageError(`--to ${toText} is a sequence number, which belongs to one shard: give exactly one --shard (got ${shards.length})`, parsed.command);
  }
  return { table, plan: { to, shards, dryRun: parsed.switches.has('dry-run') }, json: parsed.switches.has('json') };
}

/**
 * Rewinds as `args` says and prints the rows.
 * @returns {@link ExitCode.ok} when no lease failed, else {@link ExitCode.failure}
 */
export async function runRewind(store: LeaseStorePort, args: RewindArguments, io: CliIo): Promise<number> {
  const rows = await lastValueFrom(rewindLeases(store, args.table, args.plan));
  io.out(args.json ? JSON.stringify(rows, null, 2) : formatRewindRows(rows, args.plan.dryRun));
  return rows.some((row) => row.status === 'failed') ? ExitCode.failure : ExitCode.ok;
}

export const rewindCommand: Command = {
  name: 'rewind',
  summary: 'move the checkpoints of a lease table: replay a stream, or skip to its tip',
  synopsis: [
    'usage: reactive-kinesis rewind <table> --to <position> [--shard <shard>]... [--dry-run] [options]',
    '',
    'Moves the checkpoints in the lease table <table>, so that the consumer reads its shards again',
    'from <position>, without redeploying it or deleting the table. <position> is one of:',
    '  trim-horizon   from the oldest record each shard keeps',
    '  latest         only records that arrive after the shard is next read',
    '  <seq>[/<sub>]  after that record (and user record of a KPL aggregate), as a checkpoint',
    '                 says; only with exactly one --shard, since sequence numbers belong to one shard',
    'Timestamps are not accepted: a checkpoint can only say "after record X" (or name a start),',
    "and an AT_TIMESTAMP checkpoint reads from the consumer's configured timestamp, not one kept",
    'in the lease. To replay from a time, find the last record before it in each shard (tail',
    '--format json shows arrivalTime) and rewind each shard to that record.',
    '',
    'Every lease of the table is rewound unless --shard names some; finished shards (SHARD_END)',
    'are skipped, since a parent rewound would be delivered again after its children. Each lease',
    'gets one write conditional on its counter; when a worker wrote in between, the lease is read',
    `and written again, up to ${REWIND_ATTEMPTS} times, then reported as failed (exit 1).`,
    '',
    "Owners are left as they are. A running owner's next renewal (or checkpoint) then fails its",
    'condition, so it stops reading the shard without writing anything; as the table still names',
    'it, its next take round takes the lease back first and reads from the new checkpoint, within',
    'about half the failover time. Events it had processed but not checkpointed are delivered again.',
  ].join('\n'),
  flags: [
    { name: 'to', value: 'POSITION', description: 'trim-horizon, latest, <seq> or <seq>/<sub> (required)' },
    { name: 'shard', value: 'SHARD', repeatable: true, description: 'rewind only this shard (repeat for more; default every lease)' },
    { name: 'dry-run', description: 'print what would change and write nothing' },
    { name: 'json', description: 'print the rows as a JSON array instead' },
    ...AWS_FLAGS,
  ],
  async run(parsed, { io }) {
    const args = rewindArgumentsOf(parsed);
    const dynamo = connectDynamoDb(awsTargetOf(parsed));
    try {
      return await runRewind(dynamo.port, args, io);
    } finally {
      dynamo.close();
    }
  },
};
