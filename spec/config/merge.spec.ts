import { expect } from 'chai';
import { deepMerge, frozenCopy } from '../../lib/config/merge';

describe('config/merge', () => {
  describe('deepMerge', () => {
    it('merges nested objects key by key, the override winning', () => {
      const base = { worker: { a: 1, b: 2 }, kcl: { x: 'x' }, top: 1 };
      const over = { worker: { b: 3 }, other: true };
      expect(deepMerge(base, over)).to.deep.equal({ worker: { a: 1, b: 3 }, kcl: { x: 'x' }, top: 1, other: true });
    });
    it('replaces a value of another kind, and lets null through (it restores the built-in default later)', () => {
      expect(deepMerge({ a: { b: 1 } }, { a: 5 })).to.deep.equal({ a: 5 });
      expect(deepMerge({ a: 5 }, { a: { b: 1 } })).to.deep.equal({ a: { b: 1 } });
      expect(deepMerge({ a: { b: 1 } }, { a: null })).to.deep.equal({ a: null });
    });
    it('keeps the base when there is no override, and modifies neither argument', () => {
      const base = { a: { b: 1 } };
      const over = { a: { c: 2 } };
      expect(deepMerge(base, undefined)).to.equal(base);
      deepMerge(base, over);
      expect(base).to.deep.equal({ a: { b: 1 } });
      expect(over).to.deep.equal({ a: { c: 2 } });
    });
  });

  describe('frozenCopy', () => {
    it('copies and freezes plain data all the way down', () => {
      const original = { a: { b: [1, { c: 2 }] } };
      const copy = frozenCopy(original);
      expect(copy).to.deep.equal(original);
      expect(copy).to.not.equal(original);
      expect(Object.isFrozen(copy.a)).to.equal(true);
      expect(Object.isFrozen(copy.a.b)).to.equal(true);
      expect(Object.isFrozen(copy.a.b[1])).to.equal(true);
      expect(Object.isFrozen(original.a)).to.equal(false);
    });
  });
});
