/**
 * io-ts building blocks for the configuration: leaf codecs that say exactly what they expected,
 * `withDefault` / `optional` for absent keys, and `strictObject`, which reports unknown keys
 * instead of dropping them.
 *
 * Leaf codecs accept what a HOCON file converted to JSON may contain: besides real numbers and
 * booleans, numeric strings (`"10000"`) and the boolean words Typesafe Config accepts
 * (`"true"`/`"false"`, `"yes"`/`"no"`, `"on"`/`"off"`). `null` counts as absent everywhere, so it
 * restores the built-in default (even over a value from `default-consumer`).
 * @packageDocumentation
 */
import * as t from 'io-ts';
import { unknownKeyMessage } from './suggest';

// -------------------------------------------------------------------------------------------------
// limits
// -------------------------------------------------------------------------------------------------

/** The longest delay Node can schedule (2^31 − 1 ms, about 24.8 days); longer timers fire at once. */
export const MAX_TIMER_MILLIS = 2_147_483_647;

/** The same bound in whole seconds, for the seed's `*Seconds` keys. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MILLIS / 1000);

/** Java's Long.MAX_VALUE, the upper bound of several KPL settings. */
export const JAVA_LONG_MAX = 2n ** 63n - 1n;

// -------------------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------------------

/** True for `{...}` objects (not arrays, not null, not class instances such as Date). */
export function isPlainObject(u: unknown): u is Record<string, unknown> {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return false;
  const proto = Object.getPrototypeOf(u) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A short rendering of an offending value for error messages: strings quoted, objects by kind. */
export function describeValue(u: unknown): string {
  if (typeof u === 'string') return JSON.stringify(u);
  if (u === null) return 'null';
  if (u === undefined) return 'nothing';
  if (Array.isArray(u)) return 'an array';
  if (typeof u === 'object') return 'an object';
  if (typeof u === 'bigint') return `${u}n`;
  return String(u);
}

function expected(what: string): (u: unknown, c: t.Context) => t.Validation<never> {
  return (u, c) => t.failure(u, c, `expected ${what}, got ${describeValue(u)}`);
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGRAL = /^[+-]?\d+$/;

// -------------------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------------------

/** Decodes with `codec`, or yields `value` when the key is absent or `null`. */
export function withDefault<C extends t.Any>(codec: C, value: t.TypeOf<C>): t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown> {
  return new t.Type(
    `${codec.name} (default ${JSON.stringify(value)})`,
    codec.is,
    (u, c) => (u === undefined || u === null ? t.success(value) : codec.validate(u, c)),
    codec.encode,
  );
}

/** Decodes with `codec`, or yields `undefined` when the key is absent or `null`. */
export function optional<C extends t.Any>(codec: C): t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown> {
  return new t.Type(
    `${codec.name} (optional)`,
    (u): u is t.TypeOf<C> | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined || u === null ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );
}

/** The decoded shape of a {@link strictObject}. */
export type StrictType<P extends t.Props> = { readonly [K in keyof P]: t.TypeOf<P[K]> };

/** A codec for a fixed set of keys; see {@link strictObject}. */
export interface StrictObjectC<P extends t.Props> extends t.Type<StrictType<P>, unknown, unknown> {
  readonly props: P;
}

/**
 * An object with exactly the keys of `props`. Unlike `t.exact`, an unknown key is an error (with a
 * "did you mean" suggestion, or the explanation in `hints[key]`), not silently dropped. An absent
 * or `null` object decodes as `{}`, so nested defaults still apply.
 */
export function strictObject<P extends t.Props>(
  name: string,
  props: P,
  hints: Readonly<Record<string, string>> = {},
): StrictObjectC<P> {
  const known = Object.keys(props);
  const is = (u: unknown): u is StrictType<P> =>
    isPlainObject(u) && Object.keys(u).every((k) => k in props) && known.every((k) => props[k]?.is(u[k]) === true);
  const validate = (u: unknown, c: t.Context): t.Validation<StrictType<P>> => {
    const input = u === undefined || u === null ? {} : u;
    if (!isPlainObject(input)) return expected('an object')(u, c);
    const errors: t.ValidationError[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      if (key in props) continue;
      errors.push({
        value: input[key],
        context: t.appendContext(c, key, t.never, input[key]),
        message: hints[key] ?? unknownKeyMessage(key, known),
      });
    }
    for (const key of known) {
      const codec = props[key] as t.Any;
      const result = codec.validate(input[key], t.appendContext(c, key, codec, input[key]));
      if (result._tag === 'Left') errors.push(...result.left);
      else if (result.right !== undefined) out[key] = result.right;
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out as StrictType<P>);
  };
  return Object.assign(new t.Type<StrictType<P>, unknown, unknown>(name, is, validate, t.identity), { props });
}

// -------------------------------------------------------------------------------------------------
// leaves
// -------------------------------------------------------------------------------------------------

/** Options of {@link intInRange}. */
export interface IntOptions {
  /** Shown after the range in messages, e.g. `milliseconds`. */
  readonly unit?: string;
  /** Values above this (but within range) decode as this, for "unbounded" KPL settings. */
  readonly clampAbove?: number;
}

function rangeText(min: number | bigint, max: number | bigint | undefined, unit: string | undefined): string {
  const range = max === undefined ? `≥ ${min}` : `in ${min}..${max}`;
  return unit === undefined ? range : `${range} (${unit})`;
}

/**
 * A whole number in `min..max` (inclusive; no upper bound when `max` is omitted), given as a number
 * or a decimal string. `max` may be a bigint (Java's Long.MAX_VALUE) checked exactly; values above
 * `clampAbove` then decode as `clampAbove`.
 */
export function intInRange(min: number, max?: number | bigint, options: IntOptions = {}): t.Type<t.Int, unknown, unknown> {
  const what = `an integer ${rangeText(min, max, options.unit)}`;
  const fail = expected(what);
  return new t.Type<t.Int, unknown, unknown>(
    what,
    (u): u is t.Int => t.Int.is(u) && u >= min && (max === undefined || u <= max),
    (u, c) => {
      let big: bigint;
      if (typeof u === 'number') {
        if (!Number.isFinite(u) || !Number.isInteger(u)) return fail(u, c);
        big = BigInt(u);
      } else if (typeof u === 'string' && INTEGRAL.test(u)) {
        big = BigInt(u);
      } else {
        return fail(u, c);
      }
      // A JSON literal of 2^63 − 1 parses as the double 2^63; accept it as the bound it spells.
      const roundedMax = typeof max === 'bigint' && typeof u === 'number' ? BigInt(Number(max)) : max;
      if (big < BigInt(min) || (roundedMax !== undefined && big > BigInt(roundedMax))) return fail(u, c);
      const clamp = options.clampAbove;
      const value = clamp !== undefined && big > BigInt(clamp) ? clamp : Number(big);
      return t.success(value as t.Int);
    },
    t.identity,
  );
}

/** A finite real number in `min..max`, given as a number or a decimal string. */
export function numberInRange(min: number, max: number, unit?: string): t.Type<number, unknown, unknown> {
  const what = `a number ${rangeText(min, max, unit)}`;
  const fail = expected(what);
  return new t.Type<number, unknown, unknown>(
    what,
    (u): u is number => typeof u === 'number' && u >= min && u <= max,
    (u, c) => {
      const n = typeof u === 'number' ? u : typeof u === 'string' && NUMERIC.test(u) ? Number(u) : NaN;
      return Number.isFinite(n) && n >= min && n <= max ? t.success(n) : fail(u, c);
    },
    t.identity,
  );
}

const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

/** `true`/`false`, or the words Typesafe Config reads as booleans (`"yes"`, `"off"`…). */
export const bool: t.Type<boolean, unknown, unknown> = new t.Type<boolean, unknown, unknown>(
  'a boolean',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => {
    if (typeof u === 'boolean') return t.success(u);
    if (typeof u === 'string' && TRUE_WORDS.has(u)) return t.success(true);
    if (typeof u === 'string' && FALSE_WORDS.has(u)) return t.success(false);
    return expected('a boolean')(u, c);
  },
  t.identity,
);

/** Any string, empty included (numbers are not silently turned into strings). */
export const str: t.Type<string, unknown, unknown> = new t.Type<string, unknown, unknown>(
  'a string',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' ? t.success(u) : expected('a string')(u, c)),
  t.identity,
);

/** A string with at least one non-blank character, kept as written. */
export const nonEmptyString: t.Type<string, unknown, unknown> = new t.Type<string, unknown, unknown>(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(u) : expected('a non-empty string')(u, c)),
  t.identity,
);

/** A string matching `pattern`; `what` describes the pattern in messages. */
export function matching(pattern: RegExp, what: string): t.Type<string, unknown, unknown> {
  return new t.Type<string, unknown, unknown>(
    what,
    (u): u is string => typeof u === 'string' && pattern.test(u),
    (u, c) => (typeof u === 'string' && pattern.test(u) ? t.success(u) : expected(what)(u, c)),
    t.identity,
  );
}

/** One of `values`, compared exactly (case included). */
export function oneOf<const V extends string>(values: readonly [V, ...V[]]): t.Type<V, unknown, unknown> {
  const what = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  const allowed = new Set<unknown>(values);
  return new t.Type<V, unknown, unknown>(
    what,
    (u): u is V => allowed.has(u),
    (u, c) => (allowed.has(u) ? t.success(u as V) : expected(what)(u, c)),
    t.identity,
  );
}

/** Epoch values below this are seconds (the KCL's unit), at or above it milliseconds (1973-03-03). */
export const EPOCH_SECONDS_BELOW = 1e11;

/**
 * A point in time: an ISO-8601 date-time string, or a number of seconds or milliseconds since the
 * epoch (number or numeric string). The KCL reads `timestampAtInitialPositionInStream` as epoch
 * seconds; JavaScript speaks milliseconds. Every real date after 1973 is ≥ 10^11 in milliseconds
 * and < 10^11 in seconds, so the magnitude tells them apart.
 */
export const timestamp: t.Type<Date, unknown, unknown> = new t.Type<Date, unknown, unknown>(
  'a date',
  (u): u is Date => u instanceof Date && !Number.isNaN(u.getTime()),
  (u, c) => {
    const fail = expected('an ISO-8601 date-time or epoch seconds/milliseconds');
    const n = typeof u === 'number' ? u : typeof u === 'string' && NUMERIC.test(u) ? Number(u) : undefined;
    if (n !== undefined) {
      if (!Number.isFinite(n) || n < 0) return fail(u, c);
      const date = new Date(n < EPOCH_SECONDS_BELOW ? n * 1000 : n);
      return Number.isNaN(date.getTime()) ? fail(u, c) : t.success(date);
    }
    if (typeof u !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(u)) {
      return fail(u, c);
    }
    const date = new Date(u);
    return Number.isNaN(date.getTime()) ? fail(u, c) : t.success(date);
  },
  (d) => d,
);

/**
 * An HTTP(S) endpoint: a full URL, or a bare `host[:port]` as the KCL and KPL took it, which means
 * HTTPS. Decodes to the URL without a trailing slash, e.g. `https://kinesis.eu-west-1.amazonaws.com`.
 */
export const endpoint: t.Type<string, unknown, unknown> = new t.Type<string, unknown, unknown>(
  'an endpoint',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    const fail = expected('a host name or an http(s) URL');
    if (typeof u !== 'string' || u.trim() === '') return fail(u, c);
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `https://${u}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return fail(u, c);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') return fail(u, c);
    return t.success(`${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`);
  },
  t.identity,
);
