import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { md5Utf8Words } from '../../lib/kpl/md5';

const wordsHex = (words: Int32Array) => Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
const md5Hex = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

describe('md5Utf8Words', () => {
  it('gives the RFC 1321 test-suite digests, most significant word first', () => {
    const out = new Int32Array(4);
    const suite: [string, string][] = [
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
    ];
    for (const [text, hex] of suite) {
      md5Utf8Words(text, out);
      expect(wordsHex(out), JSON.stringify(text)).to.equal(hex);
    }
  });

  it('agrees with node:crypto on every length around the block and padding boundaries', () => {
    const out = new Int32Array(4);
    for (let length = 0; length <= 200; length++) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('');
      md5Utf8Words(text, out);
      expect(wordsHex(out), `length ${length}`).to.equal(md5Hex(text));
    }
  });

  it('hashes the UTF-8 bytes of any string, ASCII or not', () => {
    const out = new Int32Array(4);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ maxLength: 300 })), (text) => {
        md5Utf8Words(text, out);
        expect(wordsHex(out)).to.equal(md5Hex(text));
      }),
    );
  });
});
