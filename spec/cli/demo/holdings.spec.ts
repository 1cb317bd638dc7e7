import { expect } from 'chai';
import { Failover, LeaseHoldings } from '../../../lib/cli/demo/holdings';

describe('cli/demo/holdings', () => {
  describe('LeaseHoldings', () => {
    it('follows acquisitions and ends per worker', () => {
      const holdings = new LeaseHoldings();
      holdings.acquired('w1', 's1');
      holdings.acquired('w1', 's0');
      holdings.acquired('w2', 's2');
      expect(holdings.heldBy('w1')).to.deep.equal(['s0', 's1']);
      expect(holdings.held).to.equal(3);
      holdings.ended('w1', 's1');
      expect(holdings.heldBy('w1')).to.deep.equal(['s0']);
    });

    it('ignores the end reported by a former holder after the new one took the shard', () => {
      const holdings = new LeaseHoldings();
      holdings.acquired('w1', 's0');
      holdings.acquired('w2', 's0');
      holdings.ended('w1', 's0');
      expect(holdings.heldBy('w2')).to.deep.equal(['s0']);
    });

    it('forgets the shards of a worker that is gone', () => {
      const holdings = new LeaseHoldings();
      holdings.acquired('w1', 's0');
      holdings.acquired('w2', 's1');
      holdings.gone('w1');
      expect(holdings.heldBy('w1')).to.deep.equal([]);
      expect(holdings.held).to.equal(1);
    });
  });

  describe('Failover', () => {
    it('is taken when other workers hold every shard of the victim, done once each has read it to the tip', () => {
      const failover = new Failover('w1', ['s0', 's1'], 10_000);
      failover.acquired('w2', 's0', 12_000);
      expect(failover.taken).to.equal(false);
      expect(failover.millis).to.equal(undefined);
      failover.acquired('w2', 's1', 13_500);
      expect(failover.taken).to.equal(true);
      expect(failover.millis).to.equal(3_500);
      expect(failover.done).to.equal(false);
      failover.caughtUp('w2', 's0');
      failover.caughtUp('w2', 's1');
      expect(failover.done).to.equal(true);
    });

    it('does not count the victim itself, shards it did not hold, or a catch-up by a worker that is not the taker', () => {
      const failover = new Failover('w1', ['s0'], 0);
      failover.acquired('w1', 's0', 100);
      failover.acquired('w2', 's9', 100);
      expect(failover.taken).to.equal(false);
      failover.acquired('w2', 's0', 200);
      failover.caughtUp('w3', 's0');
      expect(failover.done).to.equal(false);
    });

    it('starts over the catch-up of a shard taken again by another worker, keeping the first takeover time', () => {
      const failover = new Failover('w1', ['s0'], 0);
      failover.acquired('w2', 's0', 300);
      failover.caughtUp('w2', 's0');
      failover.acquired('w3', 's0', 900);
      expect(failover.done).to.equal(false);
      failover.caughtUp('w3', 's0');
      expect(failover.done).to.equal(true);
      expect(failover.millis).to.equal(300);
    });

    it('is done at once when the victim held no shard', () => {
      const failover = new Failover('w1', [], 0);
      expect(failover.done).to.equal(true);
      expect(failover.millis).to.equal(undefined);
    });
  });
});
