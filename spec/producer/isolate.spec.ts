import { expect } from 'chai';
import { from, map, throwError, timer, type Observable, type SchedulerLike } from 'rxjs';
import { decodeAggregatedRecord } from '../../lib/kpl';
import { InvalidRecordError, KinesisCallError } from '../../lib/model/errors';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendFailed, isSendSuccessful, type SendFailed, type SendResult, type SendSuccessful } from '../../lib/model/send-result';
import type { KinesisPort, PutRecordsEntry, PutRecordsResultEntry } from '../../lib/ports/kinesis-port';
import { RecordRefusedError } from '../../lib/producer/errors';
import { produce } from '../../lib/producer/produce';
import type { InMemoryKinesis } from '../../lib/testing';
import { conf, events, kinesisWith, runToEnd, storedUserRecords, STREAM, virtualTime } from './support';

const MIB = 1024 * 1024;

function successes(results: readonly SendResult[]): SendSuccessful[] {
  return results.filter(isSendSuccessful);
}
function failures(results: readonly SendResult[]): SendFailed[] {
  return results.filter(isSendFailed);
}

/** `count` small events with `culprits` put in at the given indexes. */
function withCulprits(count: number, culprits: ReadonlyMap<number, ProducerEvent>): ProducerEvent[] {
  const input = events(count);
  for (const index of [...culprits.keys()].sort((a, b) => b - a)) input.splice(index, 0, culprits.get(index)!);
  return input;
}

/** A port that delegates to the fake but answers PutRecords with `putRecords`, counting the calls. */
function portWith(kinesis: InMemoryKinesis, putRecords: KinesisPort['putRecords']): KinesisPort & { readonly sent: number[] } {
  const sent: number[] = [];
  return {
    sent,
    listShards: (s, f) => kinesis.listShards(s, f),
    getShardIterator: (s, id, p) => kinesis.getShardIterator(s, id, p),
    getRecords: (it, l) => kinesis.getRecords(it, l),
    putRecords: (stream, entries) => {
      sent.push(entries.reduce((n, e) => n + (decodeAggregatedRecord(e.data)?.length ?? 1), 0));
      return putRecords(stream, entries);
    },
  };
}

/**
 * A port whose PutRecords answers after 10 ms, failing with `InvalidArgumentException` each entry
 * `refusal` gives a message for, and putting the others into the fake.
 */
function entryRefusingPort(kinesis: InMemoryKinesis, scheduler: SchedulerLike, refusal: (entry: PutRecordsEntry) => string | undefined) {
  return portWith(kinesis, (stream, entries) =>
    timer(10, scheduler).pipe(
      map((): readonly PutRecordsResultEntry[] =>
        entries.map((entry) => {
          const message = refusal(entry);
          return message === undefined ? kinesis.appendRecords(stream, [entry])[0]! : { _tag: 'Failed', errorCode: 'InvalidArgumentException', errorMessage: message };
        }),
      ),
    ),
  );
}

/** The user records' payloads of an entry, as text. */
function payloadsOf(entry: PutRecordsEntry): string[] {
  const decoder = new TextDecoder();
  return (decodeAggregatedRecord(entry.data) ?? [entry]).map((u) => decoder.decode(u.data));
}

/** Most PutRecords calls finding `culprits` among `records` may take: the first, then two per level of halving per culprit. */
function bisectionBound(records: number, culprits: number): number {
  return 1 + 2 * culprits * Math.ceil(Math.log2(records));
}

