import { expect } from 'chai';
import fc from 'fast-check';
import { decodeRuns, encodeRuns, forEachIndex } from '../../../lib/cli/demo/index-runs';

describe('cli/demo/index-runs', () => {
  it('encodes consecutive indexes as [start, length] runs, in ascending order', () => {
    expect(encodeRuns([5, 3, 4, 10, 11, 0])).to.deep.equal([0, 1, 3, 3, 10, 2]);
    expect(encodeRuns([])).to.deep.equal([]);
  });

  it('keeps repeats: a repeated index starts a run of its own', () => {
    expect(encodeRuns([1, 2, 2, 3])).to.deep.equal([1, 2, 2, 2]);
    expect(decodeRuns(encodeRuns([7, 7, 7]))).to.deep.equal([7, 7, 7]);
  });

  it('a thousand consecutive indexes take two numbers', () => {
    expect(encodeRuns(Array.from({ length: 1000 }, (_, i) => 1000 - i))).to.deep.equal([1, 1000]);
  });

  it('round-trips any list of indexes to the same sorted list', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 500 }), { maxLength: 200 }), (indexes) => {
        expect(decodeRuns(encodeRuns(indexes))).to.deep.equal([...indexes].sort((a, b) => a - b));
      }),
    );
  });

  it('refuses malformed runs', () => {
    expect(() => forEachIndex([1], () => undefined)).to.throw(RangeError, 'index runs come in [start, length] pairs, got 1 numbers');
    expect(() => forEachIndex([1, 0], () => undefined)).to.throw(RangeError, 'bad index run [1, 0]');
    expect(() => forEachIndex([-1, 2], () => undefined)).to.throw(RangeError, 'bad index run [-1, 2]');
    expect(() => forEachIndex([1.5, 2], () => undefined)).to.throw(RangeError);
  });
});
