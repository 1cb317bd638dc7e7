import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { decodeKinesisConfig, producerConf } from '../../lib/config';
import { decodeAggregatedRecord, MAX_HASH_KEY } from '../../lib/kpl';
import { KinesisCallError, RecordExpiredError } from '../../lib/model/errors';
import type { SendResult } from '../../lib/model/send-result';
import type { KinesisPort, PutRecordsEntry, PutRecordsResultEntry, Shard } from '../../lib/ports/kinesis-port';
import { RecordRefusedError } from '../../lib/producer/errors';
import { produce } from '../../lib/producer/produce';
import { testScheduler } from './support';

const SHARD: Shard = { shardId: 'shardId-000000000000', hashKeyRange: { startingHashKey: 0n, endingHashKey: MAX_HASH_KEY }, startingSequenceNumber: '0' };
const PUT: PutRecordsResultEntry = { _tag: 'Put', shardId: SHARD.shardId, sequenceNumber: '42' };
const THROTTLED: PutRecordsResultEntry = { _tag: 'Failed', errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded' };

/** A one-shard port whose PutRecords answers are scripted, one cold Observable per call, logging each call. */
function scriptedPort(
  ts: TestScheduler,
  answers: (entries: number, sent: readonly PutRecordsEntry[]) => Observable<readonly PutRecordsResultEntry[]>,
): { port: KinesisPort; calls: string[] } {
  const calls: string[] = [];
  const port: KinesisPort = {
    listShards: () => ts.createColdObservable('(s|)', { s: [SHARD] }),
    getShardIterator: () => {
      throw new Error('not used');
    },
    getRecords: () => {
      throw new Error('not used');
    },
    putRecords: (_stream, entries) => {
      const users = entries.reduce((n, e) => n + (decodeAggregatedRecord(e.data)?.length ?? 1), 0);
      calls.push(`t=${ts.now()} records=${users}`);
      return answers(entries.length, entries);
    },
  };
  return { port, calls };
}

const conf = (kpl: Record<string, unknown>, akka: Record<string, unknown> = {}) =>
  producerConf(decodeKinesisConfig({ p: { 'stream-name': 's', kpl: { RecordMaxBufferedTime: 10, ...kpl }, akka } }), 'p');
const drawn = (r: SendResult) => `${r._tag}:${r.event.partitionKey}`;
const backoff = { retryBackoff: { initialMillis: 100, maxMillis: 400 } };

// prettier-ignore
describe('produce (marbles)', () => {
  it('retries throttled entries after 100, then 200 ms, until they are put', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      let call = 0;
      const { port, calls } = scriptedPort(ts, (n) => cold('--(r|)', { r: Array(n).fill(++call < 3 ? THROTTLED : PUT) }));
      const events = cold('a 999ms |', { a: { partitionKey: 'a', payload: 'x' } });
      const subs = '       ^ 999ms !';
      const results: SendResult[] = [];
      // Aggregated at 10 (RecordMaxBufferedTime), sent at 12 (linger 10 / 5); answers take 2 ms.
      const expected = '   318ms s 681ms |';
      expectObservable(events.pipe(produce(conf({}), { kinesis: port, scheduler: ts }, backoff), map((r) => (results.push(r), drawn(r))))).toBe(expected, {
        s: 'SendSuccessful:a',
      });
      expectSubscriptions(events.subscriptions).toBe(subs);
      ts.flush();
      expect(calls).to.deep.equal(['t=12 records=1', 't=114 records=1', 't=316 records=1']);
      expect(results[0]!.attempts).to.deep.equal([
        { delayMillis: 12, durationMillis: 2, success: false, errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded' },
        { delayMillis: 100, durationMillis: 2, success: false, errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded' },
        { delayMillis: 200, durationMillis: 2, success: true },
      ]);
    });
  });

  it('fails a record with RecordExpiredError at its RecordTtl, cutting the backoff short', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const { port, calls } = scriptedPort(ts, (n) => cold('--(r|)', { r: Array(n).fill(THROTTLED) }));
      const events = cold('a 999ms |', { a: { partitionKey: 'a', payload: 'x' } });
      const results: SendResult[] = [];
      // Tries at 12 and 114; the next backoff (200 ms from 116) would pass the TTL at 300.
      const expected = '   300ms f 699ms |';
      expectObservable(events.pipe(produce(conf({ RecordTtl: 300 }), { kinesis: port, scheduler: ts }, backoff), map((r) => (results.push(r), drawn(r))))).toBe(expected, {
        f: 'SendFailed:a',
      });
      ts.flush();
      expect(calls).to.deep.equal(['t=12 records=1', 't=114 records=1']);
      const reason = results[0]!._tag === 'SendFailed' ? results[0]!.reason : undefined;
      expect(reason).to.be.instanceOf(RecordExpiredError);
      expect((reason as RecordExpiredError).attempts).to.equal(2);
    });
  });

  it('holds back events beyond max-outstanding-requests and sends at once when full and idle', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { port, calls } = scriptedPort(ts, (n) => cold('10ms (r|)', { r: Array(n).fill(PUT) }));
      const events = cold('(abcd)|', { a: { partitionKey: 'a', payload: '1' }, b: { partitionKey: 'b', payload: '2' }, c: { partitionKey: 'c', payload: '3' }, d: { partitionKey: 'd', payload: '4' } });
      const subs = '       ^-----!';
      // Two slots: a and b fill them, so nothing more can come in; they go at once (not after
      // RecordMaxBufferedTime 1000), and c and d go when their results free the slots.
      const expected = '   10ms (ab) 6ms (cd|)';
      expectObservable(events.pipe(produce(conf({ RecordMaxBufferedTime: 1000 }, { 'max-outstanding-requests': 2 }), { kinesis: port, scheduler: ts }), map(drawn))).toBe(expected, {
        a: 'SendSuccessful:a',
        b: 'SendSuccessful:b',
        c: 'SendSuccessful:c',
        d: 'SendSuccessful:d',
      });
      expectSubscriptions(events.subscriptions).toBe(subs);
      ts.flush();
      expect(calls).to.deep.equal(['t=0 records=2', 't=10 records=2']);
    });
  });

  it('splits a request refused whole at once, depth first, until only the refused record fails', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const refused = new KinesisCallError('PutRecords', 'ValidationException', 'records.1.member.data failed to satisfy constraint');
      const { port, calls } = scriptedPort(ts, (n, sent) =>
        sent.some((e) => e.partitionKey === 'e') ? cold('--#', undefined, refused) : cold('--(r|)', { r: Array(n).fill(PUT) }),
      );
      const keys = 'abcdefgh';
      const events = cold('(abcdefgh) 99ms |', Object.fromEntries([...keys].map((k) => [k, { partitionKey: k, payload: k }])));
      const results: SendResult[] = [];
      // Sent at 10 (RecordMaxBufferedTime); each answer takes 2 ms and the next half goes at once:
      // abcd at 12, efgh at 14, ef at 16, e alone at 18 (refused), f at 20, gh at 22.
      const expected = '   14ms (abcd)e-f-(gh) 81ms |';
      expectObservable(events.pipe(produce(conf({ AggregationEnabled: false }), { kinesis: port, scheduler: ts }, backoff), map((r) => (results.push(r), drawn(r))))).toBe(expected, {
        ...Object.fromEntries([...keys].map((k) => [k, `SendSuccessful:${k}`])),
        e: 'SendFailed:e',
      });
      ts.flush();
      expect(calls).to.deep.equal(['t=10 records=8', 't=12 records=4', 't=14 records=4', 't=16 records=2', 't=18 records=1', 't=20 records=1', 't=22 records=2']);
      const failed = results.find((r) => r._tag === 'SendFailed');
      expect(failed?._tag === 'SendFailed' ? failed.reason : undefined).to.be.instanceOf(RecordRefusedError);
      expect(failed!.attempts.map((a) => a.errorCode)).to.deep.equal(['ValidationException', 'ValidationException', 'ValidationException', 'ValidationException']);
    });
  });

  it('sends an aggregate RecordMaxBufferedTime after its first record when the source is slow', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const { port, calls } = scriptedPort(ts, (n) => cold('(r|)', { r: Array(n).fill(PUT) }));
      const events = cold('a-b 97ms c 99ms |', { a: { partitionKey: 'a', payload: '1' }, b: { partitionKey: 'b', payload: '2' }, c: { partitionKey: 'c', payload: '3' } });
      // a and b share an aggregate flushed at 10 and sent at 12; c arrives at 100, is sent at 112.
      const expected = '   12ms (ab) 96ms c 87ms |';
      expectObservable(events.pipe(produce(conf({}), { kinesis: port, scheduler: ts }), map(drawn))).toBe(expected, {
        a: 'SendSuccessful:a',
        b: 'SendSuccessful:b',
        c: 'SendSuccessful:c',
      });
      ts.flush();
      expect(calls).to.deep.equal(['t=12 records=2', 't=112 records=1']);
    });
  });
});
