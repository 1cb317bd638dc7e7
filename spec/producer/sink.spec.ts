import { expect } from 'chai';
import { concat, from, map, NEVER, throwError, timer, type VirtualTimeScheduler } from 'rxjs';
import { InvalidRecordError } from '../../lib/model/errors';
import type { ProducerEvent } from '../../lib/model/producer-event';
import type { KinesisPort } from '../../lib/ports/kinesis-port';
import { kinesisSink } from '../../lib/producer/sink';
import { conf, events, kinesisWith, storedUserRecords, virtualTime } from './support';

async function settle(scheduler: VirtualTimeScheduler, rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    scheduler.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function state(promise: Promise<void>): { readonly value: 'pending' | 'resolved' | 'rejected'; readonly error: unknown } {
  const s = { value: 'pending' as 'pending' | 'resolved' | 'rejected', error: undefined as unknown };
  promise.then(
    () => (s.value = 'resolved'),
    (e: unknown) => {
      s.value = 'rejected';
      s.error = e;
    },
  );
  return s;
}

/** A port whose PutRecords never answers, counting the user records offered to it. */
function silentPort(scheduler: VirtualTimeScheduler): { port: KinesisPort; offered: () => number } {
  const kinesis = kinesisWith(scheduler, 1);
  let offered = 0;
  return {
    port: {
      listShards: (s, f) => kinesis.listShards(s, f),
      getShardIterator: (s, id, p) => kinesis.getShardIterator(s, id, p),
      getRecords: (it, l) => kinesis.getRecords(it, l),
      putRecords: (_stream, entries) => {
        offered += entries.length;
        return NEVER;
      },
    },
    offered: () => offered,
  };
}

describe('kinesisSink', () => {
  describe('must', () => {
    it('resolve once every event of an Observable is acknowledged', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const done = state(kinesisSink(conf(), { kinesis, scheduler })(from(events(100))));
      await settle(scheduler);
      expect(done.value).to.equal('resolved');
      expect(storedUserRecords(kinesis)).to.have.length(100);
    });

    it('reject with the real cause of the first failure, not a count', async () => {
      const scheduler = virtualTime();
      const done = state(kinesisSink(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler })(from([...events(3), { partitionKey: '', payload: 'x' }])));
      await settle(scheduler);
      expect(done.value).to.equal('rejected');
      expect(done.error).to.be.instanceOf(InvalidRecordError);
    });

    it('reject with the upstream error itself', async () => {
      const scheduler = virtualTime();
      const boom = new Error('upstream broke');
      const done = state(kinesisSink(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler })(concat(from(events(3)), throwError(() => boom))));
      await settle(scheduler);
      expect(done.error).to.equal(boom);
    });

    it('send exactly max-outstanding-requests events and wait when none is acknowledged', async () => {
      const scheduler = virtualTime();
      const { port, offered } = silentPort(scheduler);
      // Spread out so that each event is its own Kinesis record.
      const source = timer(0, 10, scheduler).pipe(map((i) => ({ partitionKey: `k${i}`, payload: `${i}` })));
      // Run 1 s of virtual time only: the source never ends.
      scheduler.maxFrames = 1000;
      const done = state(
        kinesisSink(conf({ AggregationEnabled: false, RequestTimeout: 600000, RecordTtl: 600000 }, { 'max-outstanding-requests': 5 }), { kinesis: port, scheduler })(source),
      );
      await settle(scheduler, 3);
      expect(offered()).to.equal(5);
      expect(done.value).to.equal('pending');
    });

    it('pull from an iterable only while fewer than max-outstanding-requests are in flight', async () => {
      const scheduler = virtualTime();
      const { port, offered } = silentPort(scheduler);
      scheduler.maxFrames = 1000;
      let pulled = 0;
      function* generate(): Generator<ProducerEvent> {
        for (let i = 0; i < 1_000_000; i++) {
          pulled += 1;
          yield { partitionKey: `k${i}`, payload: `${i}` };
        }
      }
      const done = state(
        kinesisSink(conf({ AggregationEnabled: false, RequestTimeout: 600000, RecordTtl: 600000 }, { 'max-outstanding-requests': 5 }), { kinesis: port, scheduler })(
          generate(),
        ),
      );
      await settle(scheduler, 10);
      expect(done.error).to.equal(undefined);
      expect(done.value).to.equal('pending');
      expect(offered()).to.equal(5);
      expect(pulled).to.be.at.most(6);
    });

    it('drain an iterable to the end', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      const done = state(kinesisSink(conf({}, { 'max-outstanding-requests': 7 }), { kinesis, scheduler })(events(100)));
      await settle(scheduler);
      expect(done.value).to.equal('resolved');
      expect(storedUserRecords(kinesis).map((r) => r.data).sort()).to.deep.equal(events(100).map((e) => e.payload as string).sort());
    });

    it('reject with the cause of the first failure from an iterable, and close it', async () => {
      const scheduler = virtualTime();
      let closed = false;
      function* generate(): Generator<ProducerEvent> {
        try {
          yield* events(3);
          yield { partitionKey: '', payload: 'x' };
          yield* events(1000);
        } finally {
          closed = true;
        }
      }
      const done = state(kinesisSink(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler })(generate()));
      await settle(scheduler);
      expect(done.error).to.be.instanceOf(InvalidRecordError);
      expect(closed).to.equal(true);
    });

    it('reject with what the iterable throws, the same instance', async () => {
      const scheduler = virtualTime();
      const boom = new Error('generator broke');
      function* generate(): Generator<ProducerEvent> {
        yield* events(3);
        throw boom;
      }
      const done = state(kinesisSink(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler })(generate()));
      await settle(scheduler);
      expect(done.error).to.equal(boom);
    });

    it('reject with the cause of the first failure from an async iterable, and close it', async () => {
      const scheduler = virtualTime();
      let closed = false;
      let pulled = 0;
      async function* generate(): AsyncGenerator<ProducerEvent> {
        try {
          yield* events(3);
          yield { partitionKey: '', payload: 'x' };
          for (const event of events(1000)) {
            pulled += 1;
            yield event;
          }
        } finally {
          closed = true;
        }
      }
      const done = state(kinesisSink(conf({}, { 'max-outstanding-requests': 10 }), { kinesis: kinesisWith(scheduler, 1), scheduler })(generate()));
      await settle(scheduler);
      expect(done.error).to.be.instanceOf(InvalidRecordError);
      expect(closed).to.equal(true);
      expect(pulled).to.be.at.most(10);
    });

    it('settle, after a failure from an async iterable, only once the iterable has closed', async () => {
      const scheduler = virtualTime();
      let release: () => void = () => undefined;
      const cleanedUp = new Promise<void>((resolve) => (release = resolve));
      let closed = false;
      async function* generate(): AsyncGenerator<ProducerEvent> {
        try {
          yield* events(3);
          yield { partitionKey: '', payload: 'x' };
          yield* events(1000);
        } finally {
          await cleanedUp; // a file being closed
          closed = true;
        }
      }
      const done = state(kinesisSink(conf({}, { 'max-outstanding-requests': 10 }), { kinesis: kinesisWith(scheduler, 1), scheduler })(generate()));
      await settle(scheduler);
      expect(done.value, 'still closing').to.equal('pending');
      release();
      await settle(scheduler);
      expect(closed).to.equal(true);
      expect(done.error).to.be.instanceOf(InvalidRecordError);
    });

    it('drain an async iterable to the end', async () => {
      const scheduler = virtualTime();
      const kinesis = kinesisWith(scheduler, 2);
      async function* generate(): AsyncGenerator<ProducerEvent> {
        for (const event of events(30)) {
          await Promise.resolve();
          yield event;
        }
      }
      const done = state(kinesisSink(conf({}, { 'max-outstanding-requests': 4 }), { kinesis, scheduler })(generate()));
      await settle(scheduler, 200);
      expect(done.value).to.equal('resolved');
      expect(storedUserRecords(kinesis)).to.have.length(30);
    });
  });
});
