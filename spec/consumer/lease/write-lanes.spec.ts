import { expect } from 'chai';
import { Observable, Subject, merge, of, tap, throwError } from 'rxjs';
import { writeLanes } from '../../../lib/consumer/lease/write-lanes';

/** A work that logs when it starts and finishes when told. */
function gated(log: string[], name: string): { work: Observable<string>; finish: () => void; fail: () => void } {
  const gate = new Subject<string>();
  const work = new Observable<string>((subscriber) => {
    log.push(`start ${name}`);
    const subscription = gate.subscribe(subscriber);
    return () => {
      log.push(`end ${name}`);
      subscription.unsubscribe();
    };
  });
  return {
    work,
    finish: () => {
      gate.next(name);
      gate.complete();
    },
    fail: () => gate.error(new Error(name)),
  };
}

describe('writeLanes must', () => {
  it('run works of one key one after the other, in subscription order', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    const a = gated(log, 'a');
    const b = gated(log, 'b');
    const c = gated(log, 'c');
    const got: string[] = [];
    lanes.run('k', a.work).subscribe((v) => got.push(v));
    lanes.run('k', b.work).subscribe((v) => got.push(v));
    lanes.run('k', c.work).subscribe((v) => got.push(v));
    expect(log).to.deep.equal(['start a']);
    a.finish();
    expect(log).to.deep.equal(['start a', 'end a', 'start b']);
    b.finish();
    c.finish();
    expect(got).to.deep.equal(['a', 'b', 'c']);
    expect(lanes.isBusy('k')).to.equal(false);
  });

  it('run works of different keys at once', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    lanes.run('k1', gated(log, 'a').work).subscribe();
    lanes.run('k2', gated(log, 'b').work).subscribe();
    expect(log).to.deep.equal(['start a', 'start b']);
    expect(lanes.isBusy('k1') && lanes.isBusy('k2')).to.equal(true);
  });

  it('hand the lane on after an error', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    const a = gated(log, 'a');
    let error: unknown;
    lanes.run('k', a.work).subscribe({ error: (e: unknown) => (error = e) });
    lanes.run('k', gated(log, 'b').work).subscribe();
    a.fail();
    expect((error as Error).message).to.equal('a');
    expect(log).to.include('start b');
  });

  it('hand the lane on when the running work is unsubscribed', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    const running = lanes.run('k', gated(log, 'a').work).subscribe();
    lanes.run('k', gated(log, 'b').work).subscribe();
    running.unsubscribe();
    expect(log).to.deep.equal(['start a', 'end a', 'start b']);
  });

  it('drop a waiting work that is unsubscribed before its turn', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    const a = gated(log, 'a');
    lanes.run('k', a.work).subscribe();
    lanes.run('k', gated(log, 'b').work).subscribe().unsubscribe();
    lanes.run('k', gated(log, 'c').work).subscribe();
    a.finish();
    expect(log).to.deep.equal(['start a', 'end a', 'start c']);
  });

  it('cope with works that finish synchronously', () => {
    const lanes = writeLanes();
    const got: number[] = [];
    lanes.run('k', of(1)).subscribe((v) => got.push(v));
    lanes.run('k', of(2)).subscribe((v) => got.push(v));
    let error: unknown;
    lanes.run('k', throwError(() => new Error('x'))).subscribe({ error: (e: unknown) => (error = e) });
    lanes.run('k', of(3)).subscribe((v) => got.push(v));
    expect(got).to.deep.equal([1, 2, 3]);
    expect(error).to.be.instanceOf(Error);
    expect(lanes.isBusy('k')).to.equal(false);
  });

  it('be cold: nothing runs before subscription', () => {
    const lanes = writeLanes();
    const log: string[] = [];
    const work = lanes.run('k', gated(log, 'a').work);
    expect(log).to.deep.equal([]);
    expect(lanes.isBusy('k')).to.equal(false);
    work.subscribe();
    expect(log).to.deep.equal(['start a']);
  });

  describe('with a sent call', () => {
    it('let the call run on to its answer when its work is unsubscribed, and hand the lane on only then', () => {
      const lanes = writeLanes();
      const log: string[] = [];
      const call = gated(log, 'call');
      const next = gated(log, 'next');
      const answers: string[] = [];
      const first = lanes.run('k', lanes.sent('k', call.work.pipe(tap((v) => answers.push(v))))).subscribe();
      lanes.run('k', next.work).subscribe();
      first.unsubscribe();
      expect(log, 'the call goes on; the next waits').to.deep.equal(['start call']);
      expect(lanes.isBusy('k')).to.equal(true);
      call.finish();
      expect(answers, 'its answer is still seen upstream').to.deep.equal(['call']);
      expect(log, 'the next starts once the call has answered').to.include('start next');
      next.finish();
      expect(lanes.isBusy('k')).to.equal(false);
    });

    it('hand the lane on after a sent call fails, its work gone or not', () => {
      const lanes = writeLanes();
      const log: string[] = [];
      const call = gated(log, 'call');
      const errors: unknown[] = [];
      const first = lanes.run('k', lanes.sent('k', call.work)).subscribe({ error: (e: unknown) => errors.push(e) });
      first.unsubscribe();
      call.fail();
      expect(errors, 'nobody is told any more').to.deep.equal([]);
      expect(lanes.isBusy('k')).to.equal(false);

      const second = gated(log, 'second');
      lanes.run('k', lanes.sent('k', second.work)).subscribe({ error: (e: unknown) => errors.push(e) });
      second.fail();
      expect(errors).to.have.length(1);
      expect(lanes.isBusy('k')).to.equal(false);
    });

    it('keep the lane while every one of several sent calls of a work is on its way', () => {
      const lanes = writeLanes();
      const log: string[] = [];
      const one = gated(log, 'one');
      const two = gated(log, 'two');
      const work = lanes.run('k', merge(lanes.sent('k', one.work), lanes.sent('k', two.work))).subscribe();
      work.unsubscribe();
      one.finish();
      expect(lanes.isBusy('k')).to.equal(true);
      two.finish();
      expect(lanes.isBusy('k')).to.equal(false);
    });

    it('outside a lane, be the call itself', () => {
      const lanes = writeLanes();
      const got: number[] = [];
      lanes.sent('k', of(1, 2)).subscribe((v) => got.push(v));
      expect(got).to.deep.equal([1, 2]);
      expect(lanes.isBusy('k')).to.equal(false);
    });
  });
});
