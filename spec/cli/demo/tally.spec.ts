import { expect } from 'chai';
import { encodeRuns } from '../../../lib/cli/demo/index-runs';
import { ConsumptionTally } from '../../../lib/cli/demo/tally';

describe('cli/demo/tally', () => {
  it('counts distinct, duplicate and lost events, and deliveries per worker', () => {
    const tally = new ConsumptionTally(10);
    for (let i = 0; i < 10; i++) tally.sent(i);
    tally.consumed('w1', encodeRuns([0, 1, 2, 3, 4]));
    tally.consumed('w2', encodeRuns([3, 4, 5, 6]));
    tally.consumed('w2', encodeRuns([6]));
    expect(tally.summary()).to.deep.equal({
      events: 10,
      sent: 10,
      sendFailed: 0,
      deliveries: 10,
      distinct: 7,
      duplicates: 3,
      lost: 3,
      unexpected: 0,
      byWorker: { w1: 5, w2: 5 },
    });
    expect(tally.allSentDelivered).to.equal(false);
    tally.consumed('w2', encodeRuns([7, 8, 9]));
    expect(tally.allSentDelivered).to.equal(true);
    expect(tally.summary().lost).to.equal(0);
  });

  it('knows everything sent was delivered whichever comes first, the delivery or the acknowledgement', () => {
    const tally = new ConsumptionTally(3);
    tally.consumed('w1', encodeRuns([0, 1]));
    expect(tally.allSentDelivered, 'nothing acknowledged yet').to.equal(true);
    tally.sent(0);
    tally.sent(2);
    expect(tally.allSentDelivered).to.equal(false);
    tally.consumed('w1', encodeRuns([2]));
    tally.sent(1);
    expect(tally.allSentDelivered).to.equal(true);
    expect(tally.sentSoFar).to.equal(3);
  });

  it('counts failed sends, and deliveries of unacknowledged, foreign or out-of-range events as unexpected', () => {
    const tally = new ConsumptionTally(4);
    tally.sent(0);
    tally.sent(1);
    tally.sent(1);
    tally.sendFailed(2);
    tally.consumed('w1', [0, 3], 2); // indexes 0, 1, 2 and two payloads without an index
    tally.consumed('w1', [10, 1]);
    expect(tally.summary()).to.deep.include({ sent: 2, sendFailed: 1, deliveries: 6, distinct: 3, duplicates: 0, lost: 0, unexpected: 4 });
    expect(tally.deliveriesOf('w1')).to.equal(6);
    expect(tally.deliveriesOf('w9')).to.equal(0);
  });

  it('counts more than 255 deliveries of one event', () => {
    const tally = new ConsumptionTally(1);
    tally.sent(0);
    for (let i = 0; i < 300; i++) tally.consumed('w1', [0, 1]);
    expect(tally.summary()).to.deep.include({ deliveries: 300, distinct: 1, duplicates: 299 });
  });
});
