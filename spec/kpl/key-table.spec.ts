import { expect } from 'chai';
import fc from 'fast-check';
import { KeyTable } from '../../lib/kpl/key-table';
import { bytesField } from './protobuf-bytes';

/** Looks `key` up and adds it when missing, as the aggregate layout does; returns its index. */
function intern(table: KeyTable, key: string): number {
  const found = table.find(key);
  return found >= 0 ? found : table.insertPending(key);
}

function serialized(table: KeyTable): number[] {
  return [...table.entries.bytes.subarray(0, table.entries.length)];
}

describe('KeyTable', () => {
  it('gives each distinct key the next index and finds it again', () => {
    const table = new KeyTable(0x0a);
    expect([intern(table, 'b'), intern(table, 'a'), intern(table, 'b'), intern(table, '')]).to.deep.equal([0, 1, 0, 2]);
    expect(table.size).to.equal(3);
    expect(table.find('c')).to.equal(-1);
    expect(table.size).to.equal(3);
  });

  it('serializes the distinct keys in order as length-delimited fields with its tag', () => {
    const table = new KeyTable(0x12);
    for (const key of ['x', 'é🦀', 'x', 'long'.repeat(40)]) intern(table, key);
    expect(serialized(table)).to.deep.equal([...bytesField(2, 'x'), ...bytesField(2, 'é🦀'), ...bytesField(2, 'long'.repeat(40))]);
  });

  it('reports the size a missing key would add, and adds nothing until it is inserted', () => {
    const table = new KeyTable(0x0a);
    intern(table, 'kept');
    expect(table.find('é'.repeat(70))).to.equal(-1);
    expect(table.pendingSize).to.equal(bytesField(1, 'é'.repeat(70)).length);
    expect(table.find('other')).to.equal(-1); // a later find replaces what was staged
    expect(table.insertPending('other')).to.equal(1);
    expect(serialized(table)).to.deep.equal([...bytesField(1, 'kept'), ...bytesField(1, 'other')]);
    expect(table.find('é'.repeat(70))).to.equal(-1);
  });

  it('stays consistent with a map through growth, for any keys', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.nat(3000).map(String)), { maxLength: 2000 }), (keys) => {
        const table = new KeyTable(0x0a);
        const expected = new Map<string, number>();
        for (const key of keys) {
          if (!expected.has(key)) expected.set(key, expected.size);
          expect(intern(table, key)).to.equal(expected.get(key));
        }
        for (const [key, index] of expected) expect(table.find(key)).to.equal(index);
        expect(serialized(table)).to.deep.equal([...expected.keys()].flatMap((key) => bytesField(1, key)));
      }),
      { numRuns: 50 },
    );
  });

  it('starts over when cleared', () => {
    const table = new KeyTable(0x0a);
    for (let i = 0; i < 500; i++) intern(table, `k${i}`);
    table.clear();
    expect(table.size).to.equal(0);
    expect(table.entries.length).to.equal(0);
    expect(table.find('k1')).to.equal(-1);
    expect([intern(table, 'k7'), intern(table, 'k1'), intern(table, 'k7')]).to.deep.equal([0, 1, 0]);
  });
});
