import { expect } from 'chai';
import { NEVER, map, mergeMap, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CheckpointWriteResult } from '../../lib/consumer/checkpoint/checkpoint-write';
import { shardPipeline, type ShardPipelineIo } from '../../lib/consumer/shard-pipeline';
import { LeaseStoreThrottledError } from '../../lib/model/errors';
import { CompoundSequenceNumber as Csn } from '../../lib/model/sequence-number';
import type { ChildShard, GetRecordsOutput } from '../../lib/ports/kinesis-port';
import { kinesisRecord, scriptedKinesis } from './scripted-kinesis';

// prettier-ignore
describe('shardPipeline (marbles)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const child: ChildShard = { shardId: 'shardId-000000000001', parentShards: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 10n } };
  const lastPage: GetRecordsOutput = { records: [kinesisRecord('100'), kinesisRecord('200')], millisBehindLatest: 0, childShards: [child] };
  const checkpointed = (position: Csn) => ({ x: { _tag: 'Checkpointed', position } as CheckpointWriteResult });

  /** The pipeline, with an application that commits each event `commitAfter` frames after receiving it and emits its position. */
  function run(io: Pick<ShardPipelineIo, 'writeCheckpoint' | 'shardEnded'> & Partial<ShardPipelineIo>, commitAfter: number): Observable<string> {
    const { kinesis } = scriptedKinesis(testScheduler, {
      iterators: [testScheduler.createColdObservable('-(i|)', { i: 'it-0' })],
      pages: [testScheduler.createColdObservable('--(p|)', { p: lastPage })],
    });
    return shardPipeline(
      { kinesis, scheduler: testScheduler },
      { streamName: 's', shardId: 'shardId-000000000000', checkpoint: undefined },
      {
        initialPosition: { type: 'TRIM_HORIZON' },
        maxRecords: 10,
        idleTimeBetweenReadsMillis: 50,
        checkpoint: { intervalMillis: 100, backoffMillis: 7 },
        shutdownTimeoutMillis: 30,
      },
      { lost$: NEVER, ...io },
    ).pipe(mergeMap((event) => timer(commitAfter, testScheduler).pipe(map(() => event.commit().sequenceNumber.toString()))));
  }

  it('at shard end: all commits, then the final checkpoint of the last position, then SHARD_END, then completion', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const write = cold('   --(x|)', checkpointed(new Csn('200')));
      const ended = cold('   --(x|)', checkpointed(Csn.SHARD_END));
      const writeSubs = '    13ms ^-!';
      const endedSubs = '    15ms ^-!';
      const expected = '     13ms (ab) |';
      const written: string[] = [];
      const children: string[][] = [];
      const events$ = run({
        writeCheckpoint: (p) => { written.push(p.toString()); return write; },
        shardEnded: (c) => { children.push(c.map((s) => s.shardId)); return ended; },
      }, 10);
      expectObservable(events$).toBe(expected, { a: '100/0', b: '200/0' });
      expectSubscriptions(write.subscriptions).toBe(writeSubs);
      expectSubscriptions(ended.subscriptions).toBe(endedSubs);
      testScheduler.flush();
      expect(written).to.deep.equal(['200/0']);
      expect(children).to.deep.equal([['shardId-000000000001']]);
    });
  });

  it('at shard end, retries a throttled SHARD_END after the checkpoint backoff', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const write = cold('   --(x|)', checkpointed(new Csn('200')));
      const ended = cold<CheckpointWriteResult>('   --#', {}, new LeaseStoreThrottledError('UpdateItem', 'ThrottlingException', 'slow'));
      const endedOk = cold(' --(x|)', checkpointed(Csn.SHARD_END));
      const responses = [ended, endedOk];
      // SHARD_END fails at 17, is retried at 17 + 7 and lands at 26.
      const expected = '     13ms (ab) 9ms |';
      const events$ = run({ writeCheckpoint: () => write, shardEnded: () => responses.shift() ?? NEVER }, 10);
      expectObservable(events$).toBe(expected, { a: '100/0', b: '200/0' });
      expectSubscriptions(ended.subscriptions).toBe(' 15ms ^-!');
      expectSubscriptions(endedOk.subscriptions).toBe(' 24ms ^-!');
    });
  });

  it('does not record SHARD_END when stopped while waiting for commits', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const write = cold('   --(x|)', checkpointed(new Csn('100')));
      const ended = cold('   --(x|)', checkpointed(Csn.SHARD_END));
      const stop = hot('     8ms s');
      // The application commits only after 20 frames; the stop comes before, and the pipeline ends
      // at once with nothing to checkpoint. The late commits are ignored.
      const expected = '     23ms (ab|)';
      const events$ = run({ writeCheckpoint: () => write, shardEnded: () => ended, stop$: stop }, 20);
      expectObservable(events$).toBe(expected, { a: '100/0', b: '200/0' });
      expectSubscriptions(ended.subscriptions).toBe([]);
      expectSubscriptions(write.subscriptions).toBe([]);
    });
  });

  it('does not record SHARD_END when the lease is lost during the final checkpoint', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const write = cold('   ------(x|)', checkpointed(new Csn('200')));
      const ended = cold('   --(x|)', checkpointed(Csn.SHARD_END));
      const lost = hot('     17ms l');
      const writeSubs = '    13ms ^---!';
      const expected = '     13ms (ab) |';
      const events$ = run({ writeCheckpoint: () => write, shardEnded: () => ended, lost$: lost }, 10);
      expectObservable(events$).toBe(expected, { a: '100/0', b: '200/0' });
      expectSubscriptions(write.subscriptions).toBe(writeSubs);
      expectSubscriptions(ended.subscriptions).toBe([]);
    });
  });
});
