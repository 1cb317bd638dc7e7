import { expect } from 'chai';
import { from, ignoreElements, interval, map, merge, mergeMap, take, throwError, timer } from 'rxjs';
import { decodeAggregatedRecord, hashKeyOf } from '../../lib/kpl';
import { InvalidRecordError, KinesisCallError, KinesisThrottledError, RecordExpiredError, StreamNotFoundError } from '../../lib/model/errors';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendFailed, isSendSuccessful, type SendFailed, type SendResult, type SendSuccessful } from '../../lib/model/send-result';
import type { KinesisPort } from '../../lib/ports/kinesis-port';
import { ProducerOverflowError } from '../../lib/producer/errors';
import { produce } from '../../lib/producer/produce';
import type { InMemoryKinesis } from '../../lib/testing';
import { conf, events, kinesisWith, runToEnd, storedUserRecords, STREAM, virtualTime } from './support';

function successes(results: readonly SendResult[]): SendSuccessful[] {
  return results.filter(isSendSuccessful);
}
function failures(results: readonly SendResult[]): SendFailed[] {
  return results.filter(isSendFailed);
}

/** What a KCL consumer would read: aggregates with a record outside their shard's range are dropped whole. */
function kclVisible(kinesis: InMemoryKinesis): string[] {
  const ranges = new Map(kinesis.shards(STREAM).map((s) => [s.shardId, s.hashKeyRange]));
  const decoder = new TextDecoder();
  return kinesis.allRecords(STREAM).flatMap((record) => {
    const users = decodeAggregatedRecord(record.data);
    if (users === undefined) return [decoder.decode(record.data)];
    const range = ranges.get(record.shardId)!;
    const inRange = users.every((u) => {
      const key = u.explicitHashKey === undefined ? hashKeyOf(u.partitionKey) : BigInt(u.explicitHashKey);
      return key >= range.startingHashKey && key <= range.endingHashKey;
    });
    return inRange ? users.map((u) => decoder.decode(u.data)) : [];
  });
}

/** A port that delegates to `inner` but answers PutRecords with `putRecords`. */
function withPutRecords(inner: KinesisPort, putRecords: KinesisPort['putRecords']): KinesisPort {
  return {
    listShards: (s, f) => inner.listShards(s, f),
    getShardIterator: (s, id, p) => inner.getShardIterator(s, id, p),
    getRecords: (it, l) => inner.getRecords(it, l),
    putRecords,
  };
}

