/**
 * processBatch must, on virtual time:
 * - hand a batch (one arrival, ≤ maxRecords) to the processor one event at a time, or as many at
 *   once as `concurrency` allows, and commit each event as its answer arrives;
 * - complete a batch only once every event of it is answered, and start the next one only then;
 * - after each batch timeout send the unanswered events again, in batch order, up to
 *   `failedMessageRetries` times, while answers to earlier sends still count;
 * - never restart the retry count when answers trickle in (seed bug);
 * - after the last timeout skip (commit false) the unanswered events within the tolerance, or else
 *   emit ConsumerWorkerFailure, never commit them, and stop the shard;
 * - treat `successful = false` as a skip; ignore duplicate answers and answers for events outside
 *   the batch (seed bug: they counted);
 * - stop handing out events at a stop or at the end of the events, and emit ConsumerShutdown once.
 */
import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CommittableEvent } from '../../../lib/consumer/committable-event';
import type { ConsumerEvent } from '../../../lib/model/consumer-event';
import { processBatch, type ProcessBatchOptions } from '../../../lib/consumer/process-batch/process-batch';
import { consumerShutdown, consumerWorkerFailure, eventProcessed } from '../../../lib/model/notifications';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';
import { Recorder, SHARD, testScheduler as newTestScheduler } from './support';

