import { expect } from 'chai';
import { editDistance, suggestKey, unknownKeyMessage } from '../../lib/config/suggest';

describe('config/suggest', () => {
  describe('editDistance', () => {
    it('counts insertions, deletions and substitutions', () => {
      expect(editDistance('', '')).to.equal(0);
      expect(editDistance('abc', 'abc')).to.equal(0);
      expect(editDistance('', 'abc')).to.equal(3);
      expect(editDistance('kitten', 'sitting')).to.equal(3);
      expect(editDistance('maxRecord', 'maxRecords')).to.equal(1);
    });
    it('counts a swap of adjacent characters as one edit', () => {
      expect(editDistance('wroker', 'worker')).to.equal(1);
      expect(editDistance('ab', 'ba')).to.equal(1);
    });
  });

  describe('suggestKey', () => {
    const known = ['kinesisEndpoint', 'dynamoDBEndpoint', 'regionName', 'maxRecords', 'tableName'];
    it('prefers a key differing only by case', () => {
      expect(suggestKey('KinesisEndpoint', known)).to.deep.equal({ key: 'kinesisEndpoint', caseOnly: true });
      expect(suggestKey('TableName', known)).to.deep.equal({ key: 'tableName', caseOnly: true });
    });
    it('then the closest key within a few edits', () => {
      expect(suggestKey('maxRecrods', known)).to.deep.equal({ key: 'maxRecords', caseOnly: false });
      expect(suggestKey('dynamoDbEndpont', known)).to.deep.equal({ key: 'dynamoDBEndpoint', caseOnly: false });
    });
    it('then, when asked, a key that starts with it', () => {
      expect(suggestKey('region', known)).to.equal(undefined);
      expect(suggestKey('region', known, true)).to.deep.equal({ key: 'regionName', caseOnly: false });
    });
    it('suggests nothing for an unrelated key', () => {
      expect(suggestKey('frobnicate', known, true)).to.equal(undefined);
    });
  });

  describe('unknownKeyMessage', () => {
    it('says whether only the case is wrong', () => {
      expect(unknownKeyMessage('KinesisEndpoint', ['kinesisEndpoint'])).to.equal(
        'unknown key (keys are case-sensitive); did you mean "kinesisEndpoint"?',
      );
      expect(unknownKeyMessage('kinesisEndpont', ['kinesisEndpoint'])).to.equal('unknown key; did you mean "kinesisEndpoint"?');
    });
    it('lists the known keys when nothing is close', () => {
      expect(unknownKeyMessage('zzz', ['a', 'b'])).to.equal('unknown key; expected one of "a", "b"');
    });
  });
});
