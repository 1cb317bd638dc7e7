/**
 * The few pieces of the protobuf wire format the KPL aggregate needs, written by hand so that
 * encoding writes straight into our own buffers and decoding never throws. Not part of the
 * public API.
 * @packageDocumentation
 */

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

/**
 * Nesting allowed for groups, which are skipped recursively: far more than any real message uses,
 * and few enough that hostile input cannot overflow the stack. protobuf-java's default limit is 100 too.
 */
const MAX_GROUP_DEPTH = 100;

/** Bytes taken by `value` (a non-negative integer below 2^32) as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (a non-negative integer below 2^32) as a varint at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[offset++] = value;
  return offset;
}

/** Bytes taken by a length-delimited field of `length` bytes with a one-byte tag. */
export function lengthDelimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/**
 * A cursor over protobuf bytes in `[pos, end)`. Every read reports malformed or truncated input as
 * -1 or `false` instead of throwing, so a decoder can give up cheaply on arbitrary bytes.
 */
export class WireReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  /** The next varint as a number (exact below 2^53, larger values come out approximate); -1 if malformed or truncated. */
  varint(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    if (pos >= this.end) return -1;
    let byte = bytes[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let value = byte & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 10; i++) {
      if (pos >= this.end) return -1;
      byte = bytes[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 0x80;
    }
    return -1; // more than ten bytes: not a 64-bit varint
  }

  /** Reads the length of a length-delimited field; -1 if malformed or longer than what remains. */
  length(): number {
    const length = this.varint();
    return length <= this.end - this.pos ? length : -1;
  }

  /**
   * Skips the value of a field whose tag (already read) is `tag`, as protobuf parsers do with
   * unknown fields. Returns false when the tag or value is malformed, including an unmatched
   * end-group tag and the invalid wire types 6 and 7.
   */
  skipField(tag: number, depth = 0): boolean {
    if (tag < 8) return false; // malformed, or field number 0
    switch (tag % 8) {
      case VARINT:
        return this.varint() >= 0;
      case FIXED64:
        return this.advance(8);
      case LENGTH_DELIMITED: {
        const length = this.length();
        return length >= 0 && this.advance(length);
      }
      case START_GROUP:
        return this.skipGroup(Math.floor(tag / 8), depth + 1);
      case FIXED32:
        return this.advance(4);
      case END_GROUP:
      default:
        return false;
    }
  }

  private skipGroup(fieldNumber: number, depth: number): boolean {
    if (depth > MAX_GROUP_DEPTH) return false;
    const endTag = fieldNumber * 8 + END_GROUP;
    for (;;) {
      const tag = this.varint();
      if (tag === endTag) return true;
      if (!this.skipField(tag, depth)) return false;
    }
  }

  private advance(count: number): boolean {
    if (count > this.end - this.pos) return false;
    this.pos += count;
    return true;
  }
}
