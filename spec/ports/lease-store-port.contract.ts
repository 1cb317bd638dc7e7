/**
 * What every lease store port must do, as DynamoDB does it for a KCL lease table: run this suite
 * against an implementation by handing it a factory.
 *
 * ```ts
 * leaseStorePortContract('in-memory lease store', async () => ({ port }));
 * ```
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { LeaseStoreError, LeaseTableNotFoundError } from '../../lib/model/errors';
import type { Lease } from '../../lib/model/lease';
import type { LeaseDeleteResult, LeaseStoreAdminPort, LeaseStorePort, LeaseWriteResult } from '../../lib/ports/lease-store-port';

/** A port under test and how to drive it. */
export interface LeaseStorePortFixture {
  readonly port: LeaseStorePort & LeaseStoreAdminPort;
  /**
   * Runs an Observable from the port to completion and resolves with its last value. A port on
   * virtual time flushes its scheduler here. Default: `lastValueFrom`.
   */
  readonly run?: <T>(observable$: Observable<T>) => Promise<T>;
  /** Called after each test. */
  readonly dispose?: () => Promise<void>;
}

function uniqueTableName(): string {
  return `contract-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A fresh, unowned lease as shard sync creates it. */
export function newLease(leaseKey: string, overrides: Partial<Lease> = {}): Lease {
  return {
    leaseKey,
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    ...overrides,
  };
}

function written(result: LeaseWriteResult): Lease {
  expect(result._tag, 'write result').to.equal('Written');
  return (result as Extract<LeaseWriteResult, { _tag: 'Written' }>).lease;
}

/** Sets compare as sets: DynamoDB keeps no order in a string set. */
function normalized(lease: Lease | undefined): unknown {
  if (lease === undefined) return undefined;
  return {
    ...lease,
    parentShardIds: [...lease.parentShardIds].sort(),
    ...(lease.childShardIds === undefined ? {} : { childShardIds: [...lease.childShardIds].sort() }),
  };
}

/**
 * Registers a mocha suite named `name` that checks `setup()`'s port against the behaviours of a
 * DynamoDB lease table. `setup` is called before each test; each test creates its own table.
 */
export function leaseStorePortContract(name: string, setup: () => Promise<LeaseStorePortFixture>): void {
  describe(`${name}: the lease store port contract`, function () {
    let fixture: LeaseStorePortFixture;
    let port: LeaseStorePort & LeaseStoreAdminPort;
    let table: string;

    beforeEach(async function () {
      fixture = await setup();
      port = fixture.port;
      table = uniqueTableName();
      await once(port.ensureTable(table));
    });

    afterEach(async function () {
      await run(port.deleteTable(table));
      await fixture.dispose?.();
    });

    function run<T>(observable$: Observable<T>): Promise<T> {
      return (fixture.run ?? lastValueFrom)(observable$);
    }

    /** The single value of a port call, which must emit exactly once and complete. */
    async function once<T>(observable$: Observable<T>): Promise<T> {
      const values = await run(observable$.pipe(toArray()));
      expect(values, 'values emitted').to.have.length(1);
      return values[0] as T;
    }

    async function failure(observable$: Observable<unknown>): Promise<unknown> {
      try {
        await run(observable$.pipe(toArray()));
      } catch (error) {
        return error;
      }
      throw new Error('expected the call to fail');
    }

    async function create(lease: Lease): Promise<Lease> {
      return written(await once(port.createLease(table, lease)));
    }

    async function stored(leaseKey: string): Promise<Lease | undefined> {
      return once(port.getLease(table, leaseKey));
    }

    describe('tables', function () {
      it('must create an empty table, and accept being asked again', async function () {
        await once(port.ensureTable(table));
        expect(await once(port.listLeases(table))).to.deep.equal([]);
      });

      it('must delete a table, complete when it is already gone, and create it afresh', async function () {
        await create(newLease('shardId-0'));
        await once(port.deleteTable(table));
        await once(port.deleteTable(table));
        expect(await failure(port.listLeases(table))).to.be.instanceOf(LeaseTableNotFoundError);
        await once(port.ensureTable(table));
        expect(await once(port.listLeases(table))).to.deep.equal([]);
      });

      it('must fail every lease call on a missing table with LeaseTableNotFoundError naming it', async function () {
        const missing = uniqueTableName();
        const calls: Array<[string, Observable<unknown>]> = [
          ['listLeases', port.listLeases(missing)],
          ['getLease', port.getLease(missing, 'shardId-0')],
          ['createLease', port.createLease(missing, newLease('shardId-0'))],
          ['updateLease', port.updateLease(missing, 'shardId-0', { expectedCounter: 0 })],
          ['deleteLease', port.deleteLease(missing, 'shardId-0')],
        ];
        for (const [call, observable$] of calls) {
          const error = await failure(observable$);
          expect(error, call).to.be.instanceOf(LeaseTableNotFoundError);
          expect((error as LeaseTableNotFoundError).tableName, call).to.equal(missing);
        }
      });
    });

    describe('createLease and getLease', function () {
      it('must store a lease that reads back equal, every attribute included', async function () {
        const lease = newLease('shardId-000000000007', {
          leaseOwner: 'worker-1',
          leaseCounter: 3,
          checkpoint: '49590338271490256608559692538361571095921575989136588898',
          checkpointSubSequenceNumber: 4,
          ownerSwitchesSinceCheckpoint: 2,
          parentShardIds: ['shardId-000000000001', 'shardId-000000000002'],
          childShardIds: ['shardId-000000000009'],
          startingHashKey: '0',
          endingHashKey: '340282366920938463463374607431768211455',
          pendingCheckpoint: '49590338271490256608559692538361571095921575989136588999',
          pendingCheckpointSubSequenceNumber: 1,
          checkpointOwner: 'worker-0',
        });
        const result = await create(lease);
        expect(normalized(result)).to.deep.equal(normalized(lease));
        expect(normalized(await stored(lease.leaseKey))).to.deep.equal(normalized(lease));
      });

      it('must leave out what was never set, and read empty parents back as empty', async function () {
        const lease = newLease('shardId-1', { childShardIds: [] });
        const result = await create(lease);
        const expected = newLease('shardId-1');
        expect(result).to.deep.equal(expected);
        expect(await stored('shardId-1')).to.deep.equal(expected);
      });

      it('must refuse to create a lease whose key exists, leaving the stored one as it was', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'first' }));
        const again = await once(port.createLease(table, newLease('shardId-1', { leaseOwner: 'second' })));
        expect(again).to.deep.equal({ _tag: 'ConditionFailed' });
        expect((await stored('shardId-1'))?.leaseOwner).to.equal('first');
      });

      it('must read a missing lease as undefined', async function () {
        expect(await stored('shardId-404')).to.equal(undefined);
      });
    });

    describe('updateLease', function () {
      it('must apply an update made with the stored counter, moving the counter on by one', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1', leaseCounter: 5, pendingCheckpoint: '17' }));
        const result = written(
          await once(
            port.updateLease(table, 'shardId-1', {
              expectedCounter: 5,
              set: { checkpoint: '12345', checkpointSubSequenceNumber: 2, childShardIds: ['shardId-2', 'shardId-3'] },
              remove: ['pendingCheckpoint'],
            }),
          ),
        );
        const expected = newLease('shardId-1', {
          leaseOwner: 'worker-1',
          leaseCounter: 6,
          checkpoint: '12345',
          checkpointSubSequenceNumber: 2,
          childShardIds: ['shardId-2', 'shardId-3'],
        });
        expect(normalized(result)).to.deep.equal(normalized(expected));
        expect(normalized(await stored('shardId-1'))).to.deep.equal(normalized(expected));
      });

      it('must move the counter on by one for an update that sets nothing (a renewal)', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1' }));
        const result = written(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 0 })));
        expect(result).to.deep.equal(newLease('shardId-1', { leaseOwner: 'worker-1', leaseCounter: 1 }));
      });

      it('must refuse an update made with a stale counter, changing nothing', async function () {
        await create(newLease('shardId-1', { leaseCounter: 2 }));
        const result = await once(port.updateLease(table, 'shardId-1', { expectedCounter: 1, set: { leaseOwner: 'late' } }));
        expect(result).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(await stored('shardId-1')).to.deep.equal(newLease('shardId-1', { leaseCounter: 2 }));
      });

      it('must refuse an update of a lease that does not exist, creating nothing', async function () {
        const result = await once(port.updateLease(table, 'shardId-404', { expectedCounter: 0, set: { leaseOwner: 'w' } }));
        expect(result).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(await stored('shardId-404')).to.equal(undefined);
      });

      it('must check the expected owner: equal, different, or none', async function () {
        await create(newLease('owned', { leaseOwner: 'worker-1' }));
        await create(newLease('free'));
        const update = (leaseKey: string, expectedOwner: string | null) =>
          once(port.updateLease(table, leaseKey, { expectedCounter: 0, expectedOwner, set: { leaseOwner: 'worker-2' } }));
        expect(await update('owned', 'worker-9')).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(await update('owned', null)).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(await update('free', 'worker-1')).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(written(await update('owned', 'worker-1')).leaseOwner).to.equal('worker-2');
        expect(written(await update('free', null)).leaseOwner).to.equal('worker-2');
      });

      it('must remove the owner, and count owner switches when asked', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1', ownerSwitchesSinceCheckpoint: 1 }));
        const released = written(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 0, remove: ['leaseOwner'] })));
        expect(released.leaseOwner).to.equal(undefined);
        expect(released.ownerSwitchesSinceCheckpoint).to.equal(1);
        const taken = written(
          await once(
            port.updateLease(table, 'shardId-1', { expectedCounter: 1, set: { leaseOwner: 'worker-2' }, incrementOwnerSwitches: true }),
          ),
        );
        expect(taken).to.deep.equal(newLease('shardId-1', { leaseOwner: 'worker-2', leaseCounter: 2, ownerSwitchesSinceCheckpoint: 2 }));
      });

      it('must remove child shard ids when they are set to an empty list', async function () {
        await create(newLease('shardId-1', { childShardIds: ['shardId-2'] }));
        const result = written(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 0, set: { childShardIds: [] } })));
        expect(result).to.deep.equal(newLease('shardId-1', { leaseCounter: 1 }));
      });

      it('must reject an update that both sets and removes an attribute with a non-retryable LeaseStoreError', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1' }));
        const error = await failure(
          port.updateLease(table, 'shardId-1', { expectedCounter: 0, set: { leaseOwner: 'worker-2' }, remove: ['leaseOwner'] }),
        );
        expect(error).to.be.instanceOf(LeaseStoreError);
        expect(error).not.to.be.instanceOf(LeaseTableNotFoundError);
        expect((error as LeaseStoreError).code).to.equal('InvalidUpdate');
        expect((error as LeaseStoreError).retryable).to.equal(false);
        expect((await stored('shardId-1'))?.leaseCounter).to.equal(0);
      });

      it('must set and remove the checkpoint owner, and check it: equal, different, or none', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1' }));
        const marked = written(
          await once(port.updateLease(table, 'shardId-1', { expectedCounter: 0, expectedCheckpointOwner: null, set: { checkpointOwner: 'worker-1' } })),
        );
        expect(marked).to.deep.equal(newLease('shardId-1', { leaseOwner: 'worker-1', leaseCounter: 1, checkpointOwner: 'worker-1' }));
        expect(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 1, expectedCheckpointOwner: null }))).to.deep.equal({
          _tag: 'ConditionFailed',
        });
        expect(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 1, expectedCheckpointOwner: 'worker-9' }))).to.deep.equal({
          _tag: 'ConditionFailed',
        });
        const renewed = written(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 1, expectedCheckpointOwner: 'worker-1' })));
        expect(renewed.leaseCounter).to.equal(2);
        const cleared = written(
          await once(port.updateLease(table, 'shardId-1', { expectedCounter: 2, expectedCheckpointOwner: 'worker-1', remove: ['checkpointOwner'] })),
        );
        expect(cleared).to.deep.equal(newLease('shardId-1', { leaseOwner: 'worker-1', leaseCounter: 3 }));
        expect(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 3, expectedCheckpointOwner: 'worker-1' }))).to.deep.equal({
          _tag: 'ConditionFailed',
        });
        expect((await stored('shardId-1'))?.leaseCounter).to.equal(3);
      });

      it('must leave the counter as it is with keepCounter, so a write on the same counter still matches', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'victim', leaseCounter: 4 }));
        const handoff = {
          expectedCounter: 4,
          expectedOwner: 'victim',
          expectedCheckpointOwner: null,
          keepCounter: true,
          set: { leaseOwner: 'thief', checkpointOwner: 'victim' },
        } as const;
        const initiated = written(await once(port.updateLease(table, 'shardId-1', handoff)));
        expect(initiated).to.deep.equal(newLease('shardId-1', { leaseOwner: 'thief', leaseCounter: 4, checkpointOwner: 'victim' }));
        expect(await once(port.updateLease(table, 'shardId-1', handoff)), 'a second handoff').to.deep.equal({ _tag: 'ConditionFailed' });
        // A renewal that does not know of handoffs still matches the counter.
        expect(written(await once(port.updateLease(table, 'shardId-1', { expectedCounter: 4 }))).leaseCounter).to.equal(5);
        expect(await once(port.updateLease(table, 'shardId-1', { ...handoff, expectedCheckpointOwner: 'victim', expectedCounter: 4 }))).to.deep.equal({
          _tag: 'ConditionFailed',
        });
        expect(normalized(await stored('shardId-1'))).to.deep.equal(normalized(newLease('shardId-1', { leaseOwner: 'thief', leaseCounter: 5, checkpointOwner: 'victim' })));
      });

      it('must reject an update that keeps the counter and changes nothing, writing nothing', async function () {
        await create(newLease('shardId-1', { leaseOwner: 'worker-1' }));
        const error = await failure(port.updateLease(table, 'shardId-1', { expectedCounter: 0, keepCounter: true }));
        expect(error).to.be.instanceOf(LeaseStoreError);
        expect((error as LeaseStoreError).code).to.equal('InvalidUpdate');
        expect((error as LeaseStoreError).retryable).to.equal(false);
        expect(await stored('shardId-1')).to.deep.equal(newLease('shardId-1', { leaseOwner: 'worker-1' }));
      });

      it('must write on each subscription, so a repeated update finds its own counter moved on', async function () {
        await create(newLease('shardId-1'));
        const renew$ = port.updateLease(table, 'shardId-1', { expectedCounter: 0 });
        expect((await stored('shardId-1'))?.leaseCounter, 'nothing written before subscribing').to.equal(0);
        expect(written(await once(renew$)).leaseCounter).to.equal(1);
        expect(await once(renew$)).to.deep.equal({ _tag: 'ConditionFailed' });
      });
    });

    describe('listLeases', function () {
      it('must list every lease of the table', async function () {
        const keys = Array.from({ length: 25 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
        for (const [i, key] of keys.entries()) await create(newLease(key, { leaseCounter: i, parentShardIds: i > 0 ? [keys[i - 1]!] : [] }));
        const leases = await once(port.listLeases(table));
        expect(leases.map((l) => l.leaseKey).sort()).to.deep.equal(keys);
        for (const lease of leases) {
          const i = keys.indexOf(lease.leaseKey);
          expect(lease).to.deep.equal(newLease(lease.leaseKey, { leaseCounter: i, parentShardIds: i > 0 ? [keys[i - 1]!] : [] }));
        }
      });
    });

    describe('deleteLease', function () {
      it('must delete unconditionally, whether or not the lease exists', async function () {
        await create(newLease('shardId-1'));
        expect(await once(port.deleteLease(table, 'shardId-1'))).to.deep.equal({ _tag: 'Deleted' });
        expect(await stored('shardId-1')).to.equal(undefined);
        expect(await once(port.deleteLease(table, 'shardId-1'))).to.deep.equal({ _tag: 'Deleted' });
      });

      it('must delete with the expected counter only while it matches', async function () {
        await create(newLease('shardId-1', { leaseCounter: 4 }));
        expect(await once(port.deleteLease(table, 'shardId-1', 3))).to.deep.equal({ _tag: 'ConditionFailed' });
        expect(await stored('shardId-1')).to.not.equal(undefined);
        expect(await once(port.deleteLease(table, 'shardId-1', 4))).to.deep.equal({ _tag: 'Deleted' });
        expect(await stored('shardId-1')).to.equal(undefined);
        expect(await once(port.deleteLease(table, 'shardId-1', 4))).to.deep.equal({ _tag: 'ConditionFailed' });
      });
    });

    describe('failed conditions', function () {
      it('must not say maybeApplied when the write was sent once: the store refused it and wrote nothing', async function () {
        const lease = newLease('shardId-1', { leaseOwner: 'worker-1', leaseCounter: 3 });
        await create(lease);
        const refused: Array<[string, LeaseWriteResult | LeaseDeleteResult]> = [
          ['createLease', await once(port.createLease(table, newLease('shardId-1')))],
          ['updateLease', await once(port.updateLease(table, 'shardId-1', { expectedCounter: 2, set: { leaseOwner: 'worker-2' } }))],
          ['updateLease of a missing lease', await once(port.updateLease(table, 'shardId-404', { expectedCounter: 0 }))],
          ['deleteLease', await once(port.deleteLease(table, 'shardId-1', 2))],
        ];
        for (const [call, result] of refused) {
          expect(result, call).to.have.property('_tag', 'ConditionFailed');
          expect(result, call).not.to.have.property('maybeApplied');
        }
        expect(await stored('shardId-1')).to.deep.equal(lease);
      });
    });
  });
}
