// Locks between tug processes sharing the store, and atomic JSON files. A lock
// is the native runtime's lock file (O_EXCL, "<pid> <start time>", a dead
// holder's lock taken over), one per digest being fetched or unpacked: two
// projects pulling one image download each blob once, the second waiting for
// the first and then finding it committed. A live holder is waited for as long
// as it lives, since a big layer can take minutes.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { acquireFileLock } from '../../native/lock.js';
import type { StoreLayout } from './layout.js';

const WAIT_FOR_HOLDER_MS = 60 * 60_000;

/** With `wait: false`, a lock another process holds fails at once (code image.store-busy). */
export async function withStoreLock<T>(layout: StoreLayout, name: string, fn: () => Promise<T>, onWait?: (message: string) => void, opts: { wait?: boolean } = {}): Promise<T> {
  mkdirSync(layout.locksDir, { recursive: true, mode: 0o700 });
  let release: () => void;
  try {
    release = await acquireFileLock(join(layout.locksDir, `${name}.lock`), name, {
      timeoutMs: opts.wait === false ? 0 : WAIT_FOR_HOLDER_MS,
      onWait: (_m, holder) => onWait?.(`waiting for another tug process (pid ${holder.pid}) working on ${name}`),
    });
  } catch (err) {
    if (err instanceof TugError && err.code === 'native.project-locked') {
      if (opts.wait === false) throw new TugError({ code: 'image.store-busy', message: `the image store lock "${name}" is held by another process` });
      throw new TugError({ code: 'image.store-locked', message: `another tug process has held the image store lock "${name}" for an hour`, hint: `if no tug process runs, remove ${join(layout.locksDir, `${name}.lock`)}` });
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Writes a file so readers see the old or the new content, never a part. */
export async function writeFileAtomic(layout: StoreLayout, file: string, data: string | Buffer): Promise<void> {
  mkdirSync(layout.tmpDir, { recursive: true, mode: 0o700 });
  const tmp = join(layout.tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode: 0o644 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(layout: StoreLayout, file: string, value: unknown): Promise<void> {
  await writeFileAtomic(layout, file, JSON.stringify(value, null, 2) + '\n');
}
