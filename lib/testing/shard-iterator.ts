/**
 * Shard iterators of the fake: opaque strings that carry where to read from and when they were
 * issued, so nothing has to be remembered per iterator and reusing one works as it does in Kinesis.
 * @packageDocumentation
 */

/** What an iterator says. */
export interface IteratorState {
  readonly streamName: string;
  /** Which incarnation of the stream (a deleted and re-created stream does not accept old iterators). */
  readonly incarnation: number;
  readonly shardId: string;
  /** Index in the shard of the next record to return. */
  readonly position: number;
  readonly issuedAtMillis: number;
}

/** How long an iterator stays valid after it is issued. */
export const ITERATOR_LIFETIME_MILLIS = 5 * 60 * 1000;

/** Encodes an iterator. */
export function encodeShardIterator(state: IteratorState): string {
  const fields = [state.streamName, state.incarnation, state.shardId, state.position, state.issuedAtMillis];
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64');
}

/** Decodes an iterator, or `undefined` when the text is not one this fake issued. */
export function decodeShardIterator(text: string): IteratorState | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 5) return undefined;
  const [streamName, incarnation, shardId, position, issuedAtMillis] = fields as unknown[];
  if (
    typeof streamName !== 'string' ||
    typeof shardId !== 'string' ||
    !Number.isSafeInteger(incarnation) ||
    !Number.isSafeInteger(position) ||
    typeof issuedAtMillis !== 'number' ||
    !Number.isFinite(issuedAtMillis)
  ) {
    return undefined;
  }
  return { streamName, incarnation: incarnation as number, shardId, position: position as number, issuedAtMillis };
}
