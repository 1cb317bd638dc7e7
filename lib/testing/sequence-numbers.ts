/**
 * Sequence numbers as the fake issues them: 56-digit decimals like the real ones, increasing with
 * every record (per shard and across the whole fake, so they are also globally unique), and
 * carrying the shard's ordinal in their low digits so a number can be checked against its shard,
 * as Kinesis does for AT_/AFTER_SEQUENCE_NUMBER.
 *
 * Layout: `49` · 41-digit counter · 13-digit shard ordinal.
 * @packageDocumentation
 */

const ORDINAL_SCALE = 10n ** 13n;
const COUNTER_SCALE = 10n ** 41n;
const PREFIX = 49n;
const DECIMAL = /^\d{1,128}$/;

/** Issues increasing sequence numbers; one per fake, shared by its streams. */
export class Sequencer {
  private counter = 0n;

  /** The next sequence number, for the shard with this ordinal. */
  next(shardOrdinal: number): bigint {
    this.counter += 1n;
    return (PREFIX * COUNTER_SCALE + this.counter) * ORDINAL_SCALE + BigInt(shardOrdinal);
  }
}

/** The shard ordinal a sequence number carries, or `undefined` when it is not one this fake issued. */
export function shardOrdinalOf(sequence: bigint): number | undefined {
  const prefix = sequence / ORDINAL_SCALE / COUNTER_SCALE;
  return prefix === PREFIX ? Number(sequence % ORDINAL_SCALE) : undefined;
}

/** A decimal sequence number as a BigInt, or `undefined` when the text is not decimal. */
export function parseSequenceNumber(text: string): bigint | undefined {
  return DECIMAL.test(text) ? BigInt(text) : undefined;
}
