/**
 * processBatch on a shard pipeline must, on virtual time (the seed's ConsumerWorker and
 * CheckpointWorker checkpoint cases):
 * - checkpoint the contiguous answered prefix, in sequence order, in the middle of a batch;
 * - never pass an unanswered event, inside an aggregate too (sub-sequences ≥ 10 included);
 * - checkpoint past events answered `successful = false` and events skipped within the tolerance;
 * - remember the previous batch's position while the next one has nothing answered, and make no
 *   batch of an empty page;
 * - write nothing while nothing is answered, and never the same position twice;
 * - write at most one checkpoint per interval, and retry a throttled write after the backoff;
 * - on a stop mid-batch, hand out nothing more and write the answered prefix once, bounded by the
 *   shutdown timeout, before ConsumerShutdown;
 * - after a failed batch, write the answered prefix, never the failed events.
 */
import { expect } from 'chai';
import { NEVER, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CheckpointWriteResult } from '../../../lib/consumer/checkpoint/checkpoint-write';
import { processBatch, type ProcessBatchOptions } from '../../../lib/consumer/process-batch/process-batch';
import type { ProcessorAnswer } from '../../../lib/consumer/process-batch/event-processor';
import { shardPipeline } from '../../../lib/consumer/shard-pipeline';
import { encodeAggregatedRecord } from '../../../lib/kpl/aggregated-record';
import { LeaseStoreThrottledError } from '../../../lib/model/errors';
import type { ConsumerNotification } from '../../../lib/model/notifications';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';
import type { GetRecordsOutput, KinesisRecord } from '../../../lib/ports/kinesis-port';
import { kinesisRecord, scriptedKinesis } from '../scripted-kinesis';
import { SHARD, testScheduler as newTestScheduler } from './support';

