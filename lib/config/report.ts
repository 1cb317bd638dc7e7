/**
 * Turns io-ts validation errors into {@link ConfigIssue}s: the full dotted path of each offending
 * key and what was wrong with it. Unlike io-ts' PathReporter, paths use the seed's key names only
 * (no codec names), so a message reads `kinesis.my-consumer.kcl.maxRecords: expected …, got …`.
 * @packageDocumentation
 */
import type * as t from 'io-ts';
import { ConfigError, type ConfigIssue } from '../model/errors';
import { describeValue } from './codecs';

/** Either the decoded value or every issue found. */
export type Checked<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** A successful {@link Checked}. */
export function valid<A>(value: A): Checked<A> {
  return { ok: true, value };
}

/** A failed {@link Checked}. */
export function invalid<A = never>(issues: readonly ConfigIssue[]): Checked<A> {
  return { ok: false, issues };
}

/** One issue per io-ts error, each path prefixed with `basePath` (the path of the decoded value). */
export function toIssues(errors: t.Errors, basePath: string): ConfigIssue[] {
  return errors.map((error) => {
    const keys = error.context.slice(1).map((entry) => entry.key).filter((key) => key !== '');
    const path = [basePath, ...keys].join('.');
    const last = error.context[error.context.length - 1];
    const message = error.message ?? `expected ${last?.type.name ?? 'a valid value'}, got ${describeValue(error.value)}`;
    return { path, message };
  });
}

/** Decodes `u` with `codec`, reporting errors under `basePath`. */
export function check<A>(codec: t.Decoder<unknown, A>, u: unknown, basePath: string): Checked<A> {
  const result = codec.decode(u);
  return result._tag === 'Right' ? valid(result.right) : invalid(toIssues(result.left, basePath));
}

/** The issues in order of first appearance, each once (shared defaults are checked once per section). */
export function distinctIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The value, or a {@link ConfigError} listing every issue. */
export function orThrow<A>(checked: Checked<A>): A {
  if (checked.ok) return checked.value;
  throw new ConfigError(distinctIssues(checked.issues));
}
