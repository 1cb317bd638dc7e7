import { expect } from 'chai';
import * as t from 'io-ts';
import {
  MAX_TIMER_MILLIS,
  bool,
  describeValue,
  endpoint,
  intInRange,
  isPlainObject,
  nonEmptyString,
  numberInRange,
  oneOf,
  optional,
  strictObject,
  timestamp,
  withDefault,
} from '../../lib/config/codecs';
import { toIssues } from '../../lib/config/report';

/** The decoded value, or a failure naming the messages. */
function decode<A>(codec: t.Decoder<unknown, A>, u: unknown): A {
  const result = codec.decode(u);
  if (result._tag === 'Left') throw new Error(toIssues(result.left, 'x').map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.right;
}

/** The issues a failing decode reports under the base path `x`. */
function issues(codec: t.Decoder<unknown, unknown>, u: unknown): string[] {
  const result = codec.decode(u);
  expect(result._tag, `expected ${JSON.stringify(u)} to be rejected`).to.equal('Left');
  return result._tag === 'Left' ? toIssues(result.left, 'x').map((i) => `${i.path}: ${i.message}`) : [];
}

describe('config/codecs', () => {
  describe('withDefault', () => {
    const codec = withDefault(intInRange(1), 7 as t.Int);
    it('yields the default when the value is absent or null', () => {
      expect(decode(codec, undefined)).to.equal(7);
      expect(decode(codec, null)).to.equal(7);
    });
    it('decodes a present value with the inner codec', () => {
      expect(decode(codec, 3)).to.equal(3);
      expect(issues(codec, 0)).to.deep.equal(['x: expected an integer ≥ 1, got 0']);
    });
  });

  describe('optional', () => {
    it('yields undefined for absent or null, else decodes', () => {
      const codec = optional(nonEmptyString);
      expect(decode(codec, undefined)).to.equal(undefined);
      expect(decode(codec, null)).to.equal(undefined);
      expect(decode(codec, 'a')).to.equal('a');
      expect(issues(codec, ' ')).to.deep.equal(['x: expected a non-empty string, got " "']);
    });
  });

  describe('intInRange', () => {
    const codec = intInRange(1, 10000);
    it('accepts integers and integral strings within range', () => {
      expect(decode(codec, 1)).to.equal(1);
      expect(decode(codec, 10000)).to.equal(10000);
      expect(decode(codec, '250')).to.equal(250);
    });
    it('rejects fractions, non-finite numbers, out-of-range values and other types, stating the range', () => {
      for (const bad of [1.5, NaN, Infinity, 0, 10001, '12.0', 'ten', '', true]) {
        expect(issues(codec, bad)).to.deep.equal([`x: expected an integer in 1..10000, got ${describeValue(bad)}`]);
      }
    });
    it('names the unit', () => {
      expect(issues(intInRange(0, 5, { unit: 'milliseconds' }), -1)).to.deep.equal([
        'x: expected an integer in 0..5 (milliseconds), got -1',
      ]);
    });
    it("checks a bigint bound exactly for strings and accepts the JSON double of Java's Long.MAX_VALUE", () => {
      const long = intInRange(1, 2n ** 63n - 1n, { clampAbove: Number.MAX_SAFE_INTEGER });
      expect(decode(long, '9223372036854775807')).to.equal(Number.MAX_SAFE_INTEGER);
      expect(decode(long, 2 ** 63 - 1) /* JSON reads Long.MAX_VALUE as this double */).to.equal(Number.MAX_SAFE_INTEGER);
      expect(decode(long, 4294967295)).to.equal(4294967295);
      expect(issues(long, '9223372036854775808')).to.have.length(1);
      expect(issues(long, 2 ** 64)).to.have.length(1);
    });
    it('clamps only values above the clamp', () => {
      const clamped = intInRange(0, 10 ** 12, { clampAbove: MAX_TIMER_MILLIS });
      expect(decode(clamped, MAX_TIMER_MILLIS)).to.equal(MAX_TIMER_MILLIS);
      expect(decode(clamped, MAX_TIMER_MILLIS + 1)).to.equal(MAX_TIMER_MILLIS);
      expect(decode(clamped, 5)).to.equal(5);
    });
  });

  describe('numberInRange', () => {
    const codec = numberInRange(0, 100, 'percent');
    it('accepts reals and numeric strings within range', () => {
      expect(decode(codec, 0.25)).to.equal(0.25);
      expect(decode(codec, '20')).to.equal(20);
      expect(decode(codec, '1e1')).to.equal(10);
      expect(decode(codec, 100)).to.equal(100);
    });
    it('rejects values outside the range or not numbers', () => {
      for (const bad of [-0.01, 100.5, NaN, Infinity, '', 'abc', '5%']) {
        expect(issues(codec, bad)).to.deep.equal([`x: expected a number in 0..100 (percent), got ${describeValue(bad)}`]);
      }
    });
  });

  describe('bool', () => {
    it('accepts booleans and the boolean words of Typesafe Config', () => {
      expect(['true', 'yes', 'on', true].map((u) => decode(bool, u))).to.deep.equal([true, true, true, true]);
      expect(['false', 'no', 'off', false].map((u) => decode(bool, u))).to.deep.equal([false, false, false, false]);
    });
    it('rejects anything else', () => {
      expect(issues(bool, 'TRUE')).to.deep.equal(['x: expected a boolean, got "TRUE"']);
      expect(issues(bool, 1)).to.deep.equal(['x: expected a boolean, got 1']);
    });
  });

  describe('oneOf', () => {
    it('accepts the listed values exactly and lists them when rejecting', () => {
      const codec = oneOf(['LATEST', 'TRIM_HORIZON']);
      expect(decode(codec, 'LATEST')).to.equal('LATEST');
      expect(issues(codec, 'latest')).to.deep.equal(['x: expected one of "LATEST", "TRIM_HORIZON", got "latest"']);
    });
  });

  describe('timestamp', () => {
    it('reads ISO-8601 date-times', () => {
      expect(decode(timestamp, '2024-05-01T12:00:00Z').toISOString()).to.equal('2024-05-01T12:00:00.000Z');
      expect(decode(timestamp, '2024-05-01T12:00:00.250+02:00').toISOString()).to.equal('2024-05-01T10:00:00.250Z');
    });
    it("reads epoch seconds as the KCL did and epoch milliseconds as JavaScript does", () => {
      expect(decode(timestamp, 1527267472).getTime()).to.equal(1527267472000);
      expect(decode(timestamp, '1527267472').getTime()).to.equal(1527267472000);
      expect(decode(timestamp, 1527267472123).getTime()).to.equal(1527267472123);
    });
    it('rejects other text, negative numbers and impossible dates', () => {
      for (const bad of ['yesterday', '2024-13-45T00:00:00Z', -1, '', true]) expect(issues(timestamp, bad)).to.have.length(1);
    });
  });

  describe('endpoint', () => {
    it('treats a bare host as HTTPS, as the KCL and KPL did', () => {
      expect(decode(endpoint, 'kinesis.eu-west-1.amazonaws.com')).to.equal('https://kinesis.eu-west-1.amazonaws.com');
      expect(decode(endpoint, 'localhost:4567')).to.equal('https://localhost:4567');
    });
    it('keeps an explicit http(s) URL, without a trailing slash', () => {
      expect(decode(endpoint, 'http://127.0.0.1:4567/')).to.equal('http://127.0.0.1:4567');
      expect(decode(endpoint, 'https://example.com/proxy')).to.equal('https://example.com/proxy');
    });
    it('rejects other schemes and malformed hosts', () => {
      for (const bad of ['ftp://example.com', 'http://', 'a b', '', 42]) expect(issues(endpoint, bad)).to.have.length(1);
    });
  });

  describe('strictObject', () => {
    const codec = strictObject(
      'sample',
      { maxRecords: withDefault(intInRange(1), 5 as t.Int), inner: strictObject('inner', { flag: withDefault(bool, false) }) },
      { legacy: 'no longer supported' },
    );
    it('fills defaults, including those of an absent or null nested object', () => {
      expect(decode(codec, {})).to.deep.equal({ maxRecords: 5, inner: { flag: false } });
      expect(decode(codec, { inner: null })).to.deep.equal({ maxRecords: 5, inner: { flag: false } });
      expect(decode(codec, undefined)).to.deep.equal({ maxRecords: 5, inner: { flag: false } });
    });
    it('reports every unknown key with a suggestion and every bad value, with full paths', () => {
      expect(issues(codec, { MaxRecords: 3, inner: { flags: true, flag: 'maybe' }, legacy: 1 })).to.deep.equal([
        'x.MaxRecords: unknown key (keys are case-sensitive); did you mean "maxRecords"?',
        'x.legacy: no longer supported',
        'x.inner.flags: unknown key; did you mean "flag"?',
        'x.inner.flag: expected a boolean, got "maybe"',
      ]);
    });
    it('rejects non-objects', () => {
      expect(issues(codec, [1])).to.deep.equal(['x: expected an object, got an array']);
      expect(issues(codec, 'x')).to.deep.equal(['x: expected an object, got "x"']);
    });
    it('exposes its props and a guard', () => {
      expect(Object.keys(codec.props)).to.deep.equal(['maxRecords', 'inner']);
      expect(codec.is({ maxRecords: 2, inner: { flag: true } })).to.equal(true);
      expect(codec.is({ maxRecords: 2, inner: { flag: true }, other: 1 })).to.equal(false);
    });
  });

  describe('isPlainObject', () => {
    it('is true only for {...} objects', () => {
      expect([{}, Object.create(null)].map(isPlainObject)).to.deep.equal([true, true]);
      expect([[], null, new Date(0), 'a', 1].map(isPlainObject)).to.deep.equal([false, false, false, false, false]);
    });
  });
});
