/**
 * `rewind` must:
 * - write TRIM_HORIZON, LATEST or a record position into each chosen lease, resetting the owner
 *   switches and removing any pending checkpoint, and leave owners alone;
 * - skip finished leases; rewind only the shards named, refusing an unknown one before writing;
 * - accept a sequence number only for exactly one shard, and refuse what is not a position;
 * - write nothing on a dry run;
 * - retry a write a worker's renewal got in before, and fail only the lease that keeps changing;
 * - make a running consumer read the shard again from the new checkpoint.
 */
import { expect } from 'chai';
import * as sinon from 'sinon';
import { defer, VirtualTimeScheduler } from 'rxjs';
import type { CliIo } from '../../lib/cli/command';
import { UsageError, parseFlags } from '../../lib/cli/flags';
import { runCli } from '../../lib/cli/main';
import { rewindArgumentsOf, rewindCommand, rewindPosition, runRewind } from '../../lib/cli/rewind';
import { REWIND_ATTEMPTS, formatRewindRows, rewindLeases, type RewindPlan, type RewindRow } from '../../lib/cli/rewind-leases';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import type { LeaseUpdate } from '../../lib/ports/lease-store-port';
import { InMemoryLeaseStore } from '../../lib/testing';
import { ConsumerFleet, STREAM, TABLE as FLEET_TABLE, texts } from '../consumer/support/consumer-fleet';
import { errorOf, valueOf } from '../testing/virtual-time';
import { testLease } from '../support/leases';

const TABLE = 'app-s';
const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
const S2 = 'shardId-000000000002';

const lease = testLease;

/** Has a worker renew the lease `shardId` of `store` just before each of the next `times` writes to it. */
function renewBeforeWrites(store: InMemoryLeaseStore, shardId: string, times: number): void {
  const write = store.updateLease.bind(store);
  let left = times;
  sinon.stub(store, 'updateLease').callsFake((table: string, key: string, update: LeaseUpdate) =>
    defer(() => {
      if (key === shardId && left > 0) {
        left -= 1;
        store.forceUpdate(table, key, {});
      }
      return write(table, key, update);
    }),
  );
}

