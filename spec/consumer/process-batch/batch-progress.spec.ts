/**
 * allowedFailures and BatchProgress must:
 * - read the tolerance as percent, floor(percent / 100 × size), exactly for two-decimal percentages;
 * - reject a percentage outside 0..100 or a bad size;
 * - count each position of the batch once, ignore duplicates and positions outside the batch;
 * - compare positions as numbers ("007" is "7"; sub-sequence 10 is not "1" + "0");
 * - be done at once when empty, and give a verdict from what is left unacknowledged.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { BatchProgress, allowedFailures } from '../../../lib/consumer/process-batch/batch-progress';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

const at = (seq: string, sub = 0) => ({ sequenceNumber: new Csn(seq, sub) });
const ack = (seq: string, sub = 0, successful = true) => ({ sequenceNumber: new Csn(seq, sub), successful });

describe('allowedFailures', () => {
  it('reads the tolerance as percent, as the seed did', () => {
    expect(allowedFailures(0.25, 500)).to.equal(1);
    expect(allowedFailures(0.25, 400)).to.equal(1);
    expect(allowedFailures(0.25, 399)).to.equal(0);
    expect(allowedFailures(20, 5)).to.equal(1);
    expect(allowedFailures(100, 7)).to.equal(7);
    expect(allowedFailures(0, 10000)).to.equal(0);
    expect(allowedFailures(0.57, 100)).to.equal(0);
    expect(allowedFailures(0.57, 10000)).to.equal(57);
  });

  it('is floor(percent × size / 100) for percentages with two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 10000 }), (hundredths, size) => {
        // Exact in integers: percent = hundredths / 100, so allowed = floor(hundredths × size / 10000).
        expect(allowedFailures(hundredths / 100, size)).to.equal(Math.floor((hundredths * size) / 10000));
      }),
    );
  });

  it('rejects a percentage outside 0..100 and a bad batch size', () => {
    expect(() => allowedFailures(-1, 5)).to.throw(TypeError, /within 0\.\.100/);
    expect(() => allowedFailures(101, 5)).to.throw(TypeError, /within 0\.\.100/);
    expect(() => allowedFailures(Number.NaN, 5)).to.throw(TypeError);
    expect(() => allowedFailures(1, 1.5)).to.throw(TypeError, /batch size/);
  });
});

describe('BatchProgress', () => {
  it('is done once every position is acknowledged, the first answer standing', () => {
    const events = [at('1'), at('2'), at('3')];
    const progress = new BatchProgress(events);
    expect(progress.size).to.equal(3);
    expect(progress.acknowledge(ack('2', 0, false))).to.deep.equal({ outcome: 'acknowledged', events: [events[1]] });
    expect(progress.acknowledge(ack('2'))).to.deep.equal({ outcome: 'duplicate', events: [] });
    expect(progress.acknowledge(ack('1'))).to.deep.equal({ outcome: 'acknowledged', events: [events[0]] });
    expect(progress.done).to.equal(false);
    expect(progress.unacknowledged()).to.deep.equal([events[2]]);
    progress.acknowledge(ack('3'));
    expect(progress.done).to.equal(true);
  });

  it('ignores positions outside the batch (seed bug: they counted towards done)', () => {
    const progress = new BatchProgress([at('5')]);
    expect(progress.acknowledge(ack('4'))).to.deep.equal({ outcome: 'foreign', events: [] });
    expect(progress.acknowledge(ack('5', 1))).to.deep.equal({ outcome: 'foreign', events: [] });
    expect(progress.done).to.equal(false);
  });

  it('compares positions as numbers', () => {
    const events = Array.from({ length: 12 }, (_, sub) => at('1', sub));
    const progress = new BatchProgress(events);
    expect(progress.acknowledge(ack('01', 10)).outcome).to.equal('acknowledged');
    expect(progress.isAcknowledged(new Csn('1', 10))).to.equal(true);
    expect(progress.isAcknowledged(new Csn('1', 1))).to.equal(false);
    expect(progress.isAcknowledged(new Csn('11', 0))).to.equal(false);
  });

  it('shares one answer between events at the same position', () => {
    const events = [at('1'), at('1'), at('2')];
    const progress = new BatchProgress(events);
    expect(progress.size).to.equal(2);
    expect(progress.acknowledge(ack('1')).events).to.deep.equal([events[0], events[1]]);
    expect(progress.unacknowledged()).to.deep.equal([events[2]]);
  });

  it('is done at once when empty', () => {
    const progress = new BatchProgress([]);
    expect(progress.done).to.equal(true);
    expect(progress.verdict(0)).to.deep.equal({ _tag: 'WithinTolerance', skipped: [] });
  });

  it('skips what is left within the tolerance, and fails with it, in batch order, beyond', () => {
    const events = [at('1'), at('2'), at('3'), at('4'), at('5')];
    const progress = new BatchProgress(events);
    progress.acknowledge(ack('2'));
    progress.acknowledge(ack('4'));
    progress.acknowledge(ack('5'));
    expect(progress.verdict(40)).to.deep.equal({ _tag: 'WithinTolerance', skipped: [events[0], events[2]] });
    expect(progress.verdict(39.99)).to.deep.equal({ _tag: 'BeyondTolerance', failed: [events[0], events[2]] });
  });
});