describe('produce', () => {
  describe('must', () => {
    it('put every event exactly once, aggregated per predicted shard, with one result each', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 4);
      const input = events(2000);

      const run = runToEnd(from(input).pipe(produce(conf(), { kinesis, scheduler })), scheduler);

      expect(run.completed).to.equal(true);
      expect(run.values).to.have.length(2000);
      const ok = successes(run.values);
      expect(ok).to.have.length(2000);
      expect(new Set(ok.map((r) => r.event))).to.have.property('size', 2000);
      expect(new Set(ok.map((r) => r.messageId))).to.have.property('size', 2000);

      const stored = storedUserRecords(kinesis);
      expect(stored.map((r) => r.data).sort()).to.deep.equal(input.map((e) => e.payload as string).sort());
      // Aggregated: far fewer Kinesis records than user records, every one on the shard its keys hash to.
      expect(kinesis.allRecords(STREAM).length).to.be.below(100);
      const ranges = new Map(kinesis.shards(STREAM).map((s) => [s.shardId, s.hashKeyRange]));
      for (const record of stored) {
        const range = ranges.get(record.shardId)!;
        const key = hashKeyOf(record.partitionKey);
        expect(key >= range.startingHashKey && key <= range.endingHashKey, record.partitionKey).to.equal(true);
      }
      // Each result names where its record went.
      const where = new Map(stored.map((r) => [r.data, r]));
      for (const result of ok) {
        const record = where.get(result.event.payload as string)!;
        expect([result.shardId, result.sequenceNumber]).to.deep.equal([record.shardId, record.sequenceNumber]);
        expect(result.attempts).to.have.length(1);
        expect(result.attempts[0]!.success).to.equal(true);
      }
    });

    it('end every event SendSuccessful exactly once when 30 % of entries are throttled', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 4, { faults: { seed: 7 }, latencyMillis: 20 });
      kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'throttle', probability: 0.3 });
      const input = events(3000);

      const run = runToEnd(from(input).pipe(produce(conf(), { kinesis, scheduler })), scheduler);

      expect(run.completed).to.equal(true);
      const ok = successes(run.values);
      expect(ok).to.have.length(3000);
      expect(new Set(ok.map((r) => r.event)).size).to.equal(3000);
      const retried = ok.filter((r) => r.attempts.length > 1);
      expect(retried.length).to.be.above(0);
      for (const result of retried) {
        const failed = result.attempts.slice(0, -1);
        expect(failed.every((a) => !a.success && a.errorCode === 'ProvisionedThroughputExceededException')).to.equal(true);
        expect(result.attempts[result.attempts.length - 1]!.success).to.equal(true);
      }
      // Throttled entries are not stored, so nothing is stored twice.
      expect(storedUserRecords(kinesis).map((r) => r.data).sort()).to.deep.equal(input.map((e) => e.payload as string).sort());
    });

    it('fail invalid events alone, at once, with InvalidRecordError naming the field', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2, { latencyMillis: 50 });
      const bad: ProducerEvent[] = [
        { partitionKey: '', payload: 'x' },
        { partitionKey: 'k'.repeat(257), payload: 'x' },
        { partitionKey: 'big', payload: new Uint8Array(65) },
        { partitionKey: 'ehk', payload: 'x', explicitHashKey: 'abc' },
        { partitionKey: 'ehk', payload: 'x', explicitHashKey: (1n << 128n).toString() },
        { partitionKey: 'lone \uD800 surrogate', payload: 'x' },
      ];
      const good = events(10);
      const failedAt = new Map<SendResult, number>();
      const source = from([...good.slice(0, 5), ...bad, ...good.slice(5)]);

      const run = runToEnd(
        source.pipe(
          produce(conf({ MaxUserRecordSize: 64 }), { kinesis, scheduler }),
          map((r) => (failedAt.set(r, scheduler.now()), r)),
        ),
        scheduler,
      );

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal(bad);
      expect(failed.map((f) => (f.reason as InvalidRecordError).field)).to.deep.equal([
        'partitionKey',
        'partitionKey',
        'data',
        'explicitHashKey',
        'explicitHashKey',
        'partitionKey',
      ]);
      expect(failed.every((f) => f.reason instanceof InvalidRecordError && f.attempts.length === 0)).to.equal(true);
      expect(failed.map((f) => failedAt.get(f))).to.deep.equal(bad.map(() => 0));
      expect((failed[1]!.reason as Error).message).to.contain('at most 256 characters');
      expect((failed[2]!.reason as Error).message).to.contain('at most 64 bytes');
      expect(successes(run.values).map((r) => r.event)).to.have.members(good);
    });

    it('accept a partition key of 256 characters, counted as code points', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const emoji = '😀'.repeat(256); // 512 UTF-16 units, 256 characters
      const run = runToEnd(from([{ partitionKey: emoji, payload: 'x' }]).pipe(produce(conf(), { kinesis, scheduler })), scheduler);
      expect(successes(run.values)).to.have.length(1);
    });

    it('route by the explicit hash key when one is given', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 4);
      const last = ((1n << 128n) - 1n).toString();
      const run = runToEnd(
        from([
          { partitionKey: 'a', payload: 'first', explicitHashKey: '0' },
          { partitionKey: 'a', payload: 'last', explicitHashKey: last },
        ]).pipe(produce(conf(), { kinesis, scheduler })),
        scheduler,
      );
      expect(successes(run.values).map((r) => [r.event.payload, r.shardId])).to.have.deep.members([
        ['first', 'shardId-000000000000'],
        ['last', 'shardId-000000000003'],
      ]);
    });

    it('send one plain Kinesis record per event when aggregation is disabled', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const run = runToEnd(from(events(50)).pipe(produce(conf({ AggregationEnabled: false }), { kinesis, scheduler })), scheduler);
      expect(successes(run.values)).to.have.length(50);
      const records = kinesis.allRecords(STREAM);
      expect(records).to.have.length(50);
      expect(records.every((r) => decodeAggregatedRecord(r.data) === undefined)).to.equal(true);
      expect(new Set(successes(run.values).map((r) => r.sequenceNumber)).size).to.equal(50);
    });

    it('keep the caller order per partition key with one request in flight and no retries', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 4, { latencyMillis: 5 });
      const input = Array.from({ length: 300 }, (_, i) => ({ partitionKey: `user-${i % 7}`, payload: `${i}` }));
      // Spread over time so the events make many aggregates and requests.
      const source = interval(1, scheduler).pipe(
        take(input.length),
        map((i) => input[i]!),
      );
      runToEnd(source.pipe(produce(conf({ MaxConnections: 1, AggregationMaxCount: 10 }), { kinesis, scheduler })), scheduler);
      const stored = storedUserRecords(kinesis);
      for (let key = 0; key < 7; key++) {
        const order = stored.filter((r) => r.partitionKey === `user-${key}`).map((r) => Number(r.data));
        expect(order).to.deep.equal([...order].sort((a, b) => a - b));
        expect(order).to.have.length(input.filter((e) => e.partitionKey === `user-${key}`).length);
      }
    });

    it('retry whole-request failures that are retryable, recording each attempt', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      kinesis.faults.add({ operation: 'putRecords', fault: 'transient', times: 2 });
      const run = runToEnd(from(events(20)).pipe(produce(conf(), { kinesis, scheduler })), scheduler);
      const ok = successes(run.values);
      expect(ok).to.have.length(20);
      expect(ok.map((r) => r.attempts.map((a) => a.errorCode ?? 'ok'))).to.deep.equal(ok.map(() => ['InternalFailure', 'InternalFailure', 'ok']));
      expect(kinesis.calls.putRecords).to.equal(3);
    });

    it('fail records at once with the error when the call cannot succeed by retrying', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const denied = new KinesisCallError('PutRecords', 'AccessDeniedException', 'not allowed');
      const port = withPutRecords(kinesis, () => throwError(() => denied));
      const run = runToEnd(from(events(5)).pipe(produce(conf(), { kinesis: port, scheduler })), scheduler);
      const failed = failures(run.values);
      expect(failed).to.have.length(5);
      expect(failed.every((f) => f.reason === denied && f.attempts.length === 1 && f.attempts[0]!.errorCode === 'AccessDeniedException')).to.equal(true);
      expect(scheduler.now()).to.be.below(1000);
    });

    it('fail throttled records at once under FailIfThrottled', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'throttle' });
      const run = runToEnd(from(events(3)).pipe(produce(conf({ FailIfThrottled: true }), { kinesis, scheduler })), scheduler);
      const failed = failures(run.values);
      expect(failed).to.have.length(3);
      expect(failed.every((f) => f.reason instanceof KinesisThrottledError && f.attempts.length === 1)).to.equal(true);
      expect(kinesis.calls.putRecords).to.equal(1);
    });

    it('fail records with RecordExpiredError naming the last cause once RecordTtl runs out', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'throttle' });
      const settledAt: number[] = [];
      const run = runToEnd(
        from(events(4)).pipe(
          produce(conf({ RecordTtl: 1000 }), { kinesis, scheduler }),
          map((r) => (settledAt.push(scheduler.now()), r)),
        ),
        scheduler,
      );
      const failed = failures(run.values);
      expect(failed).to.have.length(4);
      for (const f of failed) {
        expect(f.reason).to.be.instanceOf(RecordExpiredError);
        const reason = f.reason as RecordExpiredError;
        expect(reason.ttlMillis).to.equal(1000);
        expect(reason.attempts).to.equal(f.attempts.length).and.to.be.above(2);
        expect(reason.lastCause).to.be.instanceOf(KinesisThrottledError);
        expect(reason.message).to.contain('RecordTtl 1000 ms');
      }
      // Expiry is noticed at the TTL, not a backoff later.
      expect(Math.max(...settledAt)).to.be.at.most(1000);
    });

    it('error with StreamNotFoundError when the stream does not exist', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const run = runToEnd(from(events(3)).pipe(produce({ ...conf(), streamName: 'missing' }, { kinesis, scheduler })), scheduler);
      expect(run.values).to.deep.equal([]);
      expect(run.error).to.be.instanceOf(StreamNotFoundError);
    });

    it('retry a throttled ListShards before sending anything', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      kinesis.faults.add({ operation: 'listShards', fault: 'throttle', times: 2 });
      const run = runToEnd(from(events(5)).pipe(produce(conf(), { kinesis, scheduler })), scheduler);
      expect(successes(run.values)).to.have.length(5);
      expect(kinesis.calls.listShards).to.equal(3);
      // 1 s then 1.5 s of backoff before the map is in.
      expect(successes(run.values)[0]!.attempts[0]!.delayMillis).to.be.below(200);
      expect(scheduler.now()).to.be.at.least(2500);
    });

    it('re-send a whole aggregate that landed on a shard not holding all its records, after a split', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2, { latencyMillis: 10 });
      const input = events(4000);
      const source = interval(1, scheduler).pipe(
        take(40),
        mergeMap((i) => input.slice(i * 100, (i + 1) * 100)),
      );
      const split = timer(15, scheduler).pipe(
        mergeMap(() => {
          const parent = kinesis.shards(STREAM)[0]!;
          const middle = (parent.hashKeyRange.startingHashKey + parent.hashKeyRange.endingHashKey) / 2n;
          return kinesis.splitShard(STREAM, parent.shardId, middle);
        }),
        ignoreElements(),
      );
      const run = runToEnd(merge(source.pipe(produce(conf(), { kinesis, scheduler })), split), scheduler);
      expect(run.completed).to.equal(true);
      const ok = successes(run.values);
      expect(ok).to.have.length(4000);
      // After the split the parent is closed; some aggregates were predicted for it.
      const shardIds = new Set(ok.map((r) => r.shardId));
      expect(shardIds.size).to.be.at.least(3);
      expect(ok.some((r) => r.attempts.some((a) => a.errorCode === 'WrongShard'))).to.equal(true);
      // What a KCL consumer reads holds every event exactly once.
      expect(kclVisible(kinesis).sort()).to.deep.equal(input.map((e) => e.payload as string).sort());
    });

    it('hold at most max-outstanding-requests events in flight, shedding beyond maxBufferedEvents', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const sent: number[] = [];
      // PutRecords answers after 1 s.
      const slow = withPutRecords(kinesis, (stream, entries) => {
        sent.push(entries.reduce((n, e) => n + (decodeAggregatedRecord(e.data)?.length ?? 1), 0));
        return timer(1000, scheduler).pipe(
          map(() => kinesis.appendRecords(stream, entries)),
        );
      });
      const results: SendResult[] = [];
      let at500 = -1;
      from(events(30))
        .pipe(produce(conf({}, { 'max-outstanding-requests': 5 }), { kinesis: slow, scheduler }, { maxBufferedEvents: 10 }))
        .subscribe((r) => results.push(r));
      scheduler.schedule(() => (at500 = sent.reduce((a, b) => a + b, 0)), 500);
      scheduler.flush();

      expect(at500).to.equal(5);
      const overflowed = failures(results);
      expect(overflowed).to.have.length(15);
      expect(overflowed.every((f) => f.reason instanceof ProducerOverflowError)).to.equal(true);
      expect(successes(results)).to.have.length(15);
      expect(Math.max(...sent)).to.be.at.most(5);
    });
  });
});
