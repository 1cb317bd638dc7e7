import { expect } from 'chai';
import { exitCodeOf, formatReport, type DemoReport } from '../../../lib/cli/demo/report';

const COMPLETE: DemoReport = {
  outcome: 'complete',
  streamName: 'demo-s',
  tableName: 'demo-s-leases',
  shards: 4,
  workers: ['w1', 'w2'],
  consumption: { events: 100_000, sent: 100_000, sendFailed: 0, deliveries: 112_000, distinct: 100_000, duplicates: 12_000, lost: 0, unexpected: 0, byWorker: { w1: 30_000, w2: 82_000 } },
  produceMillis: 4_000,
  consumeMillis: 8_000,
  kill: { workerId: 'w1', atConsumed: 50_100, shards: ['shardId-000000000000', 'shardId-000000000002'], failoverTimeMillis: 3_000, failoverMillis: 3_600 },
  leasesAtEnd: { w2: 4 },
  leasesAfterStop: { owners: { '(none)': 4 }, atLastRecord: 4, shardsWithRecords: 4 },
  elapsedMillis: 11_000,
  problems: [],
};

describe('cli/demo/report', () => {
  describe('exitCodeOf', () => {
    it('is 0 only when the run completed with nothing lost, no failed send and no problem', () => {
      expect(exitCodeOf(COMPLETE)).to.equal(0);
      expect(exitCodeOf({ ...COMPLETE, consumption: { ...COMPLETE.consumption, lost: 1 } })).to.equal(1);
      expect(exitCodeOf({ ...COMPLETE, consumption: { ...COMPLETE.consumption, sendFailed: 1 } })).to.equal(1);
      expect(exitCodeOf({ ...COMPLETE, problems: ['w2 did not stop within 30.0 s; killed'] })).to.equal(1);
      expect(exitCodeOf({ ...COMPLETE, outcome: 'timed-out' })).to.equal(1);
      expect(exitCodeOf({ ...COMPLETE, outcome: 'workers-failed' })).to.equal(1);
    });
    it('is 130 when interrupted', () => {
      expect(exitCodeOf({ ...COMPLETE, outcome: 'interrupted' })).to.equal(130);
    });
  });

  describe('formatReport', () => {
    it('says what was produced, consumed, lost, how fast, who held the leases and how long the failover took', () => {
      expect(formatReport(COMPLETE).split('\n')).to.deep.equal([
        '',
        'reactive-kinesis demo: OK (complete) in 11.0 s',
        '  stream          demo-s (4 shards), lease table demo-s-leases',
        '  produced        100,000 of 100,000 events in 4.00 s (25,000/s)',
        '  consumed        112,000 deliveries: 100,000 distinct, 12,000 duplicates, 0 lost',
        '  consume rate    12,500/s (all consumed 8.00 s after the first event was offered)',
        '  by worker       w1 30,000, w2 82,000',
        '  killed          w1 (SIGKILL) at 50,100 consumed, holding shards 0,2; its shards taken over 3.60 s later (failoverTimeMillis 3,000, ratio 1.20)',
        '  leases at end   w2 4',
        '  after stop      (none) 4; checkpoint at the last record in 4 of 4 shards with records',
        '  (duplicates are expected after a failover: events after the last checkpoint are delivered again)',
      ]);
    });

    it('reports a failure with its losses, failed sends and problems, leaving out what is not known', () => {
      const text = formatReport({
        ...COMPLETE,
        outcome: 'timed-out',
        consumption: { ...COMPLETE.consumption, sent: 99_990, sendFailed: 10, deliveries: 99_000, distinct: 99_000, duplicates: 0, lost: 990, unexpected: 3 },
        kill: { workerId: 'w1', atConsumed: 50_100, shards: ['shardId-000000000000'], failoverTimeMillis: 3_000 },
        problems: ['w2 exited unexpectedly (exit code 1)'],
      });
      expect(text).to.include('reactive-kinesis demo: FAILED (timed out before everything was consumed)');
      expect(text).to.include('  produced        99,990 of 100,000 events, 10 failed in 4.00 s');
      expect(text).to.include('99,000 distinct, 0 duplicates, 990 not consumed, 3 unexpected');
      expect(text).to.include('holding shards 0; its shards were not all taken over');
      expect(text).to.include('  problem         w2 exited unexpectedly (exit code 1)');
      expect(text).not.to.include('duplicates are expected');

      const bare = formatReport({ ...COMPLETE, outcome: 'interrupted', produceMillis: undefined, consumeMillis: undefined, kill: undefined, leasesAtEnd: undefined, leasesAfterStop: undefined } as unknown as DemoReport);
      expect(bare).to.include('FAILED (interrupted)');
      expect(formatReport({ ...COMPLETE, consumption: { ...COMPLETE.consumption, lost: 7 } })).to.include('7 lost');
      expect(bare).not.to.match(/consume rate|killed|leases at end|after stop/);
    });
  });
});
