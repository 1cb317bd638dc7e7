/**
 * `reactive-kinesis leases <table>`: the lease table of a consumer application: who holds each
 * shard, the lease counter, the checkpoint and the parent shards.
 * @packageDocumentation
 */
import { lastValueFrom } from 'rxjs';
import { AWS_FLAGS, awsTargetOf, connectDynamoDb } from './aws-flags';
import { ExitCode, type Command } from './command';
import { positionals } from './flags';
import { formatLeaseTable } from './lease-table';

export const leasesCommand: Command = {
  name: 'leases',
  summary: 'show a lease table: owner, counter, checkpoint, parent shards',
  synopsis: [
    'usage: reactive-kinesis leases <table> [options]',
    '',
    'Prints every lease of the DynamoDB lease table <table> (by default a consumer names it',
    '<application-name>-<stream-name>): shard, owner, lease counter, checkpoint (sequence',
    'number/sub-sequence or a sentinel), owner switches since the checkpoint, parent shards.',
  ].join('\n'),
  flags: [{ name: 'json', description: 'print the leases as a JSON array instead' }, ...AWS_FLAGS],
  async run(parsed, { io }) {
    const [table] = positionals(parsed, ['table']) as [string];
    const dynamo = connectDynamoDb(awsTargetOf(parsed));
    try {
      const leases = await lastValueFrom(dynamo.port.listLeases(table));
      io.out(parsed.switches.has('json') ? JSON.stringify(leases, null, 2) : formatLeaseTable(leases));
    } finally {
      dynamo.close();
    }
    return ExitCode.ok;
  },
};