// prettier-ignore
describe('processBatch checkpoints (marbles)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = newTestScheduler();
  });

  const S = { s: `shutdown ${SHARD}` };
  const show = (n: ConsumerNotification): string =>
    n._tag === 'ConsumerShutdown' ? `shutdown ${n.shardId}` : `failure ${n.failedEvents.map((e) => e.sequenceNumber.toString()).join(',')}`;
  const A = { t: true, f: false } as const;
  const page = (...records: KinesisRecord[]): GetRecordsOutput => ({ records, nextShardIterator: 'it-n', millisBehindLatest: 0 });
  const records = (...seqs: string[]) => seqs.map((seq) => kinesisRecord(seq));
  const aggregate = (seq: string, count: number): KinesisRecord => ({
    ...kinesisRecord(seq),
    data: encodeAggregatedRecord(Array.from({ length: count }, (_, i) => ({ partitionKey: 'pk', data: Buffer.from(`sub ${i}`) }))),
  });

  interface Run {
    /** `t=<time> <position>` of each checkpoint write. */
    readonly writes: string[];
    /** `<time> <position>` of each event handed to the processor. */
    readonly sends: string[];
    /** `shutdown <shard>` / `failure <positions>`. */
    readonly notifications$: Observable<string>;
  }

  /**
   * A shard pipeline (iterator at 0, pages answered 1 ms after each GetRecords, the next call
   * `idle` ms after a page) under processBatch. Each checkpoint write answers with the next of
   * `writeAnswers`, else 1 ms later with success. Answers are scripted per position and send.
   */
  function run(
    pages: readonly Observable<GetRecordsOutput>[],
    answers: Record<string, Observable<ProcessorAnswer>[]>,
    batch: ProcessBatchOptions,
    io: { readonly writeAnswers?: Observable<CheckpointWriteResult>[]; readonly stop$?: Observable<unknown>; readonly idle?: number; readonly intervalMillis?: number } = {},
  ): Run {
    const writes: string[] = [];
    const sends: string[] = [];
    const writeAnswers = [...(io.writeAnswers ?? [])];
    const { kinesis } = scriptedKinesis(testScheduler, {
      iterators: [testScheduler.createColdObservable('(i|)', { i: 'it-0' })],
      pages: [...pages, NEVER],
    });
    const events$ = shardPipeline(
      { kinesis, scheduler: testScheduler },
      { streamName: 's', shardId: SHARD, checkpoint: undefined },
      {
        initialPosition: { type: 'TRIM_HORIZON' },
        maxRecords: 100,
        idleTimeBetweenReadsMillis: io.idle ?? 1000,
        checkpoint: { intervalMillis: io.intervalMillis ?? 5, backoffMillis: 7 },
        shutdownTimeoutMillis: 20,
      },
      {
        writeCheckpoint: (position) => {
          writes.push(`t=${testScheduler.now()} ${position.toString()}`);
          return writeAnswers.shift() ?? testScheduler.createColdObservable('-(x|)', { x: { _tag: 'Checkpointed', position } as CheckpointWriteResult });
        },
        shardEnded: () => NEVER,
        lost$: NEVER,
        ...(io.stop$ === undefined ? {} : { stop$: io.stop$ }),
      },
    );
    const processor = (event: { sequenceNumber: Csn }) => {
      const position = event.sequenceNumber.toString();
      sends.push(`${testScheduler.now()} ${position}`);
      return answers[position]?.shift() ?? NEVER;
    };
    const notifications$ = events$.pipe(
      processBatch(processor, { batchTimeoutMillis: 20, failedMessageRetries: 1, failureTolerancePercentage: 0, concurrency: Infinity, scheduler: testScheduler, ...batch }),
      map(show),
    );
    return { writes, sends, notifications$ };
  }

  it('checkpoints the contiguous answered prefix in the middle of a batch, then the whole batch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Answers come in the order 1, 3, 2, 5 (seed: dispatched 1,3,2,5,4 with 4 late); 4 only
      // answers its second send, after the timeout at 21.
      const { writes, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3', '4', '5')) })], {
        '1/0': [cold('-(t|)', A)],
        '3/0': [cold('--(t|)', A)],
        '2/0': [cold('---(t|)', A)],
        '5/0': [cold('----(t|)', A)],
        '4/0': [NEVER, cold('-(t|)', A)],
      }, {});
      expectObservable(notifications$, '60ms !').toBe('');
      testScheduler.flush();
      // The first answer (at 2) opens a 5 ms window: at 7 the prefix is 1..3, not 5 (4 is missing).
      expect(writes).to.deep.equal(['t=7 3/0', 't=27 5/0']);
    });
  });

  it('never checkpoints past an unanswered sub-record of an aggregate, with sub-sequences past 10', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const answers = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`1/${i}`, i === 3 ? [] : [cold('-(t|)', A)]]));
      const { writes, sends, notifications$ } = run([cold('-(p|)', { p: page(aggregate('1', 12)) })], answers, { failedMessageRetries: 0 });
      // Seed bug: ("1", 10) compared as "110" < "13", so the prefix leapt over sub 3.
      expectObservable(notifications$).toBe('21ms (xs|)', { ...S, x: 'failure 1/3' });
      testScheduler.flush();
      expect(sends).to.have.length(12);
      expect(writes).to.deep.equal(['t=7 1/2'], 'the final checkpoint after the failure has nothing newer to write');
    });
  });

  it('checkpoints past an event answered successful = false', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { writes, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3')) })], {
        '1/0': [cold('-(t|)', A)],
        '2/0': [cold('-(f|)', A)],
        '3/0': [cold('-(t|)', A)],
      }, {});
      expectObservable(notifications$, '30ms !').toBe('');
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=7 3/0']);
    });
  });

  it('remembers the previous batch while the next has nothing answered, and writes no position twice', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Page 1 [1] at 1; the next GetRecords at 11 brings [911] at 12, answered only at 40.
      const { writes, notifications$ } = run(
        [cold('-(p|)', { p: page(...records('1')) }), cold('-(p|)', { p: page(...records('911')) })],
        { '1/0': [cold('-(t|)', A)], '911/0': [cold('28ms (t|)', A)] },
        { batchTimeoutMillis: 50 },
        { idle: 10 },
      );
      expectObservable(notifications$, '80ms !').toBe('');
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=7 1/0', 't=45 911/0']);
    });
  });

  it('makes no batch of an empty page, and keeps the checkpoint where it was (seed bug: it waited out the timeouts and forgot it)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Pages at 1 ([1]), 12 (empty) and 23 ([2]); 2 is answered 10 ms after it arrives.
      const { writes, sends, notifications$ } = run(
        [cold('-(p|)', { p: page(...records('1')) }), cold('-(p|)', { p: page() }), cold('-(p|)', { p: page(...records('2')) })],
        { '1/0': [cold('-(t|)', A)], '2/0': [cold('10ms (t|)', A)] },
        {},
        { idle: 10 },
      );
      expectObservable(notifications$, '60ms !').toBe('');
      testScheduler.flush();
      expect(sends).to.deep.equal(['1 1/0', '23 2/0']);
      expect(writes).to.deep.equal(['t=7 1/0', 't=38 2/0']);
    });
  });

  it('checkpoints past events skipped within the tolerance, and writes nothing while nothing is answered', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { writes, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3', '4', '5')) })], {
        '2/0': [cold('30ms (t|)', A)],
        '3/0': [cold('30ms (t|)', A)],
        '4/0': [cold('30ms (t|)', A)],
        '5/0': [cold('30ms (t|)', A)],
      }, { failureTolerancePercentage: 20 });
      expectObservable(notifications$, '60ms !').toBe('');
      testScheduler.flush();
      // Nothing before 31 (1 is unanswered); 1 is skipped at the last timeout (41).
      expect(writes).to.deep.equal(['t=46 5/0']);
    });
  });

  it('writes at most once per interval, and retries a throttled write with the newest position after the backoff', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const throttled = new LeaseStoreThrottledError('UpdateItem', 'ProvisionedThroughputExceededException', 'slow down');
      const { writes, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3', '4')) })], {
        '1/0': [cold('-(t|)', A)],
        '2/0': [cold('---(t|)', A)],
        '3/0': [cold('-------(t|)', A)],
        '4/0': [cold('---------(t|)', A)],
      }, {}, { writeAnswers: [cold('-#', {}, throttled)], intervalMillis: 5 });
      expectObservable(notifications$, '40ms !').toBe('');
      testScheduler.flush();
      // 1 at 2 opens the window; at 7 the prefix is 2 (answered at 4); throttled at 8; 3 and 4 come
      // at 8 and 10; after the 7 ms backoff (15) the newest position, 4, is written.
      expect(writes).to.deep.equal(['t=7 2/0', 't=15 4/0']);
    });
  });

  it('on a stop mid-batch, hands out nothing more and writes the answered prefix before ConsumerShutdown', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const stop = hot('      -----s');
      const { writes, sends, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3')) })], {
        '1/0': [cold('--(t|)', A)],
        '2/0': [cold('------(t|)', A)],
      }, { concurrency: 1, stop$: stop }, { stop$: stop, intervalMillis: 50 });
      // The final write starts at the stop (5) and answers at 6; then the events end.
      expectObservable(notifications$).toBe('6ms (s|)', S);
      testScheduler.flush();
      expect(sends).to.deep.equal(['1 1/0', '3 2/0']);
      expect(writes).to.deep.equal(['t=5 1/0']);
    });
  });

  it('on a stop, ends the shard once the final write times out, and writes nothing when nothing is newer', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const stop = hot('      -----s');
      const hanging = run([cold('-(p|)', { p: page(...records('1', '2')) })], {
        '1/0': [cold('-(t|)', A)],
      }, { stop$: stop }, { stop$: stop, intervalMillis: 50, writeAnswers: [NEVER] });
      // The final write of 1 starts at 5 and is given up at 5 + 20.
      expectObservable(hanging.notifications$).toBe('25ms (s|)', S);
      testScheduler.flush();
      expect(hanging.writes).to.deep.equal(['t=5 1/0']);
    });
    testScheduler = newTestScheduler();
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const stop = hot('      ----------s');
      const idle = run([cold('-(p|)', { p: page(...records('1')) })], { '1/0': [cold('-(t|)', A)] }, { stop$: stop }, { stop$: stop });
      expectObservable(idle.notifications$).toBe('10ms (s|)', S);
      testScheduler.flush();
      expect(idle.writes).to.deep.equal(['t=7 1/0'], 'written on the interval; nothing newer at the stop');
    });
  });

  it('after a failed batch, writes the answered prefix and never the failed events', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { writes, notifications$ } = run([cold('-(p|)', { p: page(...records('1', '2', '3', '4', '5')) })], {
        '1/0': [cold('-(t|)', A)],
        '2/0': [cold('-(t|)', A)],
        '4/0': [cold('-(t|)', A)],
        '5/0': [cold('-(t|)', A)],
      }, { failedMessageRetries: 0 }, { intervalMillis: 50 });
      expectObservable(notifications$).toBe('21ms (xs|)', { ...S, x: 'failure 3/0' });
      testScheduler.flush();
      // The interval (50) has not passed; the unsubscription at the failure writes the prefix.
      expect(writes).to.deep.equal(['t=21 2/0']);
    });
  });
});
