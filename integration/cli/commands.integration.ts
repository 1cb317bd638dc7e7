/**
 * `tail`, `leases`, `lag` and `rewind` on kinesis-local and dynalite, run in process through
 * `runCli` with endpoint flags, on a stream written with `produce()` (KPL aggregates) and lease
 * tables written through the lease store port.
 */
import { expect } from 'chai';
import { lastValueFrom, map, range, toArray } from 'rxjs';
import type { CliIo } from '../../lib/cli/command';
import { runCli } from '../../lib/cli/main';
import { decodeKinesisConfig, producerConf } from '../../lib/config';
import { isSendSuccessful } from '../../lib/model/send-result';
import { awsLeaseStorePort } from '../../lib/ports/aws/dynamo-lease-store';
import type { LeaseStorePort } from '../../lib/ports/lease-store-port';
import { awsKinesisPort } from '../../lib/ports/aws/kinesis-adapter';
import { produce } from '../../lib/producer/produce';
import { freePort } from '../../localstack/emulators';
import { TEST_CREDENTIALS, TEST_REGION, dynalite, kinesisLocal, testDynamoDbClient, testKinesisClient, uniqueName } from '../support/emulators';

const EVENTS = 300;

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (text) => out.push(...text.split('\n')), err: (text) => err.push(...text.split('\n')) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('reactive-kinesis tail, leases, lag and rewind', function () {
  this.timeout(30_000);
  let endpoints: string[];
  let stream: string;
  let table: string;
  let sequenceOf: Map<string, string>;
  let leases: LeaseStorePort;

  const savedEnv = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };

  before(async function () {
    // The commands take their credentials from the environment, as the SDK does.
    process.env['AWS_ACCESS_KEY_ID'] = TEST_CREDENTIALS.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = TEST_CREDENTIALS.secretAccessKey;
    const [kl, dl] = await Promise.all([kinesisLocal(), dynalite()]);
    endpoints = ['--endpoint-kinesis', kl.endpoint, '--endpoint-dynamodb', dl.endpoint, '--region', TEST_REGION];
    stream = uniqueName('cli');
    table = uniqueName('cli-leases');
    const client = testKinesisClient(kl.endpoint);
    await lastValueFrom(awsKinesisPort(client).createStream(stream, 2), { defaultValue: undefined });
    const conf = producerConf(decodeKinesisConfig({ p: { 'stream-name': stream } }), 'p');
    const results = await lastValueFrom(
      range(0, EVENTS).pipe(
        map((i) => ({ partitionKey: `key-${i % 10}`, payload: `event-${i}` })),
        produce(conf, { kinesis: client }),
        toArray(),
      ),
    );
    expect(results.every(isSendSuccessful)).to.equal(true);
    sequenceOf = new Map(results.filter(isSendSuccessful).map((r) => [String(r.event.payload), r.sequenceNumber]));

    leases = awsLeaseStorePort(testDynamoDbClient(dl.endpoint));
    await lastValueFrom(leases.ensureTable(table), { defaultValue: undefined });
    const base = { leaseCounter: 7, checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 1, parentShardIds: [] };
    await lastValueFrom(leases.createLease(table, { ...base, leaseKey: 'shardId-000000000000', leaseOwner: 'worker-a', checkpoint: 'TRIM_HORIZON' }));
    await lastValueFrom(leases.createLease(table, { ...base, leaseKey: 'shardId-000000000001', checkpoint: 'SHARD_END', parentShardIds: ['shardId-000000000009'] }));
  });

  after(() => {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', savedEnv.id], ['AWS_SECRET_ACCESS_KEY', savedEnv.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('tail --from trim-horizon --no-follow --format json prints every user record once, with sub-sequence numbers, then exits 0', async () => {
    const { code, out, err } = await run('tail', stream, '--from', 'trim-horizon', '--no-follow', '--format', 'json', ...endpoints);
    expect(code, err.join('\n')).to.equal(0);
    const records = out.map((line) => JSON.parse(line) as { data: string; sequenceNumber: string; subSequenceNumber: number; shardId: string });
    expect(records.map((r) => r.data).sort()).to.deep.equal([...sequenceOf.keys()].sort());
    for (const r of records) expect(r.sequenceNumber, r.data).to.equal(sequenceOf.get(r.data));
    expect(records.some((r) => r.subSequenceNumber > 0), 'aggregated').to.equal(true);
  });

  it('tail --limit stops after that many records; from LATEST shows nothing old', async () => {
    const limited = await run('tail', stream, '--from', 'trim-horizon', '--limit', '5', ...endpoints);
    expect(limited.code).to.equal(0);
    expect(limited.out).to.have.length(5);
    expect(limited.out[0]).to.match(/^shardId-00000000000[01] {2}\d+\/\d+ {2}key-\d {2}event-\d+$/);
    const latest = await run('tail', stream, '--no-follow', ...endpoints);
    expect(latest.code).to.equal(0);
    expect(latest.out).to.deep.equal([]);
  });

  it('leases prints the lease table', async () => {
    const { code, out } = await run('leases', table, ...endpoints);
    expect(code).to.equal(0);
    expect(out).to.deep.equal([
      'SHARD                 OWNER     COUNTER  CHECKPOINT    SWITCHES  PARENTS',
      'shardId-000000000000  worker-a  7        TRIM_HORIZON  1         -',
      'shardId-000000000001  -         7        SHARD_END     1         shardId-000000000009',
      '2 leases (1 finished); held: worker-a 1',
    ]);
  });

  it('lag measures each shard from its checkpoint', async () => {
    const { code, out } = await run('lag', stream, '--table', table, '--json', ...endpoints);
    expect(code).to.equal(0);
    const lags = JSON.parse(out.join('\n')) as { shardId: string; owner?: string; millisBehindLatest?: number; note?: string }[];
    expect(lags.map((l) => [l.shardId, l.owner, l.note])).to.deep.equal([
      ['shardId-000000000000', 'worker-a', undefined],
      ['shardId-000000000001', undefined, 'finished (SHARD_END)'],
    ]);
    expect(lags[0]?.millisBehindLatest).to.be.a('number');
  });

  it('rewind --to trim-horizon moves every unfinished checkpoint in one conditional write each, owners kept', async () => {
    const rewound = uniqueName('cli-rewind');
    await lastValueFrom(leases.ensureTable(rewound), { defaultValue: undefined });
    const base = { leaseCounter: 7, ownerSwitchesSinceCheckpoint: 1, parentShardIds: [] };
    const checkpoint = sequenceOf.get('event-0')!;
    await lastValueFrom(
      leases.createLease(rewound, { ...base, leaseKey: 'shardId-000000000000', leaseOwner: 'worker-a', checkpoint, checkpointSubSequenceNumber: 2, pendingCheckpoint: checkpoint, pendingCheckpointSubSequenceNumber: 3 }),
    );
    await lastValueFrom(leases.createLease(rewound, { ...base, leaseKey: 'shardId-000000000001', checkpoint: 'SHARD_END', checkpointSubSequenceNumber: 0 }));

    const { code, out, err } = await run('rewind', rewound, '--to', 'trim-horizon', ...endpoints);
    expect(code, err.join('\n')).to.equal(0);
    expect(out).to.deep.equal([
      'SHARD                 OWNER     CHECKPOINT',
      `shardId-000000000000  worker-a  ${checkpoint}/2 → TRIM_HORIZON  rewound`,
      `shardId-000000000001  -         ${'SHARD_END'.padEnd(`${checkpoint}/2 → TRIM_HORIZON`.length)}  skipped (finished)`,
      '1 rewound, 1 skipped (finished)',
    ]);
    const after = await run('leases', rewound, ...endpoints);
    expect(after.out.slice(1, 3)).to.deep.equal([
      'shardId-000000000000  worker-a  8        TRIM_HORIZON  0         -',
      'shardId-000000000001  -         7        SHARD_END     1         -',
    ]);
    const stored = await lastValueFrom(leases.getLease(rewound, 'shardId-000000000000'));
    expect(stored?.pendingCheckpoint).to.equal(undefined);
    expect(stored?.pendingCheckpointSubSequenceNumber).to.equal(undefined);
  });

  it('a missing stream or table exits 1 with the service\'s reason; an endpoint that is down says so', async () => {
    const missing = await run('tail', 'no-such-stream', '--no-follow', ...endpoints);
    expect(missing.code).to.equal(1);
    expect(missing.err.join('\n')).to.match(/^reactive-kinesis tail: Kinesis ListShards failed \(ResourceNotFoundException\)/);
    const noTable = await run('leases', 'no-such-table', ...endpoints);
    expect(noTable.code).to.equal(1);
    expect(noTable.err.join('\n')).to.include('no-such-table');
    const down = await run('leases', table, '--endpoint-dynamodb', `http://127.0.0.1:${await freePort()}`, '--region', TEST_REGION);
    expect(down.code).to.equal(1);
    expect(down.err.join('\n')).to.match(/is the endpoint running\?/);
  });
});
