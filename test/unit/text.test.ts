// Bytes to text: valid UTF-8 decodes as it is; anything else is an error at the
// first bad byte, never a silently replaced character.
import { describe, expect, it } from 'vitest';
import { decodeText, firstInvalidByte } from '../../src/core/load/text.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('decodeText', () => {
  it('decodes UTF-8, multi-byte characters and all, and drops a byte order mark', () => {
    expect(decodeText(bytes('a: "café ✓ 😀"\n'), 'f')).toBe('a: "café ✓ 😀"\n');
    expect(decodeText(bytes([0xef, 0xbb, 0xbf], 'a: 1'), 'f')).toBe('a: 1');
  });

  it('reports the first invalid byte with line, column (in characters) and offset', () => {
    const input = bytes('x: 1\ny: "é', [0xff], '"\n');
    expect(() => decodeText(input, '/p/compose.yaml')).toThrow(
      expect.objectContaining({
        code: 'file.not-utf8',
        location: { file: '/p/compose.yaml', line: 2, column: 6 },
        message: '/p/compose.yaml is not UTF-8 text: byte 0xFF at offset 11 (line 2, column 6) is not valid UTF-8',
      }),
    );
    expect(() => decodeText(bytes([0x80]), 'f')).toThrow(expect.objectContaining({ location: { file: 'f', line: 1, column: 1 } }));
  });

  it('finds overlong forms, surrogates, code points past U+10FFFF and cut-off sequences', () => {
    expect(firstInvalidByte(bytes('ok ✓'))).toBe(-1);
    expect(firstInvalidByte(bytes('a', [0xc0, 0xaf]))).toBe(1); // overlong "/"
    expect(firstInvalidByte(bytes('ab', [0xed, 0xa0, 0x80]))).toBe(2); // a UTF-16 surrogate
    expect(firstInvalidByte(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // past U+10FFFF
    expect(firstInvalidByte(bytes('abc', [0xe2, 0x9c]))).toBe(3); // cut off at the end
    expect(firstInvalidByte(bytes([0xff, 0xfe], 'a'))).toBe(0); // UTF-16 byte order mark
  });
});

describe('decodeText hints', () => {
  it('recognises a UTF-16 file by its byte order mark', () => {
    expect(() => decodeText(bytes([0xff, 0xfe, 0x61, 0x00]), 'f')).toThrow(expect.objectContaining({ hint: 'the file starts with a UTF-16 byte order mark: save it as UTF-8' }));
  });
});
