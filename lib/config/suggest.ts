/**
 * "Did you mean" for configuration keys: a misspelt or wrongly cased key is the commonest config
 * mistake, and the seed silently ignored it.
 * @packageDocumentation
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of adjacent characters
 * (`wroker` is one edit from `worker`).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const above = rows[i - 1] ?? [];
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/** How a known key relates to an unknown one. */
export interface Suggestion {
  readonly key: string;
  /** True when the two differ only by letter case. */
  readonly caseOnly: boolean;
}

/**
 * The known key the user most likely meant by `key`, if any: one that differs only by case, else
 * one a couple of edits away (more for long keys), else, when `prefixes` is set, one that starts
 * with it (`region` → `regionName`).
 */
export function suggestKey(key: string, known: readonly string[], prefixes = false): Suggestion | undefined {
  const lower = key.toLowerCase();
  const sameIgnoringCase = known.find((k) => k.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return { key: sameIgnoringCase, caseOnly: true };

  const tolerance = Math.max(1, Math.min(3, Math.floor(key.length / 4)));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= tolerance && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  if (best !== undefined) return { key: best.key, caseOnly: false };

  if (prefixes && key.length >= 4) {
    const prefixed = known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
    if (prefixed !== undefined) return { key: prefixed, caseOnly: false };
  }
  return undefined;
}

/** The message for a key nobody reads: it names the likely intended key when there is one. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known, true);
  if (suggestion === undefined) return `unknown key; expected one of ${known.map((k) => `"${k}"`).join(', ')}`;
  return suggestion.caseOnly
    ? `unknown key (keys are case-sensitive); did you mean "${suggestion.key}"?`
    : `unknown key; did you mean "${suggestion.key}"?`;
}