describe('isolating the records Kinesis refuses', () => {
  describe('must', () => {
    it('fail alone, at once, a record whose data plus partition key is over MaxUserRecordSize, storing every other one', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      // Data of exactly 1 MiB is within the limit only without its partition key.
      const big: ProducerEvent = { partitionKey: 'big', payload: new Uint8Array(MIB) };
      const input = withCulprits(20, new Map([[10, big]]));

      const run = runToEnd(from(input).pipe(produce(conf(), { kinesis, scheduler })), scheduler);

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal([big]);
      const reason = failed[0]!.reason;
      expect(reason).to.be.instanceOf(InvalidRecordError);
      expect((reason as InvalidRecordError).field).to.equal('data');
      expect(reason.message).to.contain(`data plus partition key must be at most ${MIB} bytes (MaxUserRecordSize), got ${MIB} + 3`);
      expect(failed[0]!.attempts).to.deep.equal([]);
      expect(successes(run.values)).to.have.length(20);
      expect(storedUserRecords(kinesis).map((r) => r.data).sort()).to.deep.equal(events(20).map((e) => e.payload as string).sort());
    });

    it('keep every aggregate within MaxUserRecordSize, partition key included', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const run = runToEnd(from(events(500)).pipe(produce(conf({ MaxUserRecordSize: 1000 }), { kinesis, scheduler })), scheduler);
      expect(successes(run.values)).to.have.length(500);
      const records = kinesis.allRecords(STREAM);
      expect(records.length, 'still aggregated').to.be.below(100);
      for (const record of records) expect(record.data.length + Buffer.byteLength(record.partitionKey)).to.be.at.most(1000);
    });

    it('split a request Kinesis refused whole, so that only the record it will not take fails and the others are stored in order', () => {
      const scheduler = virtualTime();
      // The stream takes records up to 1 MiB; the producer was told 2 MiB.
      const kinesis = kinesisWith(scheduler, 1);
      const culprit: ProducerEvent = { partitionKey: 'culprit', payload: new Uint8Array(MIB + MIB / 2) };
      const input = withCulprits(200, new Map([[77, culprit]]));

      const run = runToEnd(
        from(input).pipe(produce(conf({ MaxUserRecordSize: 2 * MIB, AggregationEnabled: false, MaxConnections: 1 }), { kinesis, scheduler })),
        scheduler,
      );

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal([culprit]);
      const reason = failed[0]!.reason as RecordRefusedError;
      expect(reason).to.be.instanceOf(RecordRefusedError);
      expect([reason.code, reason.dataBytes, reason.partitionKeyBytes]).to.deep.equal(['ValidationException', MIB + MIB / 2, 7]);
      expect(reason.message).to.contain('refused the record on its own').and.to.contain('data 1572864 bytes + partition key 7 bytes');
      expect(reason.cause).to.be.instanceOf(KinesisCallError);

      const ok = successes(run.values);
      expect(ok).to.have.length(200);
      for (const result of ok) {
        expect(result.attempts.at(-1)!.success).to.equal(true);
        expect(result.attempts.slice(0, -1).every((a) => a.errorCode === 'ValidationException')).to.equal(true);
      }
      // One shard, one request at a time: stored in the caller's order.
      expect(storedUserRecords(kinesis).map((r) => r.data)).to.deep.equal(events(200).map((e) => e.payload as string));
      expect(kinesis.calls.putRecords).to.be.above(1).and.at.most(bisectionBound(201, 1));
    });

    it('find several refused records among 500 with PutRecords calls logarithmic in the request size', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const refused = new KinesisCallError('PutRecords', 'ValidationException', 'records holds a value Kinesis will not take');
      const port = portWith(kinesis, (stream, entries) =>
        entries.some((e) => payloadsOf(e)[0]!.startsWith('poison')) ? throwError(() => refused) : kinesis.putRecords(stream, entries),
      );
      const culprits = new Map([7, 250, 431].map((i) => [i, { partitionKey: `culprit-${i}`, payload: `poison-${i}` }]));
      const input = withCulprits(497, culprits);

      const run = runToEnd(from(input).pipe(produce(conf({ AggregationEnabled: false }), { kinesis: port, scheduler })), scheduler);

      expect(failures(run.values).map((f) => f.event)).to.have.members([...culprits.values()]);
      expect(failures(run.values).every((f) => f.reason instanceof RecordRefusedError)).to.equal(true);
      expect(successes(run.values)).to.have.length(497);
      expect(storedUserRecords(kinesis).map((r) => r.data)).to.deep.equal(events(497).map((e) => e.payload as string));
      expect(port.sent[0], 'all in one request first').to.equal(500);
      expect(port.sent.length).to.be.at.most(bisectionBound(500, 3)).and.to.be.at.least(1 + 2 * 9);
    });

    it('fail alone each record over the stream\'s maximum record size that MaxUserRecordSize let through', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const culprits = new Map([7, 250, 431].map((i) => [i, { partitionKey: `culprit-${i}`, payload: new Uint8Array(MIB + 1) }]));
      const input = withCulprits(497, culprits);

      const run = runToEnd(from(input).pipe(produce(conf({ MaxUserRecordSize: 2 * MIB, AggregationEnabled: false }), { kinesis, scheduler })), scheduler);

      expect(failures(run.values).map((f) => f.event)).to.have.members([...culprits.values()]);
      expect(failures(run.values).every((f) => f.reason instanceof RecordRefusedError)).to.equal(true);
      expect(successes(run.values)).to.have.length(497);
      expect(storedUserRecords(kinesis)).to.have.length(497);
    });

    it('split an aggregate Kinesis refused down to the user record it will not take', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const poison: ProducerEvent = { partitionKey: 'poison', payload: 'poison' };
      const refused = new KinesisCallError('PutRecords', 'ValidationException', 'records holds a value Kinesis will not take');
      const port = portWith(kinesis, (stream, entries) =>
        entries.some((e) => payloadsOf(e).includes('poison')) ? throwError(() => refused) : kinesis.putRecords(stream, entries),
      );
      const input = withCulprits(100, new Map([[40, poison]]));

      const run = runToEnd(from(input).pipe(produce(conf(), { kinesis: port, scheduler })), scheduler);

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal([poison]);
      expect(failed[0]!.reason).to.be.instanceOf(RecordRefusedError);
      expect((failed[0]!.reason as RecordRefusedError).cause).to.equal(refused);
      expect(storedUserRecords(kinesis).map((r) => r.data).sort()).to.deep.equal(events(100).map((e) => e.payload as string).sort());
      expect(kinesis.allRecords(STREAM).length, 'the rest still aggregated').to.be.below(20);
      expect(port.sent.length).to.be.at.most(bisectionBound(101, 1));
    });

    it('split an aggregate whose entry Kinesis refused as invalid, putting the rest of the request at once', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const port = entryRefusingPort(kinesis, scheduler, (entry) => (payloadsOf(entry).includes('poison') ? 'a record Kinesis will not take' : undefined));
      const poison: ProducerEvent = { partitionKey: 'poison', payload: 'poison' };
      const input = withCulprits(100, new Map([[40, poison]]));

      const run = runToEnd(from(input).pipe(produce(conf(), { kinesis: port, scheduler })), scheduler);

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal([poison]);
      expect((failed[0]!.reason as RecordRefusedError).code).to.equal('InvalidArgumentException');
      const ok = successes(run.values);
      expect(ok).to.have.length(100);
      // Only the poisoned aggregate's records were sent again.
      const resent = ok.filter((r) => r.attempts.length > 1);
      expect(resent.length).to.be.above(0).and.below(100);
      expect(storedUserRecords(kinesis).map((r) => r.data).sort()).to.deep.equal(events(100).map((e) => e.payload as string).sort());
    });

    it('split a request refused whole as too large (HTTP 413) until its parts are taken', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const sdkError = Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 413 } });
      const tooLarge = () => new KinesisCallError('PutRecords', 'Unknown', 'UnknownError', { cause: sdkError });
      const port = portWith(kinesis, (stream, entries) => (entries.length > 10 ? throwError(tooLarge) : kinesis.putRecords(stream, entries)));

      const run = runToEnd(from(events(40)).pipe(produce(conf({ AggregationEnabled: false }), { kinesis: port, scheduler })), scheduler);

      expect(failures(run.values)).to.deep.equal([]);
      expect(successes(run.values)).to.have.length(40);
      expect(port.sent).to.deep.equal([40, 20, 10, 10, 20, 10, 10]);
    });

    it('fail alone, at once, a record whose entry Kinesis refuses as invalid, instead of retrying it', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      // As kinesis-local answers an entry over the stream's record size.
      const port = entryRefusingPort(kinesis, scheduler, (entry) =>
        entry.data.length > MIB ? `Record data size ${entry.data.length} exceeds the stream's max record size` : undefined,
      );
      const culprit: ProducerEvent = { partitionKey: 'culprit', payload: new Uint8Array(MIB + 1) };
      const input = withCulprits(30, new Map([[3, culprit]]));

      const run = runToEnd(from(input).pipe(produce(conf({ MaxUserRecordSize: 2 * MIB }), { kinesis: port, scheduler })), scheduler);

      const failed = failures(run.values);
      expect(failed.map((f) => f.event)).to.deep.equal([culprit]);
      const reason = failed[0]!.reason as RecordRefusedError;
      expect(reason).to.be.instanceOf(RecordRefusedError);
      expect(reason.code).to.equal('InvalidArgumentException');
      expect(reason.message).to.contain("exceeds the stream's max record size");
      expect(failed[0]!.attempts).to.have.length(1);
      expect(successes(run.values)).to.have.length(30);
      expect(scheduler.now(), 'not retried until RecordTtl').to.be.below(1000);
    });

    it('leave other whole-request failures to the usual path: no split', () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const denied = new KinesisCallError('PutRecords', 'AccessDeniedException', 'not allowed');
      const port = portWith(kinesis, (): Observable<never> => throwError(() => denied));
      const run = runToEnd(from(events(50)).pipe(produce(conf({ AggregationEnabled: false }), { kinesis: port, scheduler })), scheduler);
      expect(failures(run.values).every((f) => f.reason === denied)).to.equal(true);
      expect(port.sent).to.deep.equal([50]);
    });
  });
});
