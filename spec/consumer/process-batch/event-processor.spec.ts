/**
 * The event-processor contract must:
 * - accept a function or an object with processEvent, and refuse anything else;
 * - read true / nothing as processed, false as skipped, EventProcessed as the seed's answer;
 * - take the first value of a Promise or Observable, and call the processor only on subscription;
 * - report a throw, a rejection, an error or an answer of the wrong kind on the error channel.
 */
import { expect } from 'chai';
import { EMPTY, Observable, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { answerOf, asEventProcessor, toAck } from '../../../lib/consumer/process-batch/event-processor';
import { eventProcessed } from '../../../lib/model/notifications';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

const HERE = new Csn('7', 2);

describe('event processor', () => {
  it('accepts a function or an object with processEvent', () => {
    const f = () => true;
    expect(asEventProcessor(f).processEvent).to.equal(f);
    const object = { processEvent: f };
    expect(asEventProcessor(object)).to.equal(object);
    expect(() => asEventProcessor({} as never)).to.throw(TypeError, /processEvent/);
    expect(() => asEventProcessor(null as never)).to.throw(TypeError, /processEvent/);
  });

  it('reads each kind of answer', () => {
    expect(toAck(undefined, HERE)).to.deep.equal({ sequenceNumber: HERE, successful: true });
    expect(toAck(true, HERE)).to.deep.equal({ sequenceNumber: HERE, successful: true });
    expect(toAck(false, HERE)).to.deep.equal({ sequenceNumber: HERE, successful: false });
    const other = new Csn('9');
    expect(toAck(eventProcessed(other, false), HERE)).to.deep.equal({ sequenceNumber: other, successful: false });
  });

  it('refuses an answer of the wrong kind, naming it', () => {
    expect(() => toAck(42, HERE)).to.throw(TypeError, /number 42 for 7\/2/);
    expect(() => toAck(null, HERE)).to.throw(TypeError, /null/);
    expect(() => toAck({ ok: true }, HERE)).to.throw(TypeError, /an object \(ok\)/);
  });

  it('takes the first value of a Promise or an Observable, or a plain answer', async () => {
    const run = (result: unknown) => lastValueFrom(answerOf({ processEvent: () => result as never }, 'payload', HERE).pipe(toArray()));
    expect(await run(Promise.resolve(false))).to.deep.equal([{ sequenceNumber: HERE, successful: false }]);
    expect(await run(of(true, false))).to.deep.equal([{ sequenceNumber: HERE, successful: true }]);
    expect(await run(undefined)).to.deep.equal([{ sequenceNumber: HERE, successful: true }]);
    expect(await run(EMPTY)).to.deep.equal([]);
  });

  it('calls the processor on subscription only, with the payload', async () => {
    const seen: string[] = [];
    const answer$ = answerOf({ processEvent: (p: string) => (seen.push(p), true) }, 'payload', HERE);
    expect(seen).to.deep.equal([]);
    await lastValueFrom(answer$);
    await lastValueFrom(answer$);
    expect(seen).to.deep.equal(['payload', 'payload']);
  });

  it('passes a throw, a rejection, an error or a wrong answer on as an error', async () => {
    const failure = (result: () => unknown) =>
      lastValueFrom(answerOf({ processEvent: () => result() as never }, 'p', HERE)).then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(await failure(() => { throw new Error('sync'); })).to.have.property('message', 'sync');
    expect(await failure(() => Promise.reject(new Error('async')))).to.have.property('message', 'async');
    expect(await failure(() => throwError(() => new Error('rx')))).to.have.property('message', 'rx');
    expect(await failure(() => new Observable((s) => s.next(3)))).to.be.instanceOf(TypeError);
  });
});
