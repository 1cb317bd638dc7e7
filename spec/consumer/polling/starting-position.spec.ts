import { expect } from 'chai';
import { startingPosition } from '../../../lib/consumer/polling/starting-position';
import { ConfigError } from '../../../lib/model/errors';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

describe('startingPosition', () => {
  const at = new Date('2024-05-01T12:00:00Z');
  const trimHorizon = { type: 'TRIM_HORIZON' } as const;

  it('opens AT_SEQUENCE_NUMBER of a real checkpoint and drops what is at or before it', () => {
    const checkpoint = new Csn('49590338271490256608559692538361571095921575989136588898', 3);
    const start = startingPosition(checkpoint, trimHorizon);
    expect(start).to.deep.equal({
      _tag: 'Read',
      iterator: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '49590338271490256608559692538361571095921575989136588898' },
      skipThrough: checkpoint,
    });
  });

  it('maps the TRIM_HORIZON and LATEST sentinels to iterators of that type, whatever is configured', () => {
    expect(startingPosition(Csn.TRIM_HORIZON, { type: 'LATEST' })).to.deep.include({ iterator: { type: 'TRIM_HORIZON' } });
    expect(startingPosition(Csn.LATEST, trimHorizon)).to.deep.include({ iterator: { type: 'LATEST' } });
  });

  it('reads an AT_TIMESTAMP checkpoint from the configured timestamp', () => {
    const start = startingPosition(Csn.AT_TIMESTAMP, { type: 'AT_TIMESTAMP', timestamp: at });
    expect(start).to.deep.include({ _tag: 'Read', iterator: { type: 'AT_TIMESTAMP', timestamp: at } });
  });

  it('uses the configured initial position when the lease has no checkpoint', () => {
    expect(startingPosition(undefined, { type: 'LATEST' })).to.deep.include({ iterator: { type: 'LATEST' } });
    expect(startingPosition(undefined, trimHorizon)).to.deep.include({ iterator: { type: 'TRIM_HORIZON' } });
    expect(startingPosition(undefined, { type: 'AT_TIMESTAMP', timestamp: at })).to.deep.include({ iterator: { type: 'AT_TIMESTAMP', timestamp: at } });
  });

  it('drops nothing after a sentinel: every real position is after it', () => {
    for (const sentinel of [Csn.TRIM_HORIZON, Csn.LATEST, Csn.AT_TIMESTAMP]) {
      const start = startingPosition(sentinel, { type: 'AT_TIMESTAMP', timestamp: at });
      if (start._tag !== 'Read') throw new Error('expected Read');
      expect(new Csn('0', 0).isAfter(start.skipThrough), sentinel.toString()).to.equal(true);
    }
  });

  it('says a SHARD_END checkpoint is already finished', () => {
    expect(startingPosition(Csn.SHARD_END, trimHorizon)).to.deep.equal({ _tag: 'ShardFinished' });
  });

  it('refuses an AT_TIMESTAMP checkpoint without a configured timestamp, naming the key', () => {
    expect(() => startingPosition(Csn.AT_TIMESTAMP, trimHorizon))
      .to.throw(ConfigError)
      .with.property('issues')
      .that.satisfies((issues: { path: string }[]) => issues[0]?.path === 'kcl.timestampAtInitialPositionInStream');
    expect(() => startingPosition(Csn.AT_TIMESTAMP, { type: 'AT_TIMESTAMP', timestamp: new Date(Number.NaN) })).to.throw(ConfigError, /not a valid date/);
  });
});
