import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { formatLags, lagPosition, shardLags } from '../../lib/cli/lag';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { advance, valueOf } from '../testing/virtual-time';
import { testLease } from '../support/leases';

const lease = testLease;

describe('cli/lag', () => {
  describe('lagPosition', () => {
    it('reads just after a sequence-number checkpoint', () => {
      expect(lagPosition(lease('s', { checkpoint: '123', checkpointSubSequenceNumber: 2 }), true)).to.deep.equal({
        position: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '123' },
      });
    });
    it('reads from where a sentinel checkpoint says', () => {
      expect(lagPosition(lease('s', { checkpoint: 'TRIM_HORIZON' }), true)).to.deep.equal({ position: { type: 'TRIM_HORIZON' } });
      expect(lagPosition(lease('s', { checkpoint: 'LATEST' }), true)).to.deep.equal({ position: { type: 'LATEST' } });
    });
    it('reads nothing for a finished shard or an AT_TIMESTAMP start it cannot know', () => {
      expect(lagPosition(lease('s', { checkpoint: 'SHARD_END' }), true)).to.deep.equal({ skip: 'finished (SHARD_END)' });
      expect(lagPosition(lease('s', { checkpoint: 'AT_TIMESTAMP' }), true)).to.deep.equal({ skip: 'not started (AT_TIMESTAMP)' });
    });
    it('reads from TRIM_HORIZON without a lease, saying why', () => {
      expect(lagPosition(undefined, true)).to.deep.equal({ position: { type: 'TRIM_HORIZON' }, note: 'no lease: from TRIM_HORIZON' });
      expect(lagPosition(undefined, false)).to.deep.equal({ position: { type: 'TRIM_HORIZON' }, note: 'from TRIM_HORIZON' });
    });
  });

  describe('shardLags', () => {
    let scheduler: VirtualTimeScheduler;
    let kinesis: InMemoryKinesis;
    let leases: InMemoryLeaseStore;

    beforeEach(() => {
      scheduler = new VirtualTimeScheduler();
      kinesis = new InMemoryKinesis({ scheduler, streams: { s: 2 } });
      leases = new InMemoryLeaseStore({ scheduler, tables: ['app-s'] });
    });

    /** Puts one record into shard 0 and one into shard 1 (routed by explicit hash key), `gap` ms apart. */
    function twoRecordsPerShard(gap: number): { first: Record<string, string> } {
      const first: Record<string, string> = {};
      for (const [shardId, hashKey] of [['shardId-000000000000', '1'], ['shardId-000000000001', (2n ** 127n + 1n).toString()]] as const) {
        const [put] = kinesis.appendRecords('s', [{ partitionKey: 'k', explicitHashKey: hashKey, data: Buffer.from('a') }]);
        if (put?._tag === 'Put') first[shardId] = put.sequenceNumber;
      }
      advance(scheduler, gap);
      kinesis.appendRecords('s', [{ partitionKey: 'k', explicitHashKey: '1', data: Buffer.from('b') }]);
      kinesis.appendRecords('s', [{ partitionKey: 'k', explicitHashKey: (2n ** 127n + 1n).toString(), data: Buffer.from('b') }]);
      return { first };
    }

    it('without a lease table, gives what Kinesis says one record after TRIM_HORIZON', () => {
      twoRecordsPerShard(5_000);
      advance(scheduler, 3_000);
      const lags = valueOf(scheduler, shardLags(kinesis, 's'));
      // The fake measures from the first record the page leaves unread ("b", 3 s old).
      expect(lags.map((l) => [l.shardId, l.millisBehindLatest, l.note])).to.deep.equal([
        ['shardId-000000000000', 3_000, 'from TRIM_HORIZON'],
        ['shardId-000000000001', 3_000, 'from TRIM_HORIZON'],
      ]);
    });

    it('with a lease table, measures from each checkpoint and shows the owner', () => {
      const { first } = twoRecordsPerShard(5_000);
      leases.putLease('app-s', lease('shardId-000000000000', { leaseOwner: 'w1', checkpoint: first['shardId-000000000000']!, checkpointSubSequenceNumber: 0 }));
      leases.putLease('app-s', lease('shardId-000000000001', { checkpoint: 'SHARD_END' }));
      const lags = valueOf(scheduler, shardLags(kinesis, 's', { port: leases, table: 'app-s' }));
      expect(lags).to.deep.equal([
        { shardId: 'shardId-000000000000', closed: false, owner: 'w1', checkpoint: `${first['shardId-000000000000']}/0`, millisBehindLatest: 0 },
        { shardId: 'shardId-000000000001', closed: false, checkpoint: 'SHARD_END', note: 'finished (SHARD_END)' },
      ]);
    });

    it('formats the lags as a table', () => {
      const text = formatLags([
        { shardId: 'shardId-000000000000', closed: true, owner: 'w1', checkpoint: '12/0', millisBehindLatest: 1500 },
        { shardId: 'shardId-000000000001', closed: false, note: 'finished (SHARD_END)' },
      ]);
      expect(text.split('\n')).to.deep.equal([
        'SHARD                          OWNER  CHECKPOINT  BEHIND',
        'shardId-000000000000 (closed)  w1     12/0        1.50 s',
        'shardId-000000000001           -      -           -       finished (SHARD_END)',
      ]);
    });
  });
});
