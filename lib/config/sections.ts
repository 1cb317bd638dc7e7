/**
 * Finding a named section and layering it over its `default-*` section. Each layer is checked on
 * its own first, so an error is reported at the path where the bad value was written (a bad
 * `default-consumer` value is not blamed on every consumer); only then are the layers merged and
 * decoded once more to fill the defaults.
 * @packageDocumentation
 */
import type * as t from 'io-ts';
import type { ConfigIssue } from '../model/errors';
import { isPlainObject } from './codecs';
import { deepMerge } from './merge';
import { check, invalid, type Checked } from './report';
import { suggestKey } from './suggest';

/** The keys of the `kinesis` object that are not consumer or producer sections. */
export const GLOBAL_KEYS = ['application-name', 'akka', 'default-consumer', 'default-producer'] as const;

/** The path of a key of the `kinesis` object. */
export function sectionPath(name: string): string {
  return `kinesis.${name}`;
}

/** The names of the consumer and producer sections of a `kinesis` object. */
export function sectionNames(source: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(source).filter((key) => !(GLOBAL_KEYS as readonly string[]).includes(key));
}

function missingSection(source: Readonly<Record<string, unknown>>, name: string, kind: string): ConfigIssue {
  const names = sectionNames(source);
  const suggestion = suggestKey(name, names);
  const known = names.length === 0 ? 'there are none' : `there are ${names.map((n) => `"${n}"`).join(', ')}`;
  return {
    path: sectionPath(name),
    message:
      `missing ${kind} section` + (suggestion === undefined ? `; ${known}` : `; did you mean "${suggestion.key}"?`),
  };
}

/**
 * The issue for a section without `stream-name`; when the section's name is close to a reserved
 * key (`default-consumers`), it was probably meant to be that key.
 */
export function streamNameMissing(name: string): ConfigIssue {
  const reserved = suggestKey(name, GLOBAL_KEYS);
  return {
    path: `${sectionPath(name)}.stream-name`,
    message:
      'required: a non-empty stream name' +
      (reserved === undefined ? '' : ` (or did you mean this section to be "${reserved.key}"?)`),
  };
}

/**
 * Section `name` of `source` merged over `source[defaultKey]` and decoded with `codec`, defaults
 * applied. Issues name the full path of each bad key; a missing section is one issue naming it.
 */
export function resolveSection<A>(
  codec: t.Decoder<unknown, A>,
  source: Readonly<Record<string, unknown>>,
  defaultKey: 'default-consumer' | 'default-producer',
  name: string,
  kind: 'consumer' | 'producer',
): Checked<A> {
  if ((GLOBAL_KEYS as readonly string[]).includes(name)) {
    return invalid([{ path: sectionPath(name), message: `is a reserved key, not a ${kind} section` }]);
  }
  const section = source[name];
  if (section === undefined) return invalid([missingSection(source, name, kind)]);
  if (!isPlainObject(section)) {
    return invalid([{ path: sectionPath(name), message: `expected a ${kind} section (an object)` }]);
  }
  const defaults = check(codec, source[defaultKey], sectionPath(defaultKey));
  const own = check(codec, section, sectionPath(name));
  const issues = [...(defaults.ok ? [] : defaults.issues), ...(own.ok ? [] : own.issues)];
  if (issues.length > 0) return invalid(issues);
  return check(codec, deepMerge(source[defaultKey], section), sectionPath(name));
}
