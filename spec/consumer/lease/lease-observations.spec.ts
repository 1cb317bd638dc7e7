import { expect } from 'chai';
import type { Lease } from '../../../lib/model/lease';
import {
  NO_OBSERVATIONS,
  isAvailable,
  isExpired,
  isHandoffOverdue,
  isVeryOld,
  observeLeases,
  type ObservedLease,
} from '../../../lib/consumer/lease/lease-observations';
import { testLease } from '../../support/leases';

const FAILOVER = 10_000;

function lease(key: string, counter: number, owner?: string): Lease {
  return testLease(key, { leaseCounter: counter, ...(owner === undefined ? {} : { leaseOwner: owner }) });
}

function at(observations: ReadonlyMap<string, ObservedLease>, key: string): ObservedLease {
  const observed = observations.get(key);
  if (observed === undefined) throw new Error(`no observation of ${key}`);
  return observed;
}

describe('lease-observations', () => {
  describe('observeLeases must', () => {
    it('time a lease first seen with an owner from this scan', () => {
      const seen = observeLeases(NO_OBSERVATIONS, [lease('a', 3, 'w1')], 5000);
      expect(at(seen, 'a').counterChangedAtMillis).to.equal(5000);
    });

    it('make a lease first seen without an owner available at once and very old', () => {
      const seen = observeLeases(NO_OBSERVATIONS, [lease('a', 0)], 5000);
      expect(at(seen, 'a').counterChangedAtMillis).to.equal(Number.NEGATIVE_INFINITY);
      expect(isAvailable(at(seen, 'a'), 5000, FAILOVER)).to.equal(true);
      expect(isVeryOld(at(seen, 'a'), 5000, FAILOVER)).to.equal(true);
    });

    it('keep the old time while the counter does not move', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('a', 3, 'w1')], 1000);
      const second = observeLeases(first, [lease('a', 3, 'w1')], 7000);
      expect(at(second, 'a').counterChangedAtMillis).to.equal(1000);
    });

    it('take the time of the scan when the counter moved', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('a', 3, 'w1')], 1000);
      const second = observeLeases(first, [lease('a', 4, 'w1')], 7000);
      expect(at(second, 'a').counterChangedAtMillis).to.equal(7000);
    });

    it('take the time of the scan when an unowned lease changes (released by its owner)', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('a', 3, 'w1')], 1000);
      const second = observeLeases(first, [lease('a', 4)], 2000);
      expect(at(second, 'a').counterChangedAtMillis).to.equal(2000);
      expect(isAvailable(at(second, 'a'), 2000, FAILOVER)).to.equal(true);
      expect(isVeryOld(at(second, 'a'), 2000, FAILOVER)).to.equal(false);
    });

    it('keep an unowned lease that never moved very old', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('a', 0)], 1000);
      const second = observeLeases(first, [lease('a', 0)], 2000);
      expect(at(second, 'a').counterChangedAtMillis).to.equal(Number.NEGATIVE_INFINITY);
    });

    it('forget leases missing from the scan', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('a', 1, 'w'), lease('b', 1, 'w')], 1000);
      const second = observeLeases(first, [lease('b', 1, 'w')], 2000);
      expect([...second.keys()]).to.deep.equal(['b']);
      // Back again: a new lease as far as we know.
      const third = observeLeases(second, [lease('a', 1, 'w'), lease('b', 1, 'w')], 3000);
      expect(at(third, 'a').counterChangedAtMillis).to.equal(3000);
    });

    it('keep the scanned lease itself', () => {
      const scanned = lease('a', 9, 'w1');
      expect(at(observeLeases(NO_OBSERVATIONS, [scanned], 0), 'a').lease).to.equal(scanned);
    });
  });

  describe('handoffs must', () => {
    const handoff = (counter: number, owner: string, checkpointOwner: string): Lease => ({ ...lease('s', counter, owner), checkpointOwner });

    it('date a handoff from when it was first seen, keep that date while the same pair stands, whatever the counter does', () => {
      const first = observeLeases(NO_OBSERVATIONS, [lease('s', 1, 'v')], 0);
      expect(at(first, 's').handoffSinceMillis).to.equal(undefined);
      const seen = observeLeases(first, [handoff(1, 't', 'v')], 1000);
      expect(at(seen, 's').handoffSinceMillis).to.equal(1000);
      const renewed = observeLeases(seen, [handoff(2, 't', 'v')], 5000);
      expect(at(renewed, 's').handoffSinceMillis).to.equal(1000);
      expect(at(renewed, 's').counterChangedAtMillis).to.equal(5000);
      const another = observeLeases(renewed, [handoff(3, 'u', 'v')], 7000);
      expect(at(another, 's').handoffSinceMillis, 'another new owner: another handoff').to.equal(7000);
      const done = observeLeases(another, [lease('s', 4, 'u')], 9000);
      expect(at(done, 's').handoffSinceMillis).to.equal(undefined);
      const again = observeLeases(done, [handoff(4, 't', 'u')], 11_000);
      expect(at(again, 's').handoffSinceMillis).to.equal(11_000);
    });

    it('call a handoff overdue once handoff timeout + failover have passed since it began', () => {
      const observed: ObservedLease = { lease: handoff(1, 't', 'v'), counterChangedAtMillis: 0, handoffSinceMillis: 1000 };
      expect(isHandoffOverdue(observed, 1000 + 30_000 + FAILOVER - 1, 30_000, FAILOVER)).to.equal(false);
      expect(isHandoffOverdue(observed, 1000 + 30_000 + FAILOVER, 30_000, FAILOVER)).to.equal(true);
      expect(isHandoffOverdue({ lease: lease('s', 1, 't'), counterChangedAtMillis: 0 }, 1e9, 30_000, FAILOVER)).to.equal(false);
    });
  });

  describe('expiry must', () => {
    const observed = (changedAt: number, owner?: string): ObservedLease => ({ lease: lease('a', 1, owner), counterChangedAtMillis: changedAt });

    it('count only time that passed with the counter still', () => {
      expect(isExpired(observed(1000, 'w'), 1000 + FAILOVER, FAILOVER)).to.equal(false);
      expect(isExpired(observed(1000, 'w'), 1001 + FAILOVER, FAILOVER)).to.equal(true);
    });

    it('make an owned lease available only once expired', () => {
      expect(isAvailable(observed(0, 'w'), FAILOVER, FAILOVER)).to.equal(false);
      expect(isAvailable(observed(0, 'w'), FAILOVER + 1, FAILOVER)).to.equal(true);
    });

    it('make an unowned lease available however recent its change', () => {
      expect(isAvailable(observed(5000), 5000, FAILOVER)).to.equal(true);
    });

    it('call a lease very old after three failover periods', () => {
      expect(isVeryOld(observed(0, 'w'), 3 * FAILOVER, FAILOVER)).to.equal(false);
      expect(isVeryOld(observed(0, 'w'), 3 * FAILOVER + 1, FAILOVER)).to.equal(true);
    });
  });
});
