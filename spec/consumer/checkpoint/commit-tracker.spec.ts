import { expect } from 'chai';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { CommitTracker, type CommitProgress } from '../../../lib/consumer/checkpoint/commit-tracker';
import { consumerEvent } from '../../../lib/model/consumer-event';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

const event = (seq: string | number, sub = 0) =>
  consumerEvent({ shardId: 's', partitionKey: 'pk', sequenceNumber: new Csn(String(seq), sub), payload: new Uint8Array(), arrivalTime: new Date(0) });

function watch(tracker: CommitTracker): { seen: string[]; subscription: Subscription; completed: () => boolean } {
  const seen: string[] = [];
  let done = false;
  const subscription = tracker.progress$.subscribe({
    next: (p: CommitProgress) => seen.push(`${p.position.toString()}#${p.committedCount}`),
    complete: () => (done = true),
  });
  return { seen, subscription, completed: () => done };
}

describe('CommitTracker', () => {
  it('moves only over the contiguous committed prefix: 1,3,2,5,4 committed with 3 missing stops at 2 (seed)', () => {
    const tracker = new CommitTracker('s');
    const { seen } = watch(tracker);
    const [e1, e2, e3, e4, e5] = [1, 2, 3, 4, 5].map((n) => tracker.track(event(n)));
    e1!.commit();
    e5!.commit();
    e2!.commit();
    e4!.commit();
    expect(tracker.progress?.position.toString()).to.equal('2/0');
    expect(seen).to.deep.equal(['1/0#1', '2/0#2']);
    expect(tracker.outstanding, '3 blocks 3, 4 and 5').to.equal(3);
    e3!.commit();
    expect(seen).to.deep.equal(['1/0#1', '2/0#2', '5/0#5']);
    expect(tracker.outstanding).to.equal(0);
  });

  it('treats commit(false), a skip, like a success', () => {
    const tracker = new CommitTracker('s');
    const [a, b] = [tracker.track(event(1)), tracker.track(event(2))];
    a.commit(false);
    b.commit();
    expect(tracker.progress?.position.toString()).to.equal('2/0');
  });

  it('orders sub-sequence numbers numerically inside a large aggregate', () => {
    const tracker = new CommitTracker('s');
    const subs = Array.from({ length: 12 }, (_, i) => tracker.track(event(7, i)));
    for (const e of subs.slice(0, 11)) e.commit();
    expect(tracker.progress?.position.toString()).to.equal('7/10');
    expect(tracker.outstanding).to.equal(1);
  });

  it('refuses events out of sequence order', () => {
    const tracker = new CommitTracker('shardId-9');
    tracker.track(event(7, 10));
    expect(() => tracker.track(event(7, 2))).to.throw(RangeError, /shardId-9.*7\/2 is not after 7\/10/);
    expect(() => tracker.track(event(7, 10))).to.throw(RangeError);
  });

  it('ignores duplicate commits and commits after close, and completes its Observables on close', () => {
    const tracker = new CommitTracker('s');
    const watcher = watch(tracker);
    const a = tracker.track(event(1));
    const b = tracker.track(event(2));
    a.commit();
    a.commit();
    tracker.close();
    b.commit();
    expect(watcher.seen).to.deep.equal(['1/0#1']);
    expect(watcher.completed()).to.equal(true);
    expect(() => tracker.track(event(3))).to.throw(RangeError, /ended/);
  });

  it('whenOutstandingAtMost emits at once when already below, else on the commit that gets there', () => {
    const tracker = new CommitTracker('s');
    const events = [1, 2, 3].map((n) => tracker.track(event(n)));
    let fired = 0;
    tracker.whenOutstandingAtMost(3).subscribe(() => (fired += 100));
    expect(fired).to.equal(100);
    tracker.whenOutstandingAtMost(1).subscribe(() => (fired += 1));
    events[1]!.commit();
    events[2]!.commit();
    expect(fired, 'out of order commits do not release').to.equal(100);
    events[0]!.commit();
    expect(fired).to.equal(101);
  });

  it('announces an advance before the release it causes', () => {
    const tracker = new CommitTracker('s');
    const order: string[] = [];
    const e = tracker.track(event(1));
    tracker.whenOutstandingAtMost(0).subscribe(() => order.push('released'));
    tracker.progress$.subscribe(() => order.push('advanced'));
    e.commit();
    expect(order).to.deep.equal(['advanced', 'released']);
  });

  it('while held, announces a burst of advances once, with the newest progress, on the last release', () => {
    const tracker = new CommitTracker('s');
    const { seen } = watch(tracker);
    const events = [1, 2, 3, 4].map((n) => tracker.track(event(n)));
    tracker.hold();
    tracker.hold();
    events[0]!.commit();
    events[1]!.commit();
    expect(seen, 'nothing while held').to.deep.equal([]);
    expect(tracker.progress?.position.toString(), 'the progress itself is current').to.equal('2/0');
    tracker.release();
    expect(seen, 'one hold is still open').to.deep.equal([]);
    tracker.release();
    expect(seen).to.deep.equal(['2/0#2']);
    tracker.release();
    expect(seen, 'nothing new to announce').to.deep.equal(['2/0#2']);
    events[2]!.commit();
    expect(seen, 'announced one by one once released').to.deep.equal(['2/0#2', '3/0#3']);
  });

  it('announce() emits a held advance at once, and only once', () => {
    const tracker = new CommitTracker('s');
    const { seen } = watch(tracker);
    const [a] = [tracker.track(event(1))];
    tracker.hold();
    a!.commit();
    tracker.announce();
    tracker.announce();
    tracker.release();
    expect(seen).to.deep.equal(['1/0#1']);
  });

  it('while held, still announces an advance before releasing someone waiting on outstanding', () => {
    const tracker = new CommitTracker('s');
    const order: string[] = [];
    tracker.progress$.subscribe((p) => order.push(`advance ${p.position.toString()}`));
    const [a, b] = [tracker.track(event(1)), tracker.track(event(2))];
    tracker.whenOutstandingAtMost(0).subscribe(() => order.push('released'));
    tracker.hold();
    a!.commit();
    b!.commit();
    expect(order).to.deep.equal(['advance 1/0', 'advance 2/0', 'released']);
    tracker.release();
    expect(order).to.have.length(3);
  });

  it('keeps working across compaction of a long committed prefix', () => {
    const tracker = new CommitTracker('s');
    const events = Array.from({ length: 5000 }, (_, i) => tracker.track(event(i + 1)));
    for (const e of events.slice(0, 4000)) e.commit();
    events[4500]!.commit();
    events[0]!.commit();
    expect(tracker.progress?.position.toString()).to.equal('4000/0');
    for (const e of events.slice(4000)) e.commit();
    expect(tracker.progress?.position.toString()).to.equal('5000/0');
    expect(tracker.progress?.committedCount).to.equal(5000);
    expect(tracker.outstanding).to.equal(0);
  });

  it('always reports the end of the longest committed prefix, whatever the commit order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i)))),
        ([n, order]) => {
          const tracker = new CommitTracker('s');
          // Sequence numbers of different lengths, several sub-records each: string order would be wrong.
          const events = Array.from({ length: n }, (_, i) => tracker.track(event(9 + Math.floor(i / 3) * 7, i % 3)));
          for (const i of order) events[i]!.commit();
          const done = new Set(order);
          let prefix = 0;
          while (done.has(prefix)) prefix += 1;
          const expected = prefix === 0 ? undefined : events[prefix - 1]!.sequenceNumber.toString();
          expect(tracker.progress?.position.toString()).to.equal(expected);
          expect(tracker.outstanding).to.equal(n - prefix);
        },
      ),
    );
  });
});
