/**
 * `reactive-kinesis tail <stream>`: prints the user records of a stream as they arrive, KPL
 * aggregates split into their records, without leases or checkpoints (so it disturbs no consumer).
 * @packageDocumentation
 */
import { identity, lastValueFrom, take, takeUntil, tap } from 'rxjs';
import { AWS_FLAGS, awsTargetOf, connectKinesis } from './aws-flags';
import { ExitCode, aborted$, type Command } from './command';
import { choiceFlag, integerFlag, positionals } from './flags';
import { recordFormatter } from './record-format';
import { tailRecords } from './tail-records';

export const tailCommand: Command = {
  name: 'tail',
  summary: 'print the records of a stream, deaggregated, as they arrive',
  synopsis: [
    'usage: reactive-kinesis tail <stream> [options]',
    '',
    'Prints every user record of <stream> (KPL aggregates split into their records) from each',
    'shard, one line each: shard, sequence number/sub-sequence, partition key, payload (UTF-8 text,',
    'else base64). Reads without leases: running consumers are not disturbed. Runs until',
    'interrupted, or until --limit records, or with --no-follow until every shard is caught up.',
  ].join('\n'),
  flags: [
    { name: 'from', value: 'trim-horizon|latest', description: 'where to start in each shard (default latest)' },
    { name: 'limit', value: 'N', description: 'stop after N records' },
    { name: 'no-follow', description: 'stop once every shard is caught up instead of waiting for more' },
    { name: 'format', value: 'text|json', description: 'one line of text (default) or one JSON object per record' },
    { name: 'poll-ms', value: 'N', description: 'pause between polls of a caught-up shard (default 1000)' },
    ...AWS_FLAGS,
  ],
  async run(parsed, { io, signal }) {
    const [stream] = positionals(parsed, ['stream']) as [string];
    const target = awsTargetOf(parsed);
    const from = choiceFlag(parsed, 'from', ['trim-horizon', 'latest'], 'latest');
    const limit = integerFlag(parsed, 'limit', 0, { min: 1, max: Number.MAX_SAFE_INTEGER });
    const pollMillis = integerFlag(parsed, 'poll-ms', 1000, { min: 200, max: 600_000 });
    const format = recordFormatter(choiceFlag(parsed, 'format', ['text', 'json'], 'text'));
    const follow = !parsed.switches.has('no-follow');

    const kinesis = connectKinesis(target);
    try {
      await lastValueFrom(
        tailRecords(kinesis.port, stream, { from, follow, pollMillis }).pipe(
          limit > 0 ? take(limit) : identity,
          tap((event) => io.out(format(event))),
          takeUntil(aborted$(signal)),
        ),
        { defaultValue: undefined },
      );
    } finally {
      kinesis.close();
    }
    return signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  },
};
