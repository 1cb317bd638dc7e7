import { expect } from 'chai';
import { formatProgress } from '../../../lib/cli/demo/progress';

describe('cli/demo/progress', () => {
  it('shows time, produced, consumed and each worker with its shards or its state', () => {
    const line = formatProgress({
      elapsedMillis: 3_040,
      events: 100_000,
      sent: 45_000,
      distinct: 39_983,
      duplicates: 12,
      workers: [
        { id: 'w1', state: 'running', consumed: 20_113, shards: ['shardId-000000000000', 'shardId-000000000001'] },
        { id: 'w2', state: 'running', consumed: 0, shards: [] },
        { id: 'w3', state: 'killed', consumed: 19_882, shards: [] },
      ],
    });
    expect(line).to.equal('[  3.0 s] produced 45,000/100,000  consumed 39,983 (12 dup)  w1: 20,113 shards 0,1  w2: 0 shards -  w3: 19,882 killed');
  });
});
