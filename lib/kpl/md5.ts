/**
 * MD5 (RFC 1321) in plain int32 arithmetic, for hashing partition keys into hash keys. Partition
 * keys are short (at most 256 characters, usually one 64-byte block), so a call into `node:crypto`
 * with its Hash object and digest Buffer costs more than the hashing itself, and routing wants the
 * digest as numbers, not bytes. Aggregate checksums, kilobytes at a time, stay with `node:crypto`.
 * @internal
 * @packageDocumentation
 */

/** floor(|sin(i + 1)| · 2^32) for i in 0..63: the additive constants of RFC 1321, as int32. */
const T = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/** Inputs of at most this many bytes fit one block with their 0x80 byte and 8-byte bit length. */
const ONE_BLOCK_BYTES = 55;

// One message block as little-endian words, and the chaining state. Every function here runs to
// completion without calling out, so one set of scratch arrays serves every call.
const m = new Int32Array(16);
const state = new Int32Array(4);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** Folds the block `m` into `state`: the four rounds of RFC 1321 §3.4. */
function compress(): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 16; i += 4) {
    a = (b + rotl((a + ((b & c) | (~b & d)) + T[i]! + m[i]!) | 0, 7)) | 0;
    d = (a + rotl((d + ((a & b) | (~a & c)) + T[i + 1]! + m[i + 1]!) | 0, 12)) | 0;
    c = (d + rotl((c + ((d & a) | (~d & b)) + T[i + 2]! + m[i + 2]!) | 0, 17)) | 0;
    b = (c + rotl((b + ((c & d) | (~c & a)) + T[i + 3]! + m[i + 3]!) | 0, 22)) | 0;
  }
  for (let i = 16; i < 32; i += 4) {
    a = (b + rotl((a + ((b & d) | (c & ~d)) + T[i]! + m[(5 * i + 1) & 15]!) | 0, 5)) | 0;
    d = (a + rotl((d + ((a & c) | (b & ~c)) + T[i + 1]! + m[(5 * i + 6) & 15]!) | 0, 9)) | 0;
    c = (d + rotl((c + ((d & b) | (a & ~b)) + T[i + 2]! + m[(5 * i + 11) & 15]!) | 0, 14)) | 0;
    b = (c + rotl((b + ((c & a) | (d & ~a)) + T[i + 3]! + m[(5 * i + 16) & 15]!) | 0, 20)) | 0;
  }
  for (let i = 32; i < 48; i += 4) {
    a = (b + rotl((a + (b ^ c ^ d) + T[i]! + m[(3 * i + 5) & 15]!) | 0, 4)) | 0;
    d = (a + rotl((d + (a ^ b ^ c) + T[i + 1]! + m[(3 * i + 8) & 15]!) | 0, 11)) | 0;
    c = (d + rotl((c + (d ^ a ^ b) + T[i + 2]! + m[(3 * i + 11) & 15]!) | 0, 16)) | 0;
    b = (c + rotl((b + (c ^ d ^ a) + T[i + 3]! + m[(3 * i + 14) & 15]!) | 0, 23)) | 0;
  }
  for (let i = 48; i < 64; i += 4) {
    a = (b + rotl((a + (c ^ (b | ~d)) + T[i]! + m[(7 * i) & 15]!) | 0, 6)) | 0;
    d = (a + rotl((d + (b ^ (a | ~c)) + T[i + 1]! + m[(7 * i + 7) & 15]!) | 0, 10)) | 0;
    c = (d + rotl((c + (a ^ (d | ~b)) + T[i + 2]! + m[(7 * i + 14) & 15]!) | 0, 15)) | 0;
    b = (c + rotl((b + (d ^ (c | ~a)) + T[i + 3]! + m[(7 * i + 21) & 15]!) | 0, 21)) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

function reset(): void {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
}

/**
 * Pads the final block, whose first `tail` bytes are already in `m` (the rest zero), for a message
 * of `length` bytes, and folds it in: two blocks when the bit length no longer fits after the tail.
 */
function finish(tail: number, length: number): void {
  m[tail >> 2]! |= 0x80 << ((tail & 3) << 3);
  if (tail > ONE_BLOCK_BYTES) {
    compress();
    m.fill(0);
  }
  m[14] = length * 8; // the low 32 bits of the bit length (ToInt32 wraps)
  m[15] = Math.floor(length / 2 ** 29);
  compress();
}

function hashBytes(bytes: Uint8Array): void {
  reset();
  const length = bytes.length;
  let at = 0;
  for (; at + 64 <= length; at += 64) {
    for (let w = 0; w < 16; w++) {
      const i = at + 4 * w;
      m[w] = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    }
    compress();
  }
  m.fill(0);
  const tail = length - at;
  for (let i = 0; i < tail; i++) m[i >> 2]! |= bytes[at + i]! << ((i & 3) << 3);
  finish(tail, length);
}

/** Byte-swaps a state word: MD5's digest bytes are the state words in little-endian order. */
function swap(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/**
 * The MD5 digest of `text`'s UTF-8 bytes, read as a big-endian 128-bit number and written into
 * `out` as four int32 words, most significant first. ASCII text of up to 55 characters (the usual
 * partition key) is hashed straight from the string, without encoding it first.
 */
export function md5Utf8Words(text: string, out: Int32Array): void {
  const length = text.length;
  let hashed = false;
  if (length <= ONE_BLOCK_BYTES) {
    m.fill(0);
    let seen = 0; // every code unit OR-ed together: below 0x80 exactly when the text is ASCII
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      seen |= c;
      m[i >> 2]! |= c << ((i & 3) << 3);
    }
    if (seen < 0x80) {
      reset();
      finish(length, length);
      hashed = true;
    }
  }
  if (!hashed) hashBytes(Buffer.from(text, 'utf8'));
  out[0] = swap(state[0]!);
  out[1] = swap(state[1]!);
  out[2] = swap(state[2]!);
  out[3] = swap(state[3]!);
}
