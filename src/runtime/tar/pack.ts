// Writing tar archives with tar-stream: build contexts for the Engine,
// files copied into containers, and whatever else tug hands over as a tar.
// A file on disk is streamed with exactly the size its header announced: one
// that grew since it was listed is cut, one that shrank is padded with zeros,
// so a context that changes while it is sent still makes a valid archive.
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

type HeaderArgument = Parameters<tar.Pack['entry']>[0];

export interface PackEntry {
  /** Archive path with "/" separators. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** Seconds since the epoch. */
  mtime?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  /** A file's content, given inline... */
  body?: Buffer;
  /** ...or read from this path, `size` bytes of it. */
  path?: string;
  size?: number;
}

/** The archive of `entries`, produced as it is read. */
export function packStream(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>): Readable {
  const pack = tar.pack();
  // tar-stream's streams are streamx ones; callers (dockerode among them) want a Node stream.
  const out = Readable.from(pack);
  void (async () => {
    try {
      for await (const entry of entries) await addEntry(pack, entry);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return out;
}

/** The whole archive in memory (small archives: injected files, tests). */
export async function packBuffer(entries: Iterable<PackEntry> | AsyncIterable<PackEntry>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function addEntry(pack: tar.Pack, entry: PackEntry): Promise<void> {
  const header: HeaderArgument = {
    name: entry.name,
    type: entry.type,
    mode: entry.mode,
    mtime: new Date((entry.mtime ?? 0) * 1000),
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
  };
  if (entry.type === 'symlink') header.linkname = entry.linkname ?? '';
  if (entry.type !== 'file') return write(pack, header);
  if (entry.body !== undefined || entry.path === undefined) {
    const body = entry.body ?? Buffer.alloc(0);
    return write(pack, { ...header, size: body.length }, body);
  }
  return streamFile(pack, { ...header, size: entry.size ?? 0 }, entry.path);
}

function write(pack: tar.Pack, header: HeaderArgument, body: Buffer = Buffer.alloc(0)): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
  });
}

async function streamFile(pack: tar.Pack, header: HeaderArgument, path: string): Promise<void> {
  const size = header.size ?? 0;
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  for await (const chunk of exactly(path, size)) {
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  sink.end(null);
  await done;
}

/** `size` bytes of the file: cut when it grew, zero-padded when it shrank. */
async function* exactly(path: string, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    let sent = 0;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16) || 1);
    while (sent < size) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - sent), sent);
      if (bytesRead === 0) break;
      sent += bytesRead;
      yield Buffer.from(chunk.subarray(0, bytesRead));
    }
    if (sent < size) yield Buffer.alloc(size - sent);
  } finally {
    await handle.close();
  }
}
