import { expect } from 'chai';
import { columns, formatCount, formatMillis, formatRate, shortShardId } from '../../lib/cli/format';

describe('cli/format', () => {
  it('formatCount groups thousands and rounds', () => {
    expect(formatCount(100000)).to.equal('100,000');
    expect(formatCount(999.6)).to.equal('1,000');
    expect(formatCount(0)).to.equal('0');
  });

  it('formatRate gives items per second, or n/a without a duration', () => {
    expect(formatRate(50_000, 2_000)).to.equal('25,000/s');
    expect(formatRate(10, 0)).to.equal('n/a');
  });

  it('formatMillis picks ms, seconds or minutes', () => {
    expect(formatMillis(870.4)).to.equal('870 ms');
    expect(formatMillis(1234)).to.equal('1.23 s');
    expect(formatMillis(12_340)).to.equal('12.3 s');
    expect(formatMillis(125_000)).to.equal('2 min 5 s');
  });

  it('shortShardId keeps the number of a standard shard id, anything else whole', () => {
    expect(shortShardId('shardId-000000000003')).to.equal('3');
    expect(shortShardId('shardId-000000000000')).to.equal('0');
    expect(shortShardId('shardId-000000000120')).to.equal('120');
    expect(shortShardId('my-shard')).to.equal('my-shard');
  });

  it('columns aligns cells and trims line ends', () => {
    expect(columns([['A', 'BB', 'C'], ['long', 'x', '']])).to.equal('A     BB  C\nlong  x');
  });
});