// prettier-ignore
describe('processBatch (marbles)', () => {
  let testScheduler: TestScheduler;
  let rec: Recorder;
  beforeEach(() => {
    testScheduler = newTestScheduler();
    rec = new Recorder(testScheduler);
  });

  const A = { t: true, f: false } as const;
  const S = { s: consumerShutdown(SHARD) };
  const options = (overrides: ProcessBatchOptions = {}): ProcessBatchOptions => ({
    batchTimeoutMillis: 10,
    failedMessageRetries: 1,
    failureTolerancePercentage: 0,
    scheduler: testScheduler,
    onDiagnostic: rec.onDiagnostic,
    ...overrides,
  });

  describe('a batch answered in time', () => {
    it('hands events over one at a time, commits each on its answer, and shuts down when the events end', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abc');
        const events = cold('  -(abc) 20ms |', E);
        const eventsSubs = '   ^ 25ms     !';
        const a = cold('        --(t|)', A);
        const b = cold('          --(t|)', A);
        const c = cold('            --(t|)', A);
        const expected = '     26ms (s|)';
        const processor = rec.processor({ '1/0': [a], '2/0': [b], '3/0': [c] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        expectSubscriptions(events.subscriptions).toBe(eventsSubs);
        expectSubscriptions(a.subscriptions).toBe(' -^-!');
        expectSubscriptions(b.subscriptions).toBe(' ---^-!');
        expectSubscriptions(c.subscriptions).toBe(' -----^-!');
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '3 2/0', '5 3/0']);
        expect(rec.commits).to.deep.equal(['3 1/0 ok', '5 2/0 ok', '7 3/0 ok']);
        expect(rec.diagnostics).to.deep.equal([]);
      });
    });

    it('takes answers in any order, and starts the next batch only once the previous one completed', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abcde');
        const events = cold('  -(abc)(de) 20ms |', E);
        const a = cold('        -------(t|)', A);
        const b = cold('        -(t|)', A);
        const c = cold('        ---(t|)', A);
        const d = cold('        -(t|)', A);
        const e = cold('        -(t|)', A);
        const expected = '     30ms (s|)';
        const processor = rec.processor({ '1/0': [a], '2/0': [b], '3/0': [c], '4/0': [d], '5/0': [e] });
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity })))).toBe(expected, S);
        expectSubscriptions(a.subscriptions).toBe(' -^------!');
        expectSubscriptions(d.subscriptions).toBe(' 8ms ^!');
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '1 2/0', '1 3/0', '8 4/0', '8 5/0'], 'the second page waits for the first');
        expect(rec.commits).to.deep.equal(['2 2/0 ok', '4 3/0 ok', '8 1/0 ok', '9 4/0 ok', '9 5/0 ok']);
      });
    });

    it('keeps at most `concurrency` events of a batch with the processor', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('abcd');
        const events = cold('  -(abcd) 10ms |', E);
        const answer = () => cold('--(t|)', A);
        const expected = '     17ms (s|)';
        const processor = rec.processor({ '1/0': [answer()], '2/0': [answer()], '3/0': [answer()], '4/0': [answer()] });
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: 2 })))).toBe(expected, S);
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '1 2/0', '3 3/0', '3 4/0']);
        expect(rec.commits).to.deep.equal(['3 1/0 ok', '3 2/0 ok', '5 3/0 ok', '5 4/0 ok']);
      });
    });

    it('cuts an arrival into batches of at most maxRecords, and joins arrivals within the batch window', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('abcde');
        // a, b, c arrive together: [a, b] then [c]. d comes 2 ms after, e 5 ms after d: a window of
        // 3 ms puts d alone.
        const events = cold('  -(abc)--d----e 10ms |', E);
        const answer = () => cold('-(t|)', A);
        const expected = '     24ms (s|)';
        const processor = rec.processor({ '1/0': [answer()], '2/0': [answer()], '3/0': [answer()], '4/0': [answer()], '5/0': [answer()] });
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity, maxRecords: 2, batchWindowMillis: 3 })))).toBe(expected, S);
        testScheduler.flush();
        // [a b c] closes at 1 + 3 = 4 and is cut in two; d (at 8) waits for its window until 11, e (at 13) until 16.
        expect(rec.sends).to.deep.equal(['4 1/0', '4 2/0', '5 3/0', '11 4/0', '16 5/0']);
      });
    });
  });

  describe('timeouts and retries', () => {
    it('sends the unanswered events again after the batch timeout, in batch order, and completes on their answers', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abc');
        const events = cold('  -(abc) 20ms |', E);
        const a = cold('        -(t|)', A);
        const b1 = cold('        ---------------', A);
        const b2 = cold('        --(t|)', A);
        const c = cold('        -(t|)', A);
        const expected = '     26ms (s|)';
        const processor = rec.processor({ '1/0': [a], '2/0': [b1, b2], '3/0': [c] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        // One at a time: b hangs and holds c back. The retry at 11 sends b and then c; the first
        // send of b is still listened to until the batch completes.
        expectSubscriptions(b1.subscriptions).toBe(' --^ 11ms !');
        expectSubscriptions(b2.subscriptions).toBe(' 11ms ^-!');
        expectSubscriptions(c.subscriptions).toBe('  13ms ^!');
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '2 2/0', '11 2/0', '13 3/0']);
        expect(rec.commits).to.deep.equal(['2 1/0 ok', '13 2/0 ok', '14 3/0 ok']);
        expect(rec.diagnostics).to.deep.equal(['11 BatchRetried 2/0,3/0']);
      });
    });

    it('counts a late answer to an earlier send', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('a');
        const events = cold('  -a 20ms |', E);
        const a1 = cold('       15ms (t|)', A);
        const a2 = cold('       -----------------', A);
        const expected = '     22ms (s|)';
        const processor = rec.processor({ '1/0': [a1, a2] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        expectSubscriptions(a1.subscriptions).toBe(' -^ 14ms !');
        expectSubscriptions(a2.subscriptions).toBe(' 11ms ^----!');
        testScheduler.flush();
        expect(rec.commits).to.deep.equal(['16 1/0 ok']);
      });
    });

    it('does not restart the retry count when answers trickle in (seed bug: it did on every answer)', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abc');
        const events = cold('  -(abc) 40ms |', E);
        const a1 = cold('       ---------------', A);
        const a2 = cold('       -(t|)', A);
        const b = cold('        -(t|)', A);
        const c1 = cold('       ---------------', A);
        const c2 = cold('       ---------------', A);
        const c3 = cold('       -(t|)', A);
        const eventsSubs = '   ^ 20ms !';
        // a's answer at 12 comes during the only retry; the next timeout (21) is the last one.
        const expected = '     21ms (xs|)';
        const processor = rec.processor({ '1/0': [a1, a2], '2/0': [b], '3/0': [c1, c2, c3] });
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity })))).toBe(expected, {
          ...S,
          x: consumerWorkerFailure([E['c']!.event], SHARD),
        });
        expectSubscriptions(events.subscriptions).toBe(eventsSubs);
        expectSubscriptions(c3.subscriptions).toBe([]);
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '1 2/0', '1 3/0', '11 1/0', '11 3/0']);
        expect(rec.commits).to.deep.equal(['2 2/0 ok', '12 1/0 ok']);
      });
    });

    it('treats a processor error as no answer, and sends the event again after the timeout', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('a');
        const events = cold('  -a 20ms |', E);
        const a1 = cold('       -#', A, new Error('boom'));
        const a2 = cold('       -(t|)', A);
        const expected = '     22ms (s|)';
        const processor = rec.processor({ '1/0': [a1, a2] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        testScheduler.flush();
        expect(rec.commits).to.deep.equal(['12 1/0 ok']);
        expect(rec.diagnostics).to.deep.equal(['2 NoAnswer 1/0', '11 BatchRetried 1/0']);
      });
    });
  });

  describe('after the last retry', () => {
    it('skips the unanswered events within the tolerance, commits them as skipped, and goes on', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('abcdef');
        const events = cold('  -(abcde)f 30ms |', E);
        const answer = () => cold('-(t|)', A);
        const expected = '     39ms (s|)';
        const processor = rec.processor({ '1/0': [answer()], '2/0': [answer()], '4/0': [answer()], '5/0': [answer()], '6/0': [answer()] });
        // 20% of 5 events: 1 may stay unanswered.
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity, failureTolerancePercentage: 20 })))).toBe(expected, S);
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '1 2/0', '1 3/0', '1 4/0', '1 5/0', '11 3/0', '21 6/0']);
        expect(rec.commits).to.deep.equal(['2 1/0 ok', '2 2/0 ok', '2 4/0 ok', '2 5/0 ok', '21 3/0 skip', '22 6/0 ok']);
        expect(rec.diagnostics).to.deep.equal(['11 BatchRetried 3/0', '21 UnansweredSkipped 3/0']);
      });
    });

    it('beyond the tolerance, emits ConsumerWorkerFailure, never commits the failed events, and stops the shard', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abcd');
        const events = cold('  -(abc)d 40ms |', E);
        const eventsSubs = '   ^ 30ms !';
        const answer = () => cold('-(t|)', A);
        const expected = '     31ms (xs|)';
        const processor = rec.processor({ '1/0': [answer()], '3/0': [answer()], '4/0': [answer()] });
        const failure = consumerWorkerFailure([E['b']!.event], SHARD);
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity, failedMessageRetries: 2 })))).toBe(expected, { ...S, x: failure });
        expectSubscriptions(events.subscriptions).toBe(eventsSubs);
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '1 2/0', '1 3/0', '11 2/0', '21 2/0'], 'b three times; d, waiting, never');
        expect(rec.commits).to.deep.equal(['2 1/0 ok', '2 3/0 ok']);
      });
    });

    it('after a failure that stops everything (a stop comes with it), waits for the events to end before shutting down', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('ab');
        const events = cold('  -(ab) 20ms |', E);
        const eventsSubs = '   ^ 24ms    !';
        const stop = new Subject<void>();
        const processor = { processEvent: rec.processor({ '1/0': [cold('-(t|)', A)] }), onFailure: () => stop.next() };
        const expected = '     11ms x 13ms (s|)';
        expectObservable(events.pipe(processBatch(processor, options({ failedMessageRetries: 0, stop$: stop })))).toBe(expected, {
          ...S,
          x: consumerWorkerFailure([E['b']!.event], SHARD),
        });
        expectSubscriptions(events.subscriptions).toBe(eventsSubs);
      });
    });

    it('lists every unanswered event of a failed batch, in batch order', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('abcde');
        const events = cold('  -(abcde) 40ms |', E);
        const expected = '     11ms (xs|)';
        const processor = rec.processor({ '2/0': [cold('-(t|)', A)], '4/0': [cold('-(t|)', A)] });
        // 20% of 5 tolerates one; three are unanswered.
        const failure = consumerWorkerFailure([E['a']!.event, E['c']!.event, E['e']!.event], SHARD);
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity, failedMessageRetries: 0, failureTolerancePercentage: 20 })))).toBe(expected, { ...S, x: failure });
      });
    });
  });

  describe('answers', () => {
    it('commits an event answered successful = false as skipped, and completes the batch', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('ab');
        const events = cold('  -(ab) 20ms |', E);
        const expected = '     25ms (s|)';
        const processor = rec.processor({ '1/0': [cold('-(f|)', A)], '2/0': [cold('-(x|)', { x: eventProcessed(new Csn('2'), false) })] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        testScheduler.flush();
        expect(rec.commits).to.deep.equal(['2 1/0 skip', '3 2/0 skip']);
        expect(rec.diagnostics).to.deep.equal(['2 EventSkipped 1/0', '3 EventSkipped 2/0']);
      });
    });

    it('ignores answers for events of an earlier batch and duplicate answers (seed bug: they counted)', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('abc');
        const events = cold('  -a----(bc) 40ms |', E);
        const expected = '     50ms (s|)';
        const processor = rec.processor({
          '1/0': [cold('-(t|)', A)],
          // b's first send answers for a (the previous batch), its second for c (already answered).
          '2/0': [cold('-(x|)', { x: eventProcessed(new Csn('1')) }), cold('-(x|)', { x: eventProcessed(new Csn('3')) }), cold('-(t|)', A)],
          '3/0': [cold('-(t|)', A)],
        });
        expectObservable(events.pipe(processBatch(processor, options({ failedMessageRetries: 2 })))).toBe(expected, S);
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '6 2/0', '7 3/0', '16 2/0', '26 2/0']);
        expect(rec.commits).to.deep.equal(['2 1/0 ok', '8 3/0 ok', '27 2/0 ok']);
        expect(rec.diagnostics).to.deep.equal(['7 ForeignAnswer 1/0', '16 BatchRetried 2/0', '26 BatchRetried 2/0']);
      });
    });

    it('counts an answer naming another event of the batch for that event', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const E = rec.events('ab');
        const events = cold('  -(ab) 20ms |', E);
        const answerForB = { x: eventProcessed(new Csn('2')) };
        // a's answer acknowledges b; a stays unanswered, is sent again at 11 and never answers: with
        // no tolerance, the batch fails at 21 with a alone.
        const expected = '     21ms (xs|)';
        const processor = rec.processor({ '1/0': [cold('-(x|)', answerForB)], '2/0': [cold('--(x|)', answerForB)] });
        expectObservable(events.pipe(processBatch(processor, options({ concurrency: Infinity })))).toBe(expected, {
          ...S,
          x: consumerWorkerFailure([E['a']!.event], SHARD),
        });
        testScheduler.flush();
        expect(rec.commits).to.deep.equal(['2 2/0 ok']);
      });
    });
  });

  describe('the end of a shard', () => {
    it('shuts down a shard that delivered nothing, naming the shard given', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const events = cold<CommittableEvent<ConsumerEvent>>('  -----|');
        const subs = '         ^----!';
        const expected = '     -----(s|)';
        expectObservable(events.pipe(processBatch(rec.processor({}), options({ shardId: 'shard-9' })))).toBe(expected, { s: consumerShutdown('shard-9') });
        expectSubscriptions(events.subscriptions).toBe(subs);
      });
    });

    it('on stop, hands out nothing more, abandons the batch, and shuts down once the events end', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const E = rec.events('abcd');
        const events = cold('  -(abc)d--------|', E);
        const stop = hot('     ------s');
        const a = cold('        ---(t|)', A);
        const b = cold('           ---(t|)', A);
        const expected = '     15ms (s|)';
        const processor = rec.processor({ '1/0': [a], '2/0': [b] });
        expectObservable(events.pipe(processBatch(processor, options({ stop$: stop })))).toBe(expected, S);
        expectSubscriptions(b.subscriptions).toBe(' ----^-!');
        testScheduler.flush();
        expect(rec.sends).to.deep.equal(['1 1/0', '4 2/0']);
        expect(rec.commits).to.deep.equal(['4 1/0 ok']);
      });
    });

    it('when the events end during a batch (lease lost), abandons it at once and shuts down', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('ab');
        const events = cold('  -(ab)--|', E);
        const a = cold('        --(t|)', A);
        const b = cold('          -----(t|)', A);
        const expected = '     7ms (s|)';
        const processor = rec.processor({ '1/0': [a], '2/0': [b] });
        expectObservable(events.pipe(processBatch(processor, options()))).toBe(expected, S);
        expectSubscriptions(b.subscriptions).toBe(' ---^---!');
        testScheduler.flush();
        expect(rec.commits).to.deep.equal(['3 1/0 ok']);
      });
    });

    it('passes an error of the events on, abandoning the batch', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const E = rec.events('a');
        const events = cold('  -a---#', E, new Error('read failed'));
        const a = cold('        ---------(t|)', A);
        const expected = '     -----#';
        expectObservable(events.pipe(processBatch(rec.processor({ '1/0': [a] }), options()))).toBe(expected, undefined, new Error('read failed'));
        expectSubscriptions(a.subscriptions).toBe(' -^---!');
      });
    });
  });
});
