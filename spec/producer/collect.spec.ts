import { expect } from 'chai';
import { singleContainer } from '../../lib/producer/aggregate';
import { batchesOf } from '../../lib/producer/collect';
import { PendingRecord } from '../../lib/producer/pending-record';
import { validateEvent } from '../../lib/producer/validate';

const container = (key: string, bytes: number) =>
  singleContainer(validateEvent({ partitionKey: key, payload: new Uint8Array(bytes) }, { maxUserRecordSize: 10 * 1024 * 1024 }, key) as PendingRecord, 'S');

describe('batchesOf', () => {
  it('must keep each request within CollectionMaxCount and CollectionMaxSize, in order', () => {
    const containers = Array.from({ length: 7 }, (_, i) => container(`k${i}`, 99)); // 101 bytes each
    expect(batchesOf(containers, { maxCount: 3, maxSize: 10000 }).map((b) => b.containers.length)).to.deep.equal([3, 3, 1]);
    const bySize = batchesOf(containers, { maxCount: 500, maxSize: 250 });
    expect(bySize.map((b) => b.containers.length)).to.deep.equal([2, 2, 2, 1]);
    expect(bySize.map((b) => b.size)).to.deep.equal([202, 202, 202, 101]);
    expect(bySize.flatMap((b) => b.containers)).to.deep.equal(containers);
  });

  it('must send a record larger than CollectionMaxSize alone', () => {
    const containers = [container('a', 10), container('b', 500), container('c', 10)];
    expect(batchesOf(containers, { maxCount: 500, maxSize: 100 }).map((b) => b.containers.length)).to.deep.equal([1, 1, 1]);
  });
});
