import { expect } from 'chai';
import { demoEvent, demoIndexOf, demoPartitionKey, demoPayload } from '../../../lib/cli/demo/payload';

describe('cli/demo/payload', () => {
  it('carries the index in the payload and reads it back from text or bytes', () => {
    expect(demoPayload(42)).to.equal('{"seq":42}');
    expect(demoIndexOf(demoPayload(42))).to.equal(42);
    expect(demoIndexOf(Buffer.from(demoPayload(99_999)))).to.equal(99_999);
  });

  it('reads nothing from a payload that is not the demo\'s', () => {
    for (const payload of ['{"seq":-1}', '{"seq":1} ', 'hello', '{"seq":"1"}', '']) expect(demoIndexOf(payload), payload).to.equal(undefined);
  });

  it('gives a hundred consecutive indexes the same partition key', () => {
    expect(demoPartitionKey(0)).to.equal('key-0');
    expect(demoPartitionKey(99)).to.equal('key-0');
    expect(demoPartitionKey(100)).to.equal('key-1');
    expect(demoEvent(250)).to.deep.equal({ partitionKey: 'key-2', payload: '{"seq":250}' });
  });
});
