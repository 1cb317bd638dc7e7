/**
 * A record Kinesis refuses fails alone, against the emulators' two ways of refusing a record over
 * the stream's maximum record size (here the producer's MaxUserRecordSize is set above it):
 * kinesalite refuses the whole request with ValidationException, as Kinesis does, and a request
 * body over 7 MiB with HTTP 413; kinesis-local fails the one entry with InvalidArgumentException.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { from, lastValueFrom, toArray } from 'rxjs';
import { decodeKinesisConfig, producerConf } from '../../lib/config';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendFailed, isSendSuccessful, type SendResult } from '../../lib/model/send-result';
import { RecordRefusedError } from '../../lib/producer/errors';
import { produce } from '../../lib/producer/produce';
import { kinesalite } from '../support/emulators';
import { freshStreamPerTest, type StreamFixture } from './fresh-stream';
import { readAll } from './read-stream';

const MIB = 1024 * 1024;

function smallEvents(count: number): ProducerEvent[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: randomBytes(8).toString('hex'), payload: `event-${i}-${randomBytes(12).toString('hex')}` }));
}

/** Puts `culprit` in among 200 small events; answers the results and the small events. */
async function produceWith(
  fixture: StreamFixture,
  culprit: ProducerEvent,
  moreKpl: Record<string, unknown> = {},
): Promise<{ results: SendResult[]; small: ProducerEvent[] }> {
  const small = smallEvents(200);
  const input = [...small.slice(0, 60), culprit, ...small.slice(60)];
  // MaxUserRecordSize above the stream's 1 MiB, no rate limit wait for the large records, and time
  // for kinesis-local, which takes seconds over a record of 1 MiB.
  const kpl = { MaxUserRecordSize: 10 * MIB, RateLimit: 100000, RequestTimeout: 30000, RecordTtl: 60000, ...moreKpl };
  const conf = producerConf(decodeKinesisConfig({ p: { 'stream-name': fixture.stream, kpl } }), 'p');
  const results = await lastValueFrom(from(input).pipe(produce(conf, { kinesis: fixture.client }), toArray()));
  return { results, small };
}

async function expectStored(fixture: StreamFixture, small: readonly ProducerEvent[]): Promise<void> {
  const { records } = await readAll(fixture.port, fixture.stream);
  expect(records.map((r) => r.payload).sort()).to.deep.equal(small.map((e) => e.payload as string).sort());
}

describe('a record Kinesis refuses', function () {
  this.timeout(120_000);

  describe('on kinesalite, which refuses the whole request', function () {
    const fixture = freshStreamPerTest(2, kinesalite);

    it('fails alone with RecordRefusedError, found by splitting the request; every other record is stored', async function () {
      const culprit: ProducerEvent = { partitionKey: 'culprit', payload: new Uint8Array(MIB + MIB / 2) };
      // Unaggregated, the small records before it are sent in the same request.
      const { results, small } = await produceWith(fixture, culprit, { AggregationEnabled: false });

      const failed = results.filter(isSendFailed);
      expect(failed.map((f) => f.event)).to.deep.equal([culprit]);
      const reason = failed[0]!.reason as RecordRefusedError;
      expect(reason).to.be.instanceOf(RecordRefusedError);
      expect(reason.code).to.equal('ValidationException');
      expect(reason.message).to.contain('data 1572864 bytes + partition key 7 bytes').and.to.contain('1048576');
      const ok = results.filter(isSendSuccessful);
      expect(ok).to.have.length(small.length);
      expect(ok.filter((r) => r.attempts[0]!.errorCode === 'ValidationException').length, 'records sent with it, refused with it').to.be.at.least(30);
      await expectStored(fixture, small);
    });

    it('fails alone a record whose request is too large to be read (HTTP 413)', async function () {
      const culprit: ProducerEvent = { partitionKey: 'too-large', payload: new Uint8Array(6 * MIB) };
      const { results, small } = await produceWith(fixture, culprit);

      const failed = results.filter(isSendFailed);
      expect(failed.map((f) => f.event)).to.deep.equal([culprit]);
      expect(failed[0]!.reason).to.be.instanceOf(RecordRefusedError);
      expect(results.filter(isSendSuccessful)).to.have.length(small.length);
      await expectStored(fixture, small);
    });
  });

  describe('on kinesis-local, which fails the entry', function () {
    const fixture = freshStreamPerTest(2);

    it('fails alone with RecordRefusedError after one attempt, not retried until RecordTtl; every other record is stored', async function () {
      const culprit: ProducerEvent = { partitionKey: 'culprit', payload: new Uint8Array(MIB + 1) };
      const { results, small } = await produceWith(fixture, culprit);

      const failed = results.filter(isSendFailed);
      expect(failed.map((f) => f.event)).to.deep.equal([culprit]);
      const reason = failed[0]!.reason as RecordRefusedError;
      expect(reason).to.be.instanceOf(RecordRefusedError);
      expect(reason.code).to.equal('InvalidArgumentException');
      expect(failed[0]!.attempts).to.have.length(1);
      expect(results.filter(isSendSuccessful)).to.have.length(small.length);
      await expectStored(fixture, small);
    });
  });
});
