/**
 * A de-duplicated, zero-indexed key table of a KPL aggregate (`partition_key_table` or
 * `explicit_hash_key_table`), kept in serialized form. Not part of the public API.
 * @packageDocumentation
 */
import { ByteSink } from './byte-sink';
import * as wire from './wire-format';

// Local copies of the hot helpers: loaders such as esbuild turn imported bindings into getters,
// which would cost a call on every use.
const { varintSize, writeVarint } = wire;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * Keys are looked up in an open-addressing table hashed over their UTF-16 code units. Hashing walks
 * the key once and, for ASCII keys (the usual case), writes its bytes in the same pass: a new key's
 * serialized entry is staged after the committed ones, so adding it is just moving `length` on.
 */
export class KeyTable {
  /** The table's serialized fields: tag, varint length, UTF-8 bytes, for every key in order. */
  readonly entries = new ByteSink(256);
  private readonly keys: string[] = []; // the first `count` are this table's; the rest are stale, kept for capacity
  private count = 0;
  // Open addressing, two numbers per slot so a probe reads one cache line: the key's index + 1
  // (0 marks a free slot), then the key's hash.
  private slots = new Int32Array(2 * 64);

  // Left by the last `find` that missed, for `insertPending`.
  private pendingHash = 0;
  private pendingSlot = 0;
  private pendingEntrySize = 0;

  /** @param tag the field's tag byte (field number << 3 | wire type 2) */
  constructor(private readonly tag: number) {}

  /** Number of distinct keys. */
  get size(): number {
    return this.count;
  }

  /** Serialized bytes the pending key (after a `find` returned -1) would add. */
  get pendingSize(): number {
    return this.pendingEntrySize;
  }

  /**
   * Index of `key`, or -1 when it is not in the table; then it is staged, and `insertPending`
   * adds it, as long as no other `find` came in between.
   */
  find(key: string): number {
    const length = key.length;
    const sink = this.entries;
    const out = sink.reserve(1 + 5 + 3 * length); // UTF-8 needs at most 3 bytes per UTF-16 code unit
    const start = sink.length;
    const bytesAt = start + 1 + varintSize(length); // right if the key turns out to be ASCII
    let hash = FNV_OFFSET;
    let bits = 0;
    for (let i = 0; i < length; i++) {
      const c = key.charCodeAt(i);
      hash = Math.imul(hash ^ c, FNV_PRIME);
      bits |= c;
      out[bytesAt + i] = c; // a wrong byte for non-ASCII; rewritten below
    }
    hash = (hash ^ (hash >>> 15)) & 0x3fffffff; // a small integer, so storing it allocates nothing

    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    for (let entry = slots[2 * slot]!; entry !== 0; entry = slots[2 * slot]!) {
      if (slots[2 * slot + 1] === hash && this.keys[entry - 1] === key) return entry - 1;
      slot = (slot + 1) & mask;
    }

    out[start] = this.tag;
    let byteLength = length;
    if (bits < 0x80) {
      writeVarint(out, start + 1, length);
    } else {
      byteLength = Buffer.byteLength(key, 'utf8');
      out.write(key, writeVarint(out, start + 1, byteLength), byteLength, 'utf8');
    }
    this.pendingHash = hash;
    this.pendingSlot = slot;
    this.pendingEntrySize = 1 + varintSize(byteLength) + byteLength;
    return -1;
  }

  /** Adds the key the last `find` missed and staged; returns its index. */
  insertPending(key: string): number {
    const index = this.count++;
    this.keys[index] = key;
    this.slots[2 * this.pendingSlot] = index + 1;
    this.slots[2 * this.pendingSlot + 1] = this.pendingHash;
    this.entries.length += this.pendingEntrySize;
    if (4 * (index + 1) > this.slots.length) this.rehash(); // keep the table at most half full
    return index;
  }

  /** Empties the table, keeping its capacity. */
  clear(): void {
    this.entries.clear();
    this.count = 0;
    this.slots.fill(0);
  }

  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const entry = old[i]!;
      if (entry === 0) continue;
      const hash = old[i + 1]!;
      let slot = hash & mask;
      while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = entry;
      slots[2 * slot + 1] = hash;
    }
    this.slots = slots;
  }
}
