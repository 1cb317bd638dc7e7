/**
 * The seed's layering (Typesafe Config's application-over-reference): a named section is merged
 * over its `default-*` section key by key, recursively, so overriding `worker.batchTimeoutSeconds`
 * keeps every other `worker.*` value.
 * @packageDocumentation
 */
import { isPlainObject } from './codecs';

/**
 * `over` merged onto `base`: objects present in both are merged recursively; any other value in
 * `over` (including `null`, which then means "built-in default") replaces the one in `base`.
 * Neither argument is modified.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/** A deep copy of plain data, frozen all the way down, so a decoded config cannot change under us. */
export function frozenCopy<A>(value: A): A {
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as A;
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) copy[key] = frozenCopy(inner);
    return Object.freeze(copy) as A;
  }
  return value;
}
