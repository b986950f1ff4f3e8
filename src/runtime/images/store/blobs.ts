// Content-addressed blobs: bytes arrive in ingest/<hex>.partial, are hashed as
// they come, and are committed by rename only when their sha256 and size match
// the descriptor. A mismatch deletes the partial file and is refused; an
// interrupted transfer keeps it, so the next attempt (or the next pull, after
// a kill) resumes from its end. One lock per digest makes concurrent pulls of
// one blob download it once.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { once } from 'node:events';
import { TugError } from '../../../core/errors.js';
import { blobPath, hexOf, type StoreLayout } from './layout.js';
import { withStoreLock } from './store-lock.js';

export interface BlobTarget {
  digest: string;
  size: number;
}

/** What a source returns for a request starting at `offset`: where its bytes really start (0 when it ignored the range). */
export interface BlobChunks {
  start: number;
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export type BlobSource = (offset: number) => Promise<BlobChunks>;

const WRITE_BATCH = 1 << 20;

export function hasBlob(layout: StoreLayout, digest: string): boolean {
  return existsSync(blobPath(layout, digest));
}

export async function readBlob(layout: StoreLayout, digest: string): Promise<Buffer> {
  try {
    return await readFile(blobPath(layout, digest));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError({ code: 'image.blob-missing', message: `blob ${digest} is not in the image store`, hint: 'pull or load the image again' });
    throw err;
  }
}

export function digestMismatch(what: string, want: BlobTarget, gotDigest: string, gotSize: number): TugError {
  const why = gotSize !== want.size ? `${gotSize} bytes arrived where ${want.size} were announced` : `its content hashes to ${gotDigest}`;
  return new TugError({
    code: 'image.digest-mismatch',
    message: `${what} ${want.digest} failed verification: ${why}; nothing was stored`,
    hint: 'the registry or archive holds corrupted content; push or save the image again',
  });
}

/** Stores bytes already in memory (manifests, configs, archive members) after checking them. */
export async function putBlob(layout: StoreLayout, target: BlobTarget, bytes: Buffer, what = 'blob'): Promise<void> {
  await ingestBlob(layout, target, async () => ({ start: 0, chunks: [bytes] }), { what });
}

export interface IngestOptions {
  what?: string;
  onBytes?: (received: number, total: number) => void;
  onWait?: (message: string) => void;
  /**
   * Called when a transfer starts from byte 0, with a stream of the bytes as
   * they arrive (for unpacking while downloading). It ends when all bytes are
   * in, before they are verified; it is destroyed on failure. A reader that
   * stops reading is left behind, not waited for.
   */
  onStream?: (bytes: Readable) => void;
}

/**
 * Fetches the blob from `source` unless the store has it. Resumes from a
 * partial file; an error from the source leaves the partial file for a retry.
 */
export async function ingestBlob(layout: StoreLayout, target: BlobTarget, source: BlobSource, opts: IngestOptions = {}): Promise<void> {
  const hex = hexOf(target.digest);
  if (hasBlob(layout, target.digest)) return;
  mkdirSync(layout.ingestDir, { recursive: true, mode: 0o700 });
  mkdirSync(layout.blobsDir, { recursive: true, mode: 0o755 });
  await withStoreLock(layout, `blob-${hex}`, async () => {
    if (hasBlob(layout, target.digest)) return;
    const partial = join(layout.ingestDir, `${hex}.partial`);
    let offset = await sizeOf(partial);
    if (offset > target.size) {
      await rm(partial, { force: true });
      offset = 0;
    }
    const hash = createHash('sha256');
    if (offset > 0) await hashFile(partial, hash);
    const got = await source(offset);
    if (got.start !== offset) {
      // The source ignored the range: start over.
      await rm(partial, { force: true });
      offset = 0;
      hash.destroy();
      return writeFrom(layout, target, partial, createHash('sha256'), 0, got.chunks, opts);
    }
    return writeFrom(layout, target, partial, hash, offset, got.chunks, opts);
  }, opts.onWait);
}

async function writeFrom(layout: StoreLayout, target: BlobTarget, partial: string, hash: Hash, offset: number, chunks: BlobChunks['chunks'], opts: IngestOptions): Promise<void> {
  const file = await open(partial, offset === 0 ? 'w' : 'a', 0o644);
  let received = offset;
  const tee = offset === 0 && opts.onStream ? new PassThrough({ highWaterMark: WRITE_BATCH }) : undefined;
  if (tee) {
    tee.on('error', () => undefined); // the reader sees it; the transfer goes on regardless
    opts.onStream!(tee);
  }
  // Network chunks are small (16-64 KiB): gather them so each write moves about a megabyte.
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async () => {
    if (batched === 0) return;
    const written = file.writev(batch);
    if (tee && !tee.destroyed && !tee.write(Buffer.concat(batch))) await Promise.race([once(tee, 'drain'), once(tee, 'close')]).catch(() => undefined);
    await written;
    batch = [];
    batched = 0;
    opts.onBytes?.(received, target.size);
  };
  try {
    for await (const chunk of chunks) {
      received += chunk.byteLength;
      if (received > target.size) break;
      hash.update(chunk);
      batch.push(chunk);
      batched += chunk.byteLength;
      if (batched >= WRITE_BATCH) await flush();
    }
    await flush();
    if (received === target.size) tee?.end();
    await file.sync();
  } finally {
    // Whatever arrived before a failure stays on disk for the resume.
    await flush().catch(() => undefined);
    await file.close();
    if (tee && !tee.writableEnded) tee.destroy(new Error('the transfer did not complete'));
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (received < target.size) {
    // Short but not wrong (so far): keep the bytes for a resume.
    throw new TugError({ code: 'image.blob-incomplete', message: `${opts.what ?? 'blob'} ${target.digest}: the transfer ended after ${received} of ${target.size} bytes` });
  }
  if (received !== target.size || digest !== target.digest) {
    await rm(partial, { force: true });
    throw digestMismatch(opts.what ?? 'blob', target, digest, received);
  }
  await rename(partial, blobPath(layout, target.digest));
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

/** The sha256 of a file in the store (to re-verify a blob before trusting it). */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFile(file, hash);
  return `sha256:${hash.digest('hex')}`;
}
