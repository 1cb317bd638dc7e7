/**
 * A shard read from LATEST has no record position in its lease until its first checkpoint, and a
 * worker that takes the lease over starts at the tip as it is then. The first committed position
 * is therefore checkpointed at once, so that what arrives after it is not skipped.
 */
import { expect } from 'chai';
import { ConsumerFleet, texts } from './support/consumer-fleet';

describe('a shard read from LATEST', () => {
  it('checkpoints its first committed event at once, so a worker taking it over after a kill reads on from there, skipping nothing that came after', () => {
    const fleet = new ConsumerFleet(1);
    let killed = false;
    const a = fleet.start('a', { kcl: { initialPositionInStream: 'LATEST' }, dieOn: () => killed });
    fleet.run(2000);
    fleet.put(texts('r', 5));
    fleet.run(200);
    expect(a.texts()).to.deep.equal(texts('r', 5));
    // Killed before the checkpoint interval (500 ms) has passed since the first commit.
    killed = true;
    fleet.put(texts('mid', 5));
    fleet.run(100);
    const b = fleet.start('b', { kcl: { initialPositionInStream: 'LATEST' } });
    fleet.run(10_000);
    expect(a.dead).to.equal(true);
    const seen = new Set(b.texts());
    for (const text of texts('mid', 5)) expect(seen.has(text), text).to.equal(true);
    b.unsubscribe();
  });
});
