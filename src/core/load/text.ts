// Bytes of a Compose file, a .env or an env_file, as text. Invalid UTF-8 is an
// error at the byte that breaks it: decoding with replacement characters would
// silently change values (a password, a path) into something nobody wrote.
import { TugError } from '../errors.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`; throws TugError `file.not-utf8` at the first invalid byte (line, column and offset). */
export function decodeText(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw notUtf8(bytes, file, firstInvalidByte(bytes));
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

/** Length of the well-formed sequence starting at `i` (RFC 3629: no overlongs, surrogates or values past U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = bytes[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function notUtf8(bytes: Uint8Array, file: string, offset: number): TugError {
  const at = Math.max(0, offset);
  const lineStart = at === 0 ? 0 : bytes.lastIndexOf(0x0a, at - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  // The column counts characters, as an editor shows them; the prefix up to the bad byte is valid.
  const column = [...strict.decode(bytes.subarray(lineStart, at))].length + 1;
  const byte = bytes[at]?.toString(16).toUpperCase().padStart(2, '0') ?? '??';
  return new TugError({
    code: 'file.not-utf8',
    message: `${file === '-' ? 'the standard input' : file} is not UTF-8 text: byte 0x${byte} at offset ${at} (line ${line}, column ${column}) is not valid UTF-8`,
    location: { file, line, column },
    expected: 'a file encoded as UTF-8',
    hint: isUtf16(bytes)
      ? 'the file starts with a UTF-16 byte order mark: save it as UTF-8'
      : 'save the file as UTF-8; tug does not guess other encodings',
  });
}

function isUtf16(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}
