// A layer blob as an uncompressed tar stream. The compression is sniffed from
// the magic bytes (gzip 1f 8b, zstd 28 b5 2f fd) rather than trusted from the
// media type, as Docker does. gzip uses node:zlib; zstd, which Node 20 lacks,
// runs `zstd -dc` as a child process (several times faster than a JS decoder).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TugError } from '../../../core/errors.js';
import type { LayerCompression } from '../../../core/images/manifest.js';

export const IO_CHUNK = 1 << 20;

export async function sniffCompression(file: string): Promise<LayerCompression> {
  const fd = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fd.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fd.close();
  }
}

/** The uncompressed tar of a layer blob file; errors (a corrupt stream, zstd missing) surface on the stream. */
export function openLayerTar(file: string): Promise<Readable> {
  return decompressStream(createReadStream(file, { highWaterMark: IO_CHUNK }));
}

/** A possibly compressed stream, uncompressed: the first bytes decide between gzip, zstd and plain. */
export async function decompressStream(input: Readable): Promise<Readable> {
  const head = await peek(input);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: IO_CHUNK / 4 });
    head.stream.on('error', (err) => gunzip.destroy(err));
    return head.stream.pipe(gunzip);
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return zstdStream(head.stream);
  return head.stream;
}

const MAGIC_BYTES = 4;

/** Reads the first few bytes and gives back a stream that still starts with them. */
async function peek(input: Readable): Promise<Buffer & { stream: Readable }> {
  const out = new PassThrough({ highWaterMark: IO_CHUNK });
  const chunks: Buffer[] = [];
  let length = 0;
  const first = await new Promise<Buffer>((resolve, reject) => {
    const finish = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= MAGIC_BYTES) {
        input.pause();
        finish();
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', onError);
    };
    input.on('data', onData);
    input.once('end', finish);
    input.once('error', onError);
  });
  if (input.readableEnded) {
    out.end(first);
  } else {
    out.write(first);
    input.on('error', (err) => out.destroy(err));
    input.pipe(out);
    input.resume();
  }
  return Object.assign(first, { stream: out });
}

function zstdStream(raw: Readable): Readable {
  const out = new PassThrough();
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (err: NodeJS.ErrnoException) => {
    raw.destroy();
    out.destroy(
      err.code === 'ENOENT'
        ? new TugError({ code: 'image.zstd-missing', message: 'this image has zstd-compressed layers and the zstd program is not installed', hint: 'install it (Debian/Ubuntu: apt-get install zstd) and pull again' })
        : err,
    );
  });
  // The tar ends only when zstd says the whole frame was good.
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new TugError({ code: 'image.layer-corrupt', message: `a zstd layer does not decompress: ${stderr.trim() || `zstd exited ${code}`}` }));
  });
  raw.on('error', (err) => out.destroy(err));
  child.stdin.on('error', () => undefined); // EPIPE when zstd stops early; its exit status says why
  raw.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  out.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}
