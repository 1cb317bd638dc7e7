/**
 * Small text formatting shared by the commands: counts, rates, durations and aligned columns.
 * @packageDocumentation
 */

/** `100000` → `"100,000"`. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Items per second, `12,345/s`; `n/a` when the duration is not positive. */
export function formatRate(count: number, millis: number): string {
  return millis > 0 ? `${formatCount((count * 1000) / millis)}/s` : 'n/a';
}

/** `1234` → `"1.23 s"`; under a second in milliseconds: `"870 ms"`. */
export function formatMillis(millis: number): string {
  if (millis < 1000) return `${Math.round(millis)} ms`;
  if (millis < 60_000) return `${(millis / 1000).toFixed(millis < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(millis / 60_000);
  return `${minutes} min ${Math.round((millis - minutes * 60_000) / 1000)} s`;
}

/** The short form of a shard id: `shardId-000000000003` → `3`; anything else as it is. */
export function shortShardId(shardId: string): string {
  const match = /^shardId-0*(\d+)$/.exec(shardId);
  return match === null ? shardId : match[1]!;
}

/**
 * Rows as left-aligned columns separated by two spaces, the first row being the header. Trailing
 * spaces are trimmed.
 */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
