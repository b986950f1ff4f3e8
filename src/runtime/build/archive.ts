// ADD of a local tar archive: it is unpacked into the destination instead of
// copied. Recognised by content, not by name: plain tar, gzip (node:zlib), and
// bzip2, xz and zstd through the system's decompressors (bzip2, xz, zstd run
// with argv only). A compressed file that holds no tar is copied as it is, as
// Docker does. Members are read into memory: fine for the archives builds add,
// not meant for multi-gigabyte ones.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { TugError, type SourceLocation } from '../../core/errors.js';
import type { LayerEntry } from '../../core/build/copy-layout.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The compression of a file that may be an archive, or undefined when it is neither compressed nor a tar. */
export async function sniffArchive(path: string): Promise<Compression | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    for (const [kind, magic] of MAGIC) if (bytesRead >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
    return bytesRead === 512 && isTarHeader(head) ? 'none' : undefined;
  } finally {
    await handle.close();
  }
}

function isTarHeader(block: Buffer): boolean {
  if (block.toString('latin1', 257, 262) === 'ustar') return true;
  // A v7 tar has no magic: check the header checksum (bytes 148-155 counted as spaces).
  const stored = parseInt(block.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === stored && block[0] !== 0;
}

function decompressed(path: string, kind: Compression, file: string, location: SourceLocation): Readable {
  if (kind === 'none') return createReadStream(path);
  if (kind === 'gzip') return createReadStream(path).pipe(createGunzip());
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const out = child.stdout;
  const source = createReadStream(path);
  source.on('error', (err) => out.destroy(err));
  child.stdin.on('error', () => {});
  source.pipe(child.stdin);
  child.on('close', (code) => {
    if (code) out.destroy(new Error(`${kind} -dc exited with code ${code}`));
  });
  child.on('error', (err) => {
    out.destroy(
      new TugError({
        code: 'build.add-archive',
        message: `ADD ${file}: cannot decompress the ${kind} archive (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `${kind} is not installed` : err.message})`,
        location,
        hint: `install ${kind}, or add the archive uncompressed or gzip-compressed`,
      }),
    );
  });
  return out;
}

/**
 * The members of the archive at `path` as entries under `dest` (absolute),
 * with the owners and modes the archive gives. Undefined when the file turns
 * out to hold no tar (it is then copied as a file).
 */
export async function archiveEntries(path: string, kind: Compression, dest: string, file: string, location: SourceLocation): Promise<LayerEntry[] | undefined> {
  const extract = tar.extract();
  const entries: LayerEntry[] = [];
  const byPath = new Map<string, LayerEntry>();
  const root = dest.replace(/^\/+/, '');
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('error', reject);
      stream.on('end', () => {
        try {
          const entry = toEntry(header, Buffer.concat(chunks), root, byPath, file, location);
          if (entry) {
            entries.push(entry);
            byPath.set(entry.path, entry);
          }
          next();
        } catch (err) {
          reject(err);
        }
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  const input = decompressed(path, kind, file, location);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    await done;
  } catch (err) {
    if (err instanceof TugError) throw err;
    if (entries.length === 0) return undefined;
    throw new TugError({ code: 'build.add-archive', message: `ADD ${file}: the archive is damaged (${(err as Error).message})`, location });
  }
  return entries;
}

function toEntry(header: tar.Header, data: Buffer, root: string, byPath: Map<string, LayerEntry>, file: string, location: SourceLocation): LayerEntry | undefined {
  const name = posix.normalize(`/${header.name}`).slice(1).replace(/\/$/, '');
  if (name === '' || posix.basename(name).startsWith('.wh.')) return undefined;
  if (header.name.split('/').includes('..')) {
    throw new TugError({ code: 'build.add-archive', message: `ADD ${file}: the member ${JSON.stringify(header.name)} points outside the archive`, location, hint: 'rebuild the archive with relative paths inside it' });
  }
  const path = root === '' ? name : `${root}/${name}`;
  const base = { path, mode: (header.mode ?? 0o644) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000) };
  switch (header.type) {
    case 'directory':
      return { ...base, type: 'directory' };
    case 'symlink':
      return { ...base, type: 'symlink', linkname: header.linkname ?? '' };
    case 'link': {
      // A hard link becomes a copy of its target: a layer entry cannot link across layers.
      const targetName = posix.normalize(`/${header.linkname ?? ''}`).slice(1);
      const target = byPath.get(root === '' ? targetName : `${root}/${targetName}`);
      return target?.source ? { ...base, type: 'file', mode: target.mode, source: target.source } : undefined;
    }
    case 'file':
    case 'contiguous-file':
      return { ...base, type: 'file', source: { data } };
    default:
      // Devices and FIFOs are skipped, as a build inside a user namespace would.
      return undefined;
  }
}
