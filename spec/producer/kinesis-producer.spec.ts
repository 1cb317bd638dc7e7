import { expect } from 'chai';
import { timer, map, type VirtualTimeScheduler } from 'rxjs';
import { InvalidRecordError, StreamNotFoundError } from '../../lib/model/errors';
import type { SendResult } from '../../lib/model/send-result';
import type { KinesisPort } from '../../lib/ports/kinesis-port';
import { ProducerClosedError } from '../../lib/producer/errors';
import { KinesisProducer } from '../../lib/producer/kinesis-producer';
import { conf, kinesisWith, storedUserRecords, STREAM, virtualTime } from './support';

/** Runs virtual time and lets promise callbacks run, until nothing more happens. */
async function settle(scheduler: VirtualTimeScheduler): Promise<void> {
  for (let i = 0; i < 20; i++) {
    scheduler.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function slowPort(scheduler: VirtualTimeScheduler, answerAfter: number): { port: KinesisPort; putRecordsCalls: () => number } {
  const kinesis = kinesisWith(scheduler, 1);
  let calls = 0;
  const port: KinesisPort = {
    listShards: (s, f) => kinesis.listShards(s, f),
    getShardIterator: (s, id, p) => kinesis.getShardIterator(s, id, p),
    getRecords: (it, l) => kinesis.getRecords(it, l),
    putRecords: (stream, entries) => {
      calls += 1;
      return timer(answerAfter, scheduler).pipe(map(() => kinesis.appendRecords(stream, entries)));
    },
  };
  return { port, putRecordsCalls: () => calls };
}

describe('KinesisProducer', () => {
  describe('must', () => {
    it('resolve send() with the SendSuccessful of the event', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const producer = KinesisProducer.create(conf(), { kinesis, scheduler });
      const event = { partitionKey: 'k', payload: 'hello' };
      const sent = producer.send(event);
      await settle(scheduler);
      const result = await sent;
      expect(result._tag).to.equal('SendSuccessful');
      expect(result.event).to.equal(event);
      expect(storedUserRecords(kinesis).map((r) => [r.data, r.shardId, r.sequenceNumber])).to.deep.equal([['hello', result.shardId, result.sequenceNumber]]);
      await producer.stop();
    });

    it('reject send() with the real cause of a SendFailed', async () => {
      const scheduler = virtualTime();
      const producer = KinesisProducer.create(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler });
      const sent = producer.send({ partitionKey: '', payload: 'x' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await settle(scheduler);
      const error = await sent;
      expect(error).to.be.instanceOf(InvalidRecordError);
      await producer.stop();
    });

    it('take events from its Observer input and give results on results$', async () => {
      const scheduler = virtualTime();
      const producer = KinesisProducer.create(conf(), { kinesis: kinesisWith(scheduler, 2), scheduler });
      const results: SendResult[] = [];
      let completed = false;
      producer.results$.subscribe({ next: (r) => results.push(r), complete: () => (completed = true) });
      producer.events.next({ partitionKey: 'a', payload: '1' });
      producer.events.next({ partitionKey: 'b', payload: '2' });
      producer.events.complete();
      await settle(scheduler);
      expect(results.map((r) => [r._tag, r.event.payload]).sort()).to.deep.equal([
        ['SendSuccessful', '1'],
        ['SendSuccessful', '2'],
      ]);
      expect(completed).to.equal(true);
    });

    it('send what is buffered at once on flush()', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 1);
      const producer = KinesisProducer.create(conf({ RecordMaxBufferedTime: 60000 }), { kinesis, scheduler });
      const results: SendResult[] = [];
      producer.results$.subscribe((r) => results.push(r));
      producer.events.next({ partitionKey: 'a', payload: '1' });
      scheduler.schedule(() => producer.flush(), 10);
      scheduler.flush();
      expect(results).to.have.length(1);
      expect(scheduler.now()).to.be.below(1000);
      await producer.stop();
    });

    it('resolve stop() once every accepted event has a result, then refuse new events', async () => {
      const scheduler = virtualTime();
      const { port } = slowPort(scheduler, 500);
      const producer = KinesisProducer.create(conf(), { kinesis: port, scheduler });
      const sends = [producer.send({ partitionKey: 'a', payload: '1' }), producer.send({ partitionKey: 'b', payload: '2' })];
      let stopped = false;
      const stopping = producer.stop().then(() => (stopped = true));
      const late = producer.send({ partitionKey: 'c', payload: '3' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(await late).to.be.instanceOf(ProducerClosedError);
      expect(stopped).to.equal(false);
      await settle(scheduler);
      await stopping;
      expect((await Promise.all(sends)).map((r) => r.event.payload)).to.deep.equal(['1', '2']);
      expect(producer.outstandingCount).to.equal(0);
    });

    it('make ready() wait while max-outstanding-requests events are in flight', async () => {
      const scheduler = virtualTime();
      const { port } = slowPort(scheduler, 1000);
      const producer = KinesisProducer.create(conf({}, { 'max-outstanding-requests': 2 }), { kinesis: port, scheduler });
      void producer.send({ partitionKey: 'a', payload: '1' });
      void producer.send({ partitionKey: 'b', payload: '2' });
      let ready = false;
      void producer.ready().then(() => (ready = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(producer.outstandingCount).to.equal(2);
      expect(ready).to.equal(false);
      await settle(scheduler);
      expect(ready).to.equal(true);
      await producer.stop();
    });

    it('reject pending sends and stop() with the cause when the producer cannot work', async () => {
      const scheduler = virtualTime();
      const producer = KinesisProducer.create({ ...conf(), streamName: 'missing' }, { kinesis: kinesisWith(scheduler, 1), scheduler });
      const sent = producer.send({ partitionKey: 'a', payload: '1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await settle(scheduler);
      expect(await sent).to.be.instanceOf(StreamNotFoundError);
      const stopped = await producer.stop().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(stopped).to.be.instanceOf(StreamNotFoundError);
      expect(STREAM).to.not.equal('missing');
    });

    it('reject sends without a result with ProducerClosedError on destroy()', async () => {
      const scheduler = virtualTime();
      const { port } = slowPort(scheduler, 1000);
      const producer = KinesisProducer.create(conf(), { kinesis: port, scheduler });
      const sent = producer.send({ partitionKey: 'a', payload: '1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      scheduler.schedule(() => producer.destroy(), 200);
      await settle(scheduler);
      expect(await sent).to.be.instanceOf(ProducerClosedError);
    });
  });
});