describe('cli/rewind', () => {
  let scheduler: VirtualTimeScheduler;
  let store: InMemoryLeaseStore;

  afterEach(() => sinon.restore());

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    store = new InMemoryLeaseStore({ scheduler, tables: [TABLE] });
    store.putLease(TABLE, lease(S0, { leaseOwner: 'w1', leaseCounter: 7, checkpoint: '4955', checkpointSubSequenceNumber: 3, ownerSwitchesSinceCheckpoint: 2, pendingCheckpoint: '5000', pendingCheckpointSubSequenceNumber: 1 }));
    store.putLease(TABLE, lease(S1, { leaseCounter: 3, checkpoint: '12' }));
    store.putLease(TABLE, lease(S2, { leaseOwner: 'w2', leaseCounter: 9, checkpoint: 'SHARD_END', parentShardIds: [S0] }));
  });

  const rewind = (plan: RewindPlan): RewindRow[] => valueOf(scheduler, rewindLeases(store, TABLE, plan));

  /** The command on the in-memory store, from its flags (after the subcommand). */
  async function command(...argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const io: CliIo = { out: (text) => out.push(text), err: () => undefined };
    const done = runRewind(store, rewindArgumentsOf(parseFlags('rewind', argv, rewindCommand.flags)), io);
    scheduler.flush();
    return { code: await done, out: out.join('\n') };
  }

  describe('rewindLeases', () => {
    it('rewinds every unfinished lease to TRIM_HORIZON: one write each, owner kept, switches reset, pending checkpoint removed', () => {
      const finished = store.lease(TABLE, S2);
      const rows = rewind({ to: CompoundSequenceNumber.TRIM_HORIZON, dryRun: false });
      expect(rows).to.deep.equal([
        { shardId: S0, owner: 'w1', from: '4955/3', to: 'TRIM_HORIZON', status: 'rewound' },
        { shardId: S1, from: '12/0', to: 'TRIM_HORIZON', status: 'rewound' },
        { shardId: S2, owner: 'w2', from: 'SHARD_END', status: 'skipped', reason: 'finished' },
      ]);
      expect(store.lease(TABLE, S0)).to.deep.equal(lease(S0, { leaseOwner: 'w1', leaseCounter: 8, checkpoint: 'TRIM_HORIZON' }));
      expect(store.lease(TABLE, S1)).to.deep.equal(lease(S1, { leaseCounter: 4, checkpoint: 'TRIM_HORIZON' }));
      expect(store.lease(TABLE, S2), 'finished lease untouched').to.deep.equal(finished);
      expect(store.calls.updateLease).to.equal(2);
    });

    it('ends a graceful handoff in progress: checkpointOwner removed, so the new owner takes the lease at once', () => {
      store.putLease(TABLE, lease(S1, { leaseOwner: 'w2', checkpointOwner: 'w1', leaseCounter: 3, checkpoint: '12' }));
      const rows = rewind({ to: CompoundSequenceNumber.TRIM_HORIZON, dryRun: false, shards: [S1] });
      expect(rows.map((r) => r.status)).to.deep.equal(['rewound']);
      expect(store.lease(TABLE, S1)).to.deep.equal(lease(S1, { leaseOwner: 'w2', leaseCounter: 4, checkpoint: 'TRIM_HORIZON' }));
    });

    it('rewinds to LATEST', () => {
      const rows = rewind({ to: CompoundSequenceNumber.LATEST, dryRun: false });
      expect(rows.map((r) => [r.shardId, r.to, r.status])).to.deep.equal([
        [S0, 'LATEST', 'rewound'],
        [S1, 'LATEST', 'rewound'],
        [S2, undefined, 'skipped'],
      ]);
      expect(store.lease(TABLE, S0)).to.include({ checkpoint: 'LATEST', checkpointSubSequenceNumber: 0, leaseOwner: 'w1' });
    });

    it('moves one shard to a record position, sub-sequence included; the other shards stay', () => {
      const other = store.lease(TABLE, S1);
      expect(rewind({ to: new CompoundSequenceNumber('4900', 2), shards: [S0], dryRun: false })).to.deep.equal([
        { shardId: S0, owner: 'w1', from: '4955/3', to: '4900/2', status: 'rewound' },
      ]);
      expect(store.lease(TABLE, S0)).to.include({ checkpoint: '4900', checkpointSubSequenceNumber: 2, ownerSwitchesSinceCheckpoint: 0 });
      expect(store.lease(TABLE, S1)).to.deep.equal(other);
    });

    it('rewinds only the shards named, and skips a finished one even when named', () => {
      const rows = rewind({ to: CompoundSequenceNumber.TRIM_HORIZON, shards: [S2, S1], dryRun: false });
      expect(rows.map((r) => [r.shardId, r.status])).to.deep.equal([
        [S1, 'rewound'],
        [S2, 'skipped'],
      ]);
      expect(store.lease(TABLE, S0)).to.include({ checkpoint: '4955', leaseCounter: 7 });
      expect(store.calls.updateLease).to.equal(1);
    });

    it('refuses a shard without a lease, naming it, before writing anything', () => {
      const before = store.leases(TABLE);
      const error = errorOf(scheduler, rewindLeases(store, TABLE, { to: CompoundSequenceNumber.TRIM_HORIZON, shards: [S0, 'shardId-000000000042'], dryRun: false }));
      expect(error).to.be.instanceOf(UsageError);
      expect(error.message).to.equal(`no lease for shard shardId-000000000042 in table ${TABLE} (reactive-kinesis leases ${TABLE} lists them); nothing was written`);
      expect(store.calls.updateLease).to.equal(0);
      expect(store.leases(TABLE)).to.deep.equal(before);
    });

    it('a dry run reports what would change and writes nothing', () => {
      const before = store.leases(TABLE);
      const rows = rewind({ to: CompoundSequenceNumber.LATEST, dryRun: true });
      expect(rows.map((r) => [r.shardId, r.from, r.to, r.status])).to.deep.equal([
        [S0, '4955/3', 'LATEST', 'dry-run'],
        [S1, '12/0', 'LATEST', 'dry-run'],
        [S2, 'SHARD_END', undefined, 'skipped'],
      ]);
      expect(store.leases(TABLE)).to.deep.equal(before);
      expect(store.calls.updateLease).to.equal(0);
    });

    it('reads the lease again and retries when a worker renewed it between the read and the write', () => {
      renewBeforeWrites(store, S0, 1);
      const rows = rewind({ to: CompoundSequenceNumber.TRIM_HORIZON, dryRun: false });
      expect(rows[0]).to.deep.equal({ shardId: S0, owner: 'w1', from: '4955/3', to: 'TRIM_HORIZON', status: 'rewound' });
      // 7, renewed to 8, rewound to 9.
      expect(store.lease(TABLE, S0)).to.include({ leaseCounter: 9, checkpoint: 'TRIM_HORIZON', leaseOwner: 'w1' });
      expect(store.calls.updateLease).to.equal(3);
      expect(store.calls.getLease).to.equal(1);
    });

    it(`fails only the lease that changes before each of ${REWIND_ATTEMPTS} writes; the others are rewound and the command exits 1`, async () => {
      renewBeforeWrites(store, S0, Infinity);
      const { code, out } = await command(TABLE, '--to', 'trim-horizon', '--json');
      expect(code).to.equal(1);
      const rows = JSON.parse(out) as RewindRow[];
      expect(rows.map((r) => [r.shardId, r.status])).to.deep.equal([
        [S0, 'failed'],
        [S1, 'rewound'],
        [S2, 'skipped'],
      ]);
      expect(rows[0]?.reason).to.equal(`the lease changed before each of ${REWIND_ATTEMPTS} writes (a worker keeps writing to it); try again`);
      expect(store.lease(TABLE, S0)).to.include({ checkpoint: '4955', leaseCounter: 7 + REWIND_ATTEMPTS });
      expect(store.lease(TABLE, S1)).to.include({ checkpoint: 'TRIM_HORIZON' });
      expect(store.calls.updateLease).to.equal(REWIND_ATTEMPTS + 1);
    });

    it('a store error writing one lease fails that row only', () => {
      store.faults.add({ operation: 'updateLease', fault: 'throttle', when: (call) => call.leaseKey === S1 });
      const rows = rewind({ to: CompoundSequenceNumber.TRIM_HORIZON, dryRun: false });
      expect(rows[0]?.status).to.equal('rewound');
      expect(rows[1]).to.include({ shardId: S1, status: 'failed' });
      expect(rows[1]?.reason).to.match(/throughput/);
    });
  });

  describe('output', () => {
    it('prints shard, owner, old → new checkpoint and the outcome, then the counts', () => {
      const text = formatRewindRows(
        [
          { shardId: S0, owner: 'w1', from: '4955/3', to: 'TRIM_HORIZON', status: 'rewound' },
          { shardId: S1, from: '12/0', to: 'TRIM_HORIZON', status: 'failed', reason: 'the lease was deleted' },
          { shardId: S2, owner: 'w2', from: 'SHARD_END', status: 'skipped', reason: 'finished' },
        ],
        false,
      );
      expect(text.split('\n')).to.deep.equal([
        'SHARD                 OWNER  CHECKPOINT',
        'shardId-000000000000  w1     4955/3 → TRIM_HORIZON  rewound',
        'shardId-000000000001  -      12/0 → TRIM_HORIZON    failed: the lease was deleted',
        'shardId-000000000002  w2     SHARD_END              skipped (finished)',
        '1 rewound, 1 skipped (finished), 1 failed',
      ]);
    });

    it('the command prints the table and exits 0; a dry run says it wrote nothing', async () => {
      const dry = await command(TABLE, '--to', 'latest', '--dry-run');
      expect(dry.code).to.equal(0);
      expect(dry.out.split('\n')).to.deep.equal([
        'SHARD                 OWNER  CHECKPOINT',
        'shardId-000000000000  w1     4955/3 → LATEST  would rewind',
        'shardId-000000000001  -      12/0 → LATEST    would rewind',
        'shardId-000000000002  w2     SHARD_END        skipped (finished)',
        '2 would be rewound, 1 skipped (finished); dry run, nothing written',
      ]);
      expect(store.lease(TABLE, S0)).to.include({ checkpoint: '4955' });
      const real = await command(TABLE, '--to', '4900/1', '--shard', S0);
      expect(real.code).to.equal(0);
      expect(real.out.split('\n')).to.deep.equal(['SHARD                 OWNER  CHECKPOINT', 'shardId-000000000000  w1     4955/3 → 4900/1  rewound', '1 rewound']);
    });
  });

  describe('arguments', () => {
    it('reads the positions', () => {
      expect(rewindPosition('trim-horizon')).to.equal(CompoundSequenceNumber.TRIM_HORIZON);
      expect(rewindPosition('LATEST')).to.equal(CompoundSequenceNumber.LATEST);
      expect(rewindPosition('49590338271490256608559692538361571095921575989136588898').toString()).to.equal('49590338271490256608559692538361571095921575989136588898/0');
      expect(rewindPosition('123/4').toString()).to.equal('123/4');
    });

    it('refuses anything else, naming the value and the accepted forms', () => {
      const forms = 'trim-horizon, latest, <sequence-number> or <sequence-number>/<sub-sequence-number>';
      for (const text of ['SHARD_END', 'AT_TIMESTAMP', 'TRIM_HORIZON', '12a', '-1', '1/2/3', '1/', '/1', '1/x', '', '9'.repeat(129), `1/${'9'.repeat(20)}`]) {
        expect(() => rewindPosition(text), text).to.throw(UsageError, `--to must be ${forms}, got "${text}"`);
      }
      expect(() => rewindPosition('2024-05-01T12:00:00Z')).to.throw(UsageError, /got "2024-05-01T12:00:00Z"; a timestamp cannot be a checkpoint \(see --help\)$/);
    });

    it('collects repeated --shard, and takes a sequence number only with exactly one', () => {
      const args = rewindArgumentsOf(parseFlags('rewind', ['t', '--to', 'latest', '--shard', S0, '--shard', S1, '--dry-run'], rewindCommand.flags));
      expect(args).to.deep.equal({ table: 't', plan: { to: CompoundSequenceNumber.LATEST, shards: [S0, S1], dryRun: true }, json: false });
      const one = rewindArgumentsOf(parseFlags('rewind', ['t', '--to', '7', '--shard', S0], rewindCommand.flags));
      expect(one.plan.to.toString()).to.equal('7/0');
      for (const shards of [[], [S0, S1]]) {
        const argv = ['t', '--to', '7', ...shards.flatMap((s) => ['--shard', s])];
        expect(() => rewindArgumentsOf(parseFlags('rewind', argv, rewindCommand.flags))).to.throw(
          UsageError,
          `--to 7 is a sequence number, which belongs to one shard: give exactly one --shard (got ${shards.length})`,
        );
      }
    });

    it('exits 2 with the reason and the synopsis before connecting, on bad arguments', async () => {
      const cases: [string[], string][] = [
        [['rewind', 't'], 'reactive-kinesis rewind: --to is required: trim-horizon, latest, <sequence-number> or <sequence-number>/<sub-sequence-number>'],
        [['rewind', '--to', 'latest'], 'reactive-kinesis rewind: missing <table>'],
        [['rewind', 't', '--to', '5/1'], 'reactive-kinesis rewind: --to 5/1 is a sequence number, which belongs to one shard: give exactly one --shard (got 0)'],
        [['rewind', 't', '--to', 'yesterday'], 'reactive-kinesis rewind: --to must be trim-horizon, latest, <sequence-number> or <sequence-number>/<sub-sequence-number>, got "yesterday"'],
        [['rewind', 't', '--to', 'latest', '--shard='], 'reactive-kinesis rewind: --shard must not be empty'],
      ];
      for (const [argv, message] of cases) {
        const err: string[] = [];
        const code = await runCli(argv, { out: () => undefined, err: (text) => err.push(text) });
        expect(code, argv.join(' ')).to.equal(2);
        const [first, synopsis] = err.join('\n').split('\n');
        expect(first).to.equal(message);
        expect(synopsis).to.match(/^usage: reactive-kinesis rewind <table> --to <position>/);
      }
    });
  });

  describe('with a running consumer', () => {
    it('after rewinding a consumed shard to TRIM_HORIZON, the owner drops it, takes it back and delivers it again from the start', () => {
      const fleet = new ConsumerFleet(2);
      fleet.put(texts('r', 40));
      const a = fleet.start('a');
      fleet.run(5000);
      const [s0, s1] = fleet.shardIds() as [string, string];
      const last = fleet.kinesis.records(STREAM, s0).at(-1)!;
      expect(a.textsOf(s0)).to.deep.equal(fleet.stored(s0));
      expect(fleet.lease(s0)).to.include({ leaseOwner: 'a', checkpoint: last.sequenceNumber });

      const updates = sinon.spy(fleet.store, 'updateLease');
      const before = a.deliveries.length;
      let rows: RewindRow[] | undefined;
      rewindLeases(fleet.store, FLEET_TABLE, { to: CompoundSequenceNumber.TRIM_HORIZON, shards: [s0], dryRun: false }).subscribe((r) => (rows = r));
      fleet.run(1);
      expect(rows).to.deep.equal([{ shardId: s0, owner: 'a', from: `${last.sequenceNumber}/0`, to: 'TRIM_HORIZON', status: 'rewound' }]);
      expect(fleet.lease(s0)).to.include({ leaseOwner: 'a', checkpoint: 'TRIM_HORIZON' });

      fleet.run(5000);
      const again = a.deliveries.slice(before);
      expect(again.filter((d) => d.shardId === s0).map((d) => d.text), 'the whole shard again, in order').to.deep.equal(fleet.stored(s0));
      expect(again.filter((d) => d.shardId === s1), 'the other shard is not read again').to.deep.equal([]);
      expect(fleet.lease(s0)).to.include({ leaseOwner: 'a', checkpoint: last.sequenceNumber, ownerSwitchesSinceCheckpoint: 0 });
      // The lease came back through a take (owner set, conditional on the rewound counter), not a renewal.
      const takes = updates.getCalls().filter((call) => call.args[1] === s0 && call.args[2].set?.leaseOwner === 'a');
      expect(takes).to.have.length(1);
      expect(a.error).to.equal(undefined);
      a.unsubscribe();
    });
  });
});
