import { expect } from 'chai';
import { ConsumerSection } from '../../lib/config/consumer-codec';
import { resolveSection, sectionNames, streamNameMissing } from '../../lib/config/sections';

describe('config/sections', () => {
  describe('sectionNames', () => {
    it('lists every key but the global ones, in order', () => {
      expect(sectionNames({ 'application-name': 'a', b: {}, akka: {}, 'default-consumer': {}, a: {}, 'default-producer': {} })).to.deep.equal([
        'b',
        'a',
      ]);
    });
  });

  describe('streamNameMissing', () => {
    it('names the stream-name path, hinting when the section name is close to a reserved key', () => {
      expect(streamNameMissing('orders')).to.deep.equal({ path: 'kinesis.orders.stream-name', message: 'required: a non-empty stream name' });
      expect(streamNameMissing('default-producr').message).to.contain('did you mean this section to be "default-producer"?');
    });
  });

  describe('resolveSection', () => {
    const resolve = (source: Record<string, unknown>, name = 'c') => resolveSection(ConsumerSection, source, 'default-consumer', name, 'consumer');

    it('merges the section over the default section and fills built-in defaults', () => {
      const result = resolve({ 'default-consumer': { kcl: { maxRecords: 7 } }, c: { 'stream-name': 's', kcl: { regionName: 'r' } } });
      expect(result.ok).to.equal(true);
      if (result.ok) {
        expect(result.value.kcl).to.include({ maxRecords: 7, regionName: 'r', failoverTimeMillis: 10000 });
        expect(result.value['stream-name']).to.equal('s');
      }
    });

    it('reports bad values where they were written, from both layers', () => {
      const result = resolve({ 'default-consumer': { kcl: { maxRecords: 0 } }, c: { kcl: { failoverTimeMillis: 1 } } });
      expect(result.ok).to.equal(false);
      if (!result.ok) {
        expect(result.issues.map((i) => i.path)).to.deep.equal(['kinesis.default-consumer.kcl.maxRecords', 'kinesis.c.kcl.failoverTimeMillis']);
      }
    });

    it('reports a section that is missing or not an object', () => {
      const missing = resolve({}, 'c');
      const notObject = resolve({ c: 3 }, 'c');
      expect(missing.ok || missing.issues).to.deep.equal([{ path: 'kinesis.c', message: 'missing consumer section; there are none' }]);
      expect(notObject.ok || notObject.issues).to.deep.equal([{ path: 'kinesis.c', message: 'expected a consumer section (an object)' }]);
    });
  });
});
