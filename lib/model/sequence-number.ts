/**
 * Positions within a shard. A Kinesis sequence number is a decimal string of up to 128 digits, and a
 * user record inside a KPL aggregate adds a sub-sequence number; positions compare as
 * (BigInt sequence, sub-sequence), never as strings, because strings misorder "110" and "12".
 * @packageDocumentation
 */

/** Checkpoint values that are not a record position, as the KCL stores them in the lease table. */
export type CheckpointSentinel = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP' | 'SHARD_END';

const SENTINEL_RANK: Readonly<Record<CheckpointSentinel, bigint>> = {
  // The KCL's ExtendedSequenceNumber values: below every real number, except SHARD_END above all.
  AT_TIMESTAMP: -3n,
  TRIM_HORIZON: -2n,
  LATEST: -1n,
  SHARD_END: 0n, // unused: SHARD_END is handled before ranks are compared
};

const DECIMAL = /^\d{1,128}$/;

// The rank of a sequence number already validated and parsed, handed by `withSubSequence` to the
// constructor so the user records of an aggregate share one parse instead of one each.
let parsedRank: bigint | undefined;

/** True when `value` is one of the checkpoint sentinels. */
export function isCheckpointSentinel(value: string): value is CheckpointSentinel {
  return value === 'TRIM_HORIZON' || value === 'LATEST' || value === 'AT_TIMESTAMP' || value === 'SHARD_END';
}

/**
 * An extended sequence number: the Kinesis sequence number and the index of the user record within
 * an aggregate (0 for a plain record), or a checkpoint sentinel.
 */
export class CompoundSequenceNumber {
  static readonly TRIM_HORIZON = new CompoundSequenceNumber('TRIM_HORIZON');
  static readonly LATEST = new CompoundSequenceNumber('LATEST');
  static readonly AT_TIMESTAMP = new CompoundSequenceNumber('AT_TIMESTAMP');
  static readonly SHARD_END = new CompoundSequenceNumber('SHARD_END');

  private readonly rank: bigint;

  /**
   * @param sequenceNumber a decimal Kinesis sequence number, or a checkpoint sentinel
   * @param subSequenceNumber index of the user record inside its aggregate; 0 for plain records and sentinels
   * @throws TypeError when either part is malformed
   */
  constructor(
    readonly sequenceNumber: string,
    readonly subSequenceNumber: number = 0,
  ) {
    if (!Number.isSafeInteger(subSequenceNumber) || subSequenceNumber < 0) {
      throw new TypeError(`subSequenceNumber must be a non-negative integer, got ${subSequenceNumber}`);
    }
    if (parsedRank !== undefined) {
      this.rank = parsedRank;
      parsedRank = undefined;
    } else if (isCheckpointSentinel(sequenceNumber)) {
      this.rank = SENTINEL_RANK[sequenceNumber];
    } else if (DECIMAL.test(sequenceNumber)) {
      this.rank = BigInt(sequenceNumber);
    } else {
      throw new TypeError(`not a sequence number or checkpoint sentinel: ${JSON.stringify(sequenceNumber)}`);
    }
  }

  /**
   * The position of another user record of the same Kinesis record: this sequence number with
   * `subSequenceNumber`, without parsing the sequence number again.
   * @throws TypeError when `subSequenceNumber` is not a non-negative integer, or this is a sentinel
   */
  withSubSequence(subSequenceNumber: number): CompoundSequenceNumber {
    if (subSequenceNumber === this.subSequenceNumber) return this;
    if (this.isSentinel) {
      throw new TypeError(`a checkpoint sentinel has no sub-sequence numbers: ${this.sequenceNumber}`);
    }
    parsedRank = this.rank;
    try {
      return new CompoundSequenceNumber(this.sequenceNumber, subSequenceNumber);
    } finally {
      parsedRank = undefined;
    }
  }

  /** True for TRIM_HORIZON, LATEST, AT_TIMESTAMP and SHARD_END. */
  get isSentinel(): boolean {
    return isCheckpointSentinel(this.sequenceNumber);
  }

  /** Negative, zero or positive as this position is before, equal to or after `other`. */
  compare(other: CompoundSequenceNumber): number {
    const thisEnd = this.sequenceNumber === 'SHARD_END';
    const otherEnd = other.sequenceNumber === 'SHARD_END';
    if (thisEnd || otherEnd) return thisEnd === otherEnd ? 0 : thisEnd ? 1 : -1;
    if (this.rank !== other.rank) return this.rank < other.rank ? -1 : 1;
    return this.subSequenceNumber - other.subSequenceNumber;
  }

  equals(other: CompoundSequenceNumber): boolean {
    return this.compare(other) === 0;
  }
  isBefore(other: CompoundSequenceNumber): boolean {
    return this.compare(other) < 0;
  }
  isAfter(other: CompoundSequenceNumber): boolean {
    return this.compare(other) > 0;
  }

  toString(): string {
    return this.isSentinel ? this.sequenceNumber : `${this.sequenceNumber}/${this.subSequenceNumber}`;
  }

  /** Comparator for `Array.prototype.sort`. */
  static compare(a: CompoundSequenceNumber, b: CompoundSequenceNumber): number {
    return a.compare(b);
  }

  /** The larger of two positions. */
  static max(a: CompoundSequenceNumber, b: CompoundSequenceNumber): CompoundSequenceNumber {
    return a.compare(b) >= 0 ? a : b;
  }
}
