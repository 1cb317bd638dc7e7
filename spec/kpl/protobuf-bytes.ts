/**
 * Hand-assembled protobuf and aggregate bytes, for feeding the decoder inputs the encoder would
 * never produce (other field orders, unknown fields, missing required fields).
 */
import { createHash } from 'node:crypto';

export const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];

/** A varint, for any non-negative integer up to 2^64 − 1. */
export function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function tag(fieldNumber: number, wireType: number): number[] {
  return varint(fieldNumber * 8 + wireType);
}

export function varintField(fieldNumber: number, value: number | bigint): number[] {
  return [...tag(fieldNumber, 0), ...varint(value)];
}

export function bytesField(fieldNumber: number, content: readonly number[] | Uint8Array | string): number[] {
  const bytes = typeof content === 'string' ? [...Buffer.from(content, 'utf8')] : [...content];
  return [...tag(fieldNumber, 2), ...varint(bytes.length), ...bytes];
}

/** Magic + protobuf + MD5(protobuf): a well-framed aggregate around whatever protobuf bytes. */
export function frame(protobuf: readonly number[] | Uint8Array): Uint8Array {
  const body = Uint8Array.from(protobuf);
  const md5 = createHash('md5').update(body).digest();
  return Uint8Array.from([...MAGIC, ...body, ...md5]);
}

/** The protobuf bytes of an aggregate (between magic and MD5). */
export function protobufOf(aggregate: Uint8Array): Uint8Array {
  return aggregate.subarray(4, aggregate.length - 16);
}
