// A small POSIX tar (ustar + pax) writer: the engine takes build contexts and
// files copied into containers as tar archives. Entries are written as header
// blocks followed by the body padded to 512 bytes; names too long for ustar
// (or sizes too big for its octal field) get a pax extended header first.

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarEntry {
  /** Relative path with "/" separators; directories may end in "/". */
  name: string;
  type: TarEntryType;
  mode: number;
  /** Bytes of the body (files); 0 for directories and symlinks. */
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;
const TYPE_FLAG: Record<TarEntryType | 'pax', string> = { file: '0', directory: '5', symlink: '2', pax: 'x' };
const MAX_OCTAL_SIZE = 0o77777777777;

/** The two zero blocks that end an archive. */
export const TAR_END: Buffer = Buffer.alloc(BLOCK * 2);

/** Header block(s) for an entry: a pax header first when ustar cannot hold its name, link or size. */
export function tarHeader(entry: TarEntry): Buffer {
  const size = entry.type === 'file' ? entry.size ?? 0 : 0;
  const pax: Record<string, string> = {};
  const split = splitName(entry.name);
  if (!split) pax.path = entry.name;
  if (entry.linkname && Buffer.byteLength(entry.linkname) > 100) pax.linkpath = entry.linkname;
  if (size > MAX_OCTAL_SIZE) pax.size = String(size);
  const main = ustarBlock({
    name: split?.name ?? truncate(entry.name, 100),
    prefix: split?.prefix ?? '',
    type: TYPE_FLAG[entry.type],
    mode: entry.mode,
    size: size > MAX_OCTAL_SIZE ? 0 : size,
    mtime: Math.floor(entry.mtime ?? 0),
    linkname: truncate(entry.linkname ?? '', 100),
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
  });
  if (Object.keys(pax).length === 0) return main;
  const body = paxBody(pax);
  const paxHeader = ustarBlock({
    name: truncate(`PaxHeaders/${entry.name}`, 100),
    prefix: '',
    type: TYPE_FLAG.pax,
    mode: 0o644,
    size: body.length,
    mtime: Math.floor(entry.mtime ?? 0),
    linkname: '',
    uid: 0,
    gid: 0,
  });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), main]);
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** A whole archive in memory, for small ones (a few files copied into a container). */
export function tarBuffer(entries: readonly (TarEntry & { body?: Buffer })[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body ?? Buffer.alloc(0);
    parts.push(tarHeader({ ...entry, size: body.length }), body, tarPadding(body.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

interface UstarFields {
  name: string;
  prefix: string;
  type: string;
  mode: number;
  size: number;
  mtime: number;
  linkname: string;
  uid: number;
  gid: number;
}

function ustarBlock(f: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(f.name, 0, 100, 'utf8');
  writeOctal(block, f.mode & 0o7777, 100, 8);
  writeOctal(block, f.uid, 108, 8);
  writeOctal(block, f.gid, 116, 8);
  writeOctal(block, f.size, 124, 12);
  writeOctal(block, f.mtime, 136, 12);
  block.write(f.type, 156, 1, 'ascii');
  block.write(f.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write(f.prefix, 345, 155, 'utf8');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  block.write(Math.max(0, Math.floor(value)).toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** ustar's name (≤100 bytes) and prefix (≤155 bytes) split at a "/", or undefined when no split fits. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

function truncate(text: string, bytes: number): string {
  const buf = Buffer.from(text);
  return buf.length <= bytes ? text : buf.subarray(0, bytes).toString('utf8');
}

/** "<len> key=value\n" records; len counts the whole record, its own digits included. */
function paxBody(fields: Record<string, string>): Buffer {
  const records = Object.entries(fields).map(([key, value]) => {
    const payload = ` ${key}=${value}\n`;
    const payloadBytes = Buffer.byteLength(payload);
    let length = payloadBytes + String(payloadBytes).length;
    if (String(length).length !== String(payloadBytes).length) length = payloadBytes + String(length).length;
    return `${length}${payload}`;
  });
  return Buffer.from(records.join(''), 'utf8');
}
