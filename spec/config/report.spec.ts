import { expect } from 'chai';
import * as t from 'io-ts';
import { intInRange, strictObject } from '../../lib/config/codecs';
import { check, distinctIssues, invalid, orThrow, toIssues, valid } from '../../lib/config/report';
import { ConfigError } from '../../lib/model/errors';

describe('config/report', () => {
  describe('toIssues', () => {
    it('prefixes the base path to the keys of the error context', () => {
      const codec = strictObject('s', { worker: strictObject('w', { retries: intInRange(0) }) });
      const result = codec.decode({ worker: { retries: -1 } });
      expect(result._tag).to.equal('Left');
      if (result._tag === 'Left') {
        expect(toIssues(result.left, 'kinesis.c')).to.deep.equal([
          { path: 'kinesis.c.worker.retries', message: 'expected an integer ≥ 0, got -1' },
        ]);
      }
    });
    it("falls back to the codec's name for errors without a message", () => {
      const result = t.type({ n: t.number }).decode({ n: 'x' });
      expect(result._tag).to.equal('Left');
      if (result._tag === 'Left') expect(toIssues(result.left, 'base')).to.deep.equal([{ path: 'base.n', message: 'expected number, got "x"' }]);
    });
  });

  describe('check / orThrow', () => {
    it('returns the decoded value', () => {
      expect(orThrow(check(intInRange(1), '5', 'p'))).to.equal(5);
      expect(orThrow(valid('v'))).to.equal('v');
    });
    it('throws a ConfigError with each distinct issue once', () => {
      const issue = { path: 'p', message: 'bad' };
      let thrown: unknown;
      try {
        orThrow(invalid([issue, { ...issue }, { path: 'q', message: 'bad' }]));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ConfigError);
      expect((thrown as ConfigError).issues).to.deep.equal([issue, { path: 'q', message: 'bad' }]);
    });
  });

  describe('distinctIssues', () => {
    it('keeps the first of equal issues, in order', () => {
      const a = { path: 'a', message: 'm' };
      const b = { path: 'b', message: 'm' };
      expect(distinctIssues([a, b, { ...a }, { path: 'a', message: 'n' }])).to.deep.equal([a, b, { path: 'a', message: 'n' }]);
    });
  });
});
