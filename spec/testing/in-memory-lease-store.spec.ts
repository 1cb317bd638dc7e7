import { expect } from 'chai';
import { map, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../../lib/model/errors';
import type { Lease } from '../../lib/model/lease';
import type { LeaseUpdate } from '../../lib/ports/lease-store-port';
import { InMemoryLeaseStore } from '../../lib/testing/in-memory-lease-store';
import { errorOf, settle, valueOf } from './virtual-time';

const TABLE = 'app-stream';
const lease = (leaseKey: string, fields: Partial<Lease> = {}): Lease => ({
  leaseKey,
  leaseCounter: 0,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  ...fields,
});

// prettier-ignore
describe('InMemoryLeaseStore', () => {
  let scheduler: VirtualTimeScheduler;
  let store: InMemoryLeaseStore;

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    store = new InMemoryLeaseStore({ scheduler, tables: [TABLE] });
  });

  const update = (key: string, u: LeaseUpdate): unknown => valueOf(scheduler, store.updateLease(TABLE, key, u));

  describe('must manage tables', () => {
    it('fails every lease call on a missing table with LeaseTableNotFoundError naming it', () => {
      const calls = [
        store.listLeases('missing'),
        store.getLease('missing', 'a'),
        store.createLease('missing', lease('a')),
        store.updateLease('missing', 'a', { expectedCounter: 0 }),
        store.deleteLease('missing', 'a'),
      ];
      for (const call of calls) {
        const error = errorOf(scheduler, call);
        expect(error).to.be.instanceOf(LeaseTableNotFoundError);
        expect(error).to.deep.include({ tableName: 'missing', code: 'ResourceNotFoundException', retryable: false });
        expect((error as LeaseTableNotFoundError).operation).to.be.oneOf(['Scan', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
      }
      expect(() => store.leases('missing')).to.throw(LeaseTableNotFoundError);
    });

    it('creates a table once: ensureTable again keeps the leases', () => {
      valueOf(scheduler, store.ensureTable('other'));
      store.putLease('other', lease('a'));
      expect(settle(scheduler, store.ensureTable('other')).completed).to.equal(true);
      expect(store.leases('other').map((l) => l.leaseKey)).to.deep.equal(['a']);
      expect(store.tableNames()).to.deep.equal([TABLE, 'other']);
    });

    it('deletes a table, and deleting a missing one is not an error', () => {
      valueOf(scheduler, store.deleteTable(TABLE));
      expect(errorOf(scheduler, store.listLeases(TABLE))).to.be.instanceOf(LeaseTableNotFoundError);
      expect(settle(scheduler, store.deleteTable(TABLE)).completed).to.equal(true);
      valueOf(scheduler, store.ensureTable(TABLE));
      expect(store.leases(TABLE), 'a re-created table is empty').to.deep.equal([]);
    });

    it('refuses table names DynamoDB refuses', () => {
      const error = errorOf(scheduler, store.ensureTable('ab'));
      expect(error).to.be.instanceOf(LeaseStoreError);
      expect(error).to.deep.include({ code: 'ValidationException' });
      expect(() => new InMemoryLeaseStore({ tables: ['no spaces'] })).to.throw(LeaseStoreError);
    });
  });

  describe('must create leases only when the key is free', () => {
    it('writes a new lease as given', () => {
      const given = lease('shardId-000000000001', { parentShardIds: ['shardId-000000000000'], startingHashKey: '0', endingHashKey: '99' });
      expect(valueOf(scheduler, store.createLease(TABLE, given))).to.deep.equal({ _tag: 'Written', lease: given });
      expect(store.lease(TABLE, 'shardId-000000000001')).to.deep.equal(given);
    });

    it('answers ConditionFailed for an existing key and keeps the old lease', () => {
      store.putLease(TABLE, lease('a', { leaseOwner: 'w1', leaseCounter: 5 }));
      expect(valueOf(scheduler, store.createLease(TABLE, lease('a')))).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(store.lease(TABLE, 'a')).to.deep.include({ leaseOwner: 'w1', leaseCounter: 5 });
    });

    it('refuses an empty lease key', () => {
      expect(errorOf(scheduler, store.createLease(TABLE, lease('')))).to.deep.include({ code: 'ValidationException' });
    });
  });

  describe('must update conditionally', () => {
    beforeEach(() => {
      store.putLease(TABLE, lease('a', { leaseCounter: 3, leaseOwner: 'w1', pendingCheckpoint: '123', pendingCheckpointSubSequenceNumber: 0 }));
      store.putLease(TABLE, lease('free', { leaseCounter: 7 }));
    });

    it('applies the changes and adds 1 to the counter when the counter matches', () => {
      const result = update('a', { expectedCounter: 3, set: { checkpoint: '4950', checkpointSubSequenceNumber: 2, ownerSwitchesSinceCheckpoint: 0 } });
      const expected = lease('a', { leaseCounter: 4, leaseOwner: 'w1', checkpoint: '4950', checkpointSubSequenceNumber: 2, pendingCheckpoint: '123', pendingCheckpointSubSequenceNumber: 0 });
      expect(result).to.deep.equal({ _tag: 'Written', lease: expected });
      expect(store.lease(TABLE, 'a')).to.deep.equal(expected);
    });

    it('adds 1 to the counter even when nothing else changes (a renewal)', () => {
      update('a', { expectedCounter: 3 });
      update('a', { expectedCounter: 4 });
      expect(store.lease(TABLE, 'a')?.leaseCounter).to.equal(5);
    });

    it('answers ConditionFailed for a stale counter or a missing lease, changing nothing', () => {
      expect(update('a', { expectedCounter: 2, set: { leaseOwner: 'w2' } })).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(update('missing', { expectedCounter: 0 })).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(store.lease(TABLE, 'a')).to.deep.include({ leaseCounter: 3, leaseOwner: 'w1' });
      expect(store.lease(TABLE, 'missing')).to.equal(undefined);
    });

    it('checks the owner when asked, null meaning no owner', () => {
      expect(update('a', { expectedCounter: 3, expectedOwner: 'w2' })).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(update('a', { expectedCounter: 3, expectedOwner: null })).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(update('free', { expectedCounter: 7, expectedOwner: 'w1' })).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(update('a', { expectedCounter: 3, expectedOwner: 'w1' })).to.have.property('_tag', 'Written');
      expect(update('free', { expectedCounter: 7, expectedOwner: null, set: { leaseOwner: 'w2' } })).to.have.property('_tag', 'Written');
      expect(store.lease(TABLE, 'free')).to.deep.include({ leaseOwner: 'w2', leaseCounter: 8 });
    });

    it('removes attributes and counts owner switches', () => {
      const result = update('a', { expectedCounter: 3, set: { leaseOwner: 'w2' }, remove: ['pendingCheckpoint', 'pendingCheckpointSubSequenceNumber'], incrementOwnerSwitches: true });
      expect(result).to.deep.equal({ _tag: 'Written', lease: lease('a', { leaseCounter: 4, leaseOwner: 'w2', ownerSwitchesSinceCheckpoint: 1 }) });
      update('a', { expectedCounter: 4, remove: ['leaseOwner'] });
      expect(store.lease(TABLE, 'a')).not.to.have.property('leaseOwner');
    });

    it('refuses updates that cannot be expressed, whatever the condition, as the AWS adapter does', () => {
      const refused = (u: LeaseUpdate): unknown => errorOf(scheduler, store.updateLease(TABLE, 'a', u));
      const invalid = { code: 'InvalidUpdate', operation: 'UpdateItem', retryable: false };
      expect(refused({ expectedCounter: 3, set: { leaseOwner: 'x' }, remove: ['leaseOwner'] })).to.deep.include(invalid);
      expect(refused({ expectedCounter: 3, set: { ownerSwitchesSinceCheckpoint: 0 }, incrementOwnerSwitches: true })).to.deep.include(invalid);
      expect(refused({ expectedCounter: 3, set: { leaseCounter: 9 } as never })).to.deep.include(invalid);
      expect(refused({ expectedCounter: 99, remove: ['checkpoint'] as never })).to.deep.include(invalid);
      expect(refused({ expectedCounter: -1 })).to.deep.include(invalid);
      expect(refused({ expectedCounter: 2.5 })).to.deep.include(invalid);
      expect(errorOf(scheduler, store.deleteLease(TABLE, 'a', -1))).to.deep.include({ code: 'InvalidUpdate', operation: 'DeleteItem' });
      expect(store.lease(TABLE, 'a')?.leaseCounter).to.equal(3);
    });

    it('stores child shard ids, and leaves out an empty set as DynamoDB must', () => {
      update('a', { expectedCounter: 3, set: { checkpoint: 'SHARD_END', childShardIds: ['c1', 'c2'] } });
      expect(store.lease(TABLE, 'a')?.childShardIds).to.deep.equal(['c1', 'c2']);
      update('free', { expectedCounter: 7, set: { childShardIds: [] } });
      expect(store.lease(TABLE, 'free')).not.to.have.property('childShardIds');
    });
  });

  describe('must delete', () => {
    beforeEach(() => store.putLease(TABLE, lease('a', { leaseCounter: 2 })));

    it('conditionally on the counter when given', () => {
      expect(valueOf(scheduler, store.deleteLease(TABLE, 'a', 1))).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(store.lease(TABLE, 'a')).not.to.equal(undefined);
      expect(valueOf(scheduler, store.deleteLease(TABLE, 'a', 2))).to.deep.equal({ _tag: 'Deleted' });
      expect(store.lease(TABLE, 'a')).to.equal(undefined);
      expect(valueOf(scheduler, store.deleteLease(TABLE, 'a', 2))).to.deep.equal({ _tag: 'ConditionFailed' });
    });

    it('unconditionally otherwise, a missing lease included', () => {
      expect(valueOf(scheduler, store.deleteLease(TABLE, 'a'))).to.deep.equal({ _tag: 'Deleted' });
      expect(valueOf(scheduler, store.deleteLease(TABLE, 'a'))).to.deep.equal({ _tag: 'Deleted' });
    });
  });

  describe('must read', () => {
    it('every lease sorted by key, and one lease or undefined', () => {
      for (const key of ['shardId-000000000002', 'shardId-000000000000', 'shardId-000000000001']) store.putLease(TABLE, lease(key));
      expect(valueOf(scheduler, store.listLeases(TABLE)).map((l) => l.leaseKey)).to.deep.equal(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
      expect(valueOf(scheduler, store.getLease(TABLE, 'shardId-000000000001'))).to.deep.equal(lease('shardId-000000000001'));
      expect(valueOf(scheduler, store.getLease(TABLE, 'nope'))).to.equal(undefined);
    });
  });

  describe('must keep its state to itself', () => {
    it('copies leases on the way in', () => {
      const given = { ...lease('a', { parentShardIds: ['p'] }) } as { -readonly [K in keyof Lease]: Lease[K] };
      valueOf(scheduler, store.createLease(TABLE, given));
      given.leaseOwner = 'intruder';
      (given.parentShardIds as string[]).push('q');
      expect(store.lease(TABLE, 'a')).to.deep.equal(lease('a', { parentShardIds: ['p'] }));
    });

    it('copies leases on the way out', () => {
      store.putLease(TABLE, lease('a', { parentShardIds: ['p'] }));
      const listed = valueOf(scheduler, store.listLeases(TABLE))[0] as Lease;
      (listed.parentShardIds as string[]).push('q');
      const got = valueOf(scheduler, store.getLease(TABLE, 'a')) as Lease;
      (got as { leaseCounter: number }).leaseCounter = 99;
      const written = valueOf(scheduler, store.updateLease(TABLE, 'a', { expectedCounter: 0 }));
      if (written._tag !== 'Written') throw new Error('expected Written');
      (written.lease.parentShardIds as string[]).push('r');
      expect(store.lease(TABLE, 'a')).to.deep.equal(lease('a', { parentShardIds: ['p'], leaseCounter: 1 }));
    });

    it('returns no undefined members', () => {
      valueOf(scheduler, store.createLease(TABLE, { ...lease('a'), leaseOwner: undefined }));
      expect(Object.keys(store.lease(TABLE, 'a') ?? {})).not.to.include('leaseOwner');
    });
  });

  describe('must let tests act as another worker', () => {
    it('forceUpdate changes the lease and its counter, so the holder’s next write fails', () => {
      store.putLease(TABLE, lease('a', { leaseOwner: 'me', leaseCounter: 4 }));
      const stolen = store.forceUpdate(TABLE, 'a', { leaseOwner: 'thief' });
      expect(stolen).to.deep.include({ leaseOwner: 'thief', leaseCounter: 5 });
      expect(update('a', { expectedCounter: 4, set: { checkpoint: '1' } })).to.deep.equal({ _tag: 'ConditionFailed' });
      const released = store.forceUpdate(TABLE, 'a', { remove: ['leaseOwner'] });
      expect(released).not.to.have.property('leaseOwner');
      expect(released.leaseCounter).to.equal(6);
      expect(() => store.forceUpdate(TABLE, 'nope', {})).to.throw(Error, /no lease nope/);
    });
  });

  describe('must answer a lost answer as the SDK’s client does, by sending the call again', () => {
    let slow: InMemoryLeaseStore;
    beforeEach(() => {
      slow = new InMemoryLeaseStore({ scheduler, latencyMillis: 5, tables: [TABLE] });
      slow.putLease(TABLE, lease('a'));
    });
    const lost = (operation: 'createLease' | 'updateLease' | 'deleteLease' | 'getLease' | 'listLeases', times = 1) =>
      slow.faults.add({ operation, fault: 'lostResponse', times });

    it('so a conditional update the lost attempt applied answers ConditionFailed, maybeApplied, a latency later', () => {
      lost('updateLease');
      const result = settle(scheduler, slow.updateLease(TABLE, 'a', { expectedCounter: 0, set: { leaseOwner: 'w1' } }));
      expect(result).to.deep.include({ values: [{ _tag: 'ConditionFailed', maybeApplied: true }], completed: true, at: 10 });
      expect(slow.lease(TABLE, 'a')).to.deep.include({ leaseCounter: 1, leaseOwner: 'w1' });
      expect(slow.calls.updateLease, 'one call, whatever the attempts').to.equal(1);
    });

    it('so a create or a conditional delete the lost attempt applied answers ConditionFailed, maybeApplied', () => {
      lost('createLease');
      expect(valueOf(scheduler, slow.createLease(TABLE, lease('b')))).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
      expect(slow.lease(TABLE, 'b')).to.deep.equal(lease('b'));
      lost('deleteLease');
      expect(valueOf(scheduler, slow.deleteLease(TABLE, 'b', 0))).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
      expect(slow.lease(TABLE, 'b')).to.equal(undefined);
    });

    it('so a read, an unconditional delete or a write the retry still matches simply succeeds', () => {
      lost('getLease');
      expect(valueOf(scheduler, slow.getLease(TABLE, 'a'))).to.deep.equal(lease('a'));
      lost('listLeases');
      expect(valueOf(scheduler, slow.listLeases(TABLE))).to.deep.equal([lease('a')]);
      lost('updateLease');
      const handoff = { expectedCounter: 0, keepCounter: true, set: { checkpointOwner: 'w2' } };
      expect(valueOf(scheduler, slow.updateLease(TABLE, 'a', handoff))).to.deep.equal({ _tag: 'Written', lease: lease('a', { checkpointOwner: 'w2' }) });
      lost('deleteLease');
      expect(valueOf(scheduler, slow.deleteLease(TABLE, 'a'))).to.deep.equal({ _tag: 'Deleted' });
    });

    it('and say maybeApplied only for a call sent more than once', () => {
      expect(valueOf(scheduler, slow.updateLease(TABLE, 'a', { expectedCounter: 7 }))).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(valueOf(scheduler, slow.createLease(TABLE, lease('a')))).to.deep.equal({ _tag: 'ConditionFailed' });
      expect(valueOf(scheduler, slow.deleteLease(TABLE, 'a', 7))).to.deep.equal({ _tag: 'ConditionFailed' });
    });

    it('up to maxAttempts (4 by default, as the DynamoDB client), each attempt facing the rules anew', () => {
      lost('updateLease', 3);
      const retried = settle(scheduler, slow.updateLease(TABLE, 'a', { expectedCounter: 0 }));
      expect(retried).to.deep.include({ values: [{ _tag: 'ConditionFailed', maybeApplied: true }], at: 20 });
      expect(slow.faults.rules, 'the rule fired on three attempts').to.deep.equal([]);
      lost('updateLease', 4);
      const sent = scheduler.now();
      const spent = settle(scheduler, slow.updateLease(TABLE, 'a', { expectedCounter: 1 }));
      expect(spent.error).to.be.instanceOf(LeaseStoreError).and.deep.include({ operation: 'UpdateItem', code: 'ECONNRESET', retryable: true });
      expect(spent.at, 'four attempts of 5 ms').to.equal(sent + 20);
      expect(slow.lease(TABLE, 'a')?.leaseCounter, 'the first attempt applied').to.equal(2);
    });

    it('ending with the fault a later attempt meets', () => {
      lost('updateLease');
      slow.faults.add({ operation: 'updateLease', fault: 'throttle', times: 1 });
      expect(errorOf(scheduler, slow.updateLease(TABLE, 'a', { expectedCounter: 0 }))).to.be.instanceOf(LeaseStoreThrottledError);
      expect(slow.lease(TABLE, 'a')?.leaseCounter).to.equal(1);
    });

    it('or letting the retryable error through with maxAttempts: 1, as a client that does not retry', () => {
      const once = new InMemoryLeaseStore({ scheduler, latencyMillis: 5, tables: [TABLE], maxAttempts: 1 });
      once.putLease(TABLE, lease('a'));
      once.faults.add({ operation: 'updateLease', fault: 'lostResponse', times: 1 });
      const result = settle(scheduler, once.updateLease(TABLE, 'a', { expectedCounter: 0 }));
      expect(result.error).to.be.instanceOf(LeaseStoreError).and.deep.include({ code: 'ECONNRESET', retryable: true });
      expect(result.at).to.equal(5);
      expect(once.lease(TABLE, 'a')?.leaseCounter).to.equal(1);
    });

    it('and refuse a maxAttempts that is not a positive integer', () => {
      for (const maxAttempts of [0, 1.5, -1, Number.NaN]) {
        expect(() => new InMemoryLeaseStore({ maxAttempts }), String(maxAttempts)).to.throw(TypeError, /maxAttempts/);
      }
    });
  });

  describe('must behave as a cold, asynchronous service', () => {
    it('takes effect on subscribe and answers after the latency', () => {
      const testScheduler = new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });
      testScheduler.run(({ expectObservable, cold }) => {
        const slow = new InMemoryLeaseStore({ scheduler: testScheduler, latencyMillis: 30, tables: [TABLE] });
        const create$ = slow.createLease(TABLE, lease('a'));
        expect(slow.leases(TABLE), 'not before subscribe').to.deep.equal([]);
        expectObservable(create$.pipe(map((r) => r._tag))).toBe('30ms (w|)', { w: 'Written' });
        const seen$ = cold('10ms x|').pipe(map(() => slow.leases(TABLE).length));
        expectObservable(seen$).toBe('10ms x|', { x: 1 });
      });
    });

    it('counts calls per operation', () => {
      settle(scheduler, store.listLeases(TABLE));
      settle(scheduler, store.getLease('missing', 'a'));
      settle(scheduler, store.getLease(TABLE, 'a'));
      expect(store.calls).to.include({ listLeases: 1, getLease: 2, updateLease: 0 });
      store.resetCalls();
      expect(store.calls.getLease).to.equal(0);
    });
  });
});
