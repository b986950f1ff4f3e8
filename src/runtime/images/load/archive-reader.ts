// Read access to an image archive, whatever it came as: a tar (optionally
// gzip- or zstd-compressed) from a file or stdin, or an OCI layout directory.
// A tar's regular files are spooled to a temporary directory, one file each,
// and its symlinks (skopeo writes some) are resolved by name inside the
// archive: nothing is ever looked up outside it. Names are cleaned and a
// ".." is refused, as in layers.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, realpathSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { TugError } from '../../../core/errors.js';
import { decompressStream } from '../unpack/decompress.js';
import { cleanEntryName } from '../unpack/root-path.js';

export interface ArchiveReader {
  /** Host path of a member, or undefined when the archive has none of that name. */
  file(name: string): string | undefined;
  read(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openDirectory(dir: string): Promise<ArchiveReader> {
  const root = realpathSync(dir);
  const reader: ArchiveReader = {
    file(name) {
      const rel = cleanEntryName(name, dir);
      let real: string;
      try {
        real = realpathSync(join(root, rel));
      } catch {
        return undefined;
      }
      if (relative(root, real).startsWith('..') || !statSync(real).isFile()) return undefined;
      return real;
    },
    read: (name) => readMember(reader, name),
    close: async () => undefined,
  };
  return reader;
}

/** Spools a tar stream (plain, gzip or zstd) into `scratch`; the reader's close() removes it. */
export async function openTarStream(input: Readable, scratchParent: string): Promise<ArchiveReader> {
  const scratch = join(scratchParent, `load-${randomBytes(6).toString('hex')}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let count = 0;
  const ex = extract();
  ex.on('entry', (h: Header, stream, next) => {
    const done = (err?: unknown) => {
      if (err) stream.resume();
      next(err as Error | undefined);
    };
    try {
      const name = cleanEntryName(h.name, 'archive');
      if (h.type === 'file' || h.type === 'contiguous-file') {
        const path = join(scratch, `m${count++}`);
        files.set(name, path);
        pipeline(stream as unknown as Readable, createWriteStream(path, { flags: 'wx', mode: 0o600 })).then(() => done(), done);
        return;
      }
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.type === 'link' ? h.linkname : posix.join(posix.dirname(name), h.linkname);
        links.set(name, posix.normalize(target ?? ''));
      }
      stream.resume();
      done();
    } catch (err) {
      done(err);
    }
  });
  try {
    await pipeline(await decompressStream(input), ex as unknown as NodeJS.WritableStream);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    if (err instanceof TugError) throw err;
    throw new TugError({ code: 'image.archive-invalid', message: `the archive is not a readable tar: ${(err as Error).message}`, hint: 'give a file made by docker save, skopeo or an OCI image layout' });
  }
  const resolve = (name: string): string | undefined => {
    let current = posix.normalize(name);
    for (let hops = 0; hops < 40; hops++) {
      const hit = files.get(current);
      if (hit) return hit;
      // A link on the path: "<link>/rest" resolves through the link's target.
      const parts = current.split('/');
      let moved = false;
      for (let i = parts.length; i > 0; i--) {
        const prefix = parts.slice(0, i).join('/');
        const target = links.get(prefix);
        if (target !== undefined) {
          current = posix.normalize([target, ...parts.slice(i)].join('/'));
          moved = true;
          break;
        }
      }
      if (!moved || current.startsWith('..')) return undefined;
    }
    return undefined;
  };
  const reader: ArchiveReader = {
    file: (name) => resolve(cleanEntryName(name, 'archive')),
    read: (name) => readMember(reader, name),
    close: () => rm(scratch, { recursive: true, force: true }),
  };
  return reader;
}

async function readMember(reader: ArchiveReader, name: string): Promise<Buffer> {
  const path = reader.file(name);
  if (!path) throw new TugError({ code: 'image.archive-invalid', message: `the archive has no ${name}` });
  return readFile(path);
}

/** A file's bytes as a stream source for ingestBlob. */
export function fileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path) as AsyncIterable<Uint8Array>;
}
