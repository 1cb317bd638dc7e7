import { expect } from 'chai';
import fc from 'fast-check';
import { varintSize, WireReader, writeVarint } from '../../lib/kpl/wire-format';
import { tag, varint } from './protobuf-bytes';

const reader = (bytes: readonly number[]) => new WireReader(Uint8Array.from(bytes), 0, bytes.length);

describe('wire-format', () => {
  it('writes varints of the size it predicts, readable back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(300), fc.constantFrom(127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456), fc.integer({ min: 0, max: 2 ** 32 - 1 })), (value) => {
        const out = new Uint8Array(8);
        const end = writeVarint(out, 1, value);
        expect(end - 1).to.equal(varintSize(value));
        expect([...out.subarray(1, end)]).to.deep.equal(varint(value));
        const r = new WireReader(out, 1, end);
        expect([r.varint(), r.pos]).to.deep.equal([value, end]);
      }),
    );
  });

  it('reads 64-bit varints and rejects truncated or overlong ones', () => {
    expect(reader(varint(2n ** 53n)).varint()).to.equal(2 ** 53);
    expect(reader(varint(2n ** 64n - 1n)).varint()).to.be.greaterThan(2 ** 63);
    expect(reader([0x80]).varint()).to.equal(-1);
    expect(reader([]).varint()).to.equal(-1);
    expect(reader([...Array<number>(10).fill(0xff), 0x01]).varint()).to.equal(-1);
  });

  it('reads a length only when that many bytes remain', () => {
    expect(reader([3, 1, 2, 3]).length()).to.equal(3);
    expect(reader([4, 1, 2, 3]).length()).to.equal(-1);
  });

  it('skips fields of each wire type, and refuses the malformed', () => {
    const skips = (bytes: number[]) => {
      const r = reader(bytes);
      return r.skipField(r.varint()) && r.pos === bytes.length;
    };
    expect(skips([...tag(5, 0), ...varint(1000)])).to.equal(true);
    expect(skips([...tag(5, 1), 1, 2, 3, 4, 5, 6, 7, 8])).to.equal(true);
    expect(skips([...tag(5, 2), 2, 9, 9])).to.equal(true);
    expect(skips([...tag(5, 3), ...tag(6, 0), 1, ...tag(7, 3), ...tag(7, 4), ...tag(5, 4)])).to.equal(true);
    expect(skips([...tag(5, 5), 1, 2, 3, 4])).to.equal(true);
    expect(skips([...tag(5, 3), ...tag(6, 4)])).to.equal(false); // group closed by the wrong field
    expect(skips([...tag(5, 4)])).to.equal(false);
    expect(skips([...tag(5, 6)])).to.equal(false);
    expect(skips([...tag(0, 0), 1])).to.equal(false);
    expect(skips([...tag(5, 5), 1, 2])).to.equal(false);
  });
});
