// Opening files under TUG_HOME without following symbolic links. Everything
// tug keeps there (engine.log, state, pid and lock files, replica logs,
// networks.json) is a plain file it created itself; a link in its place was
// planted, and following it would let whoever planted it make tug append to,
// overwrite or disclose a file of their choosing. O_NOFOLLOW refuses the link
// (ELOOP); new files are created with O_EXCL, which never follows one either.
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { TugError } from '../../core/errors.js';

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

export function symlinkRefused(path: string): TugError {
  return new TugError({
    code: 'native.symlink',
    message: `${path} is a symbolic link; tug does not follow links in its own state directory`,
    hint: `remove it (rm ${path}); if you did not put it there, someone else can write to TUG_HOME`,
  });
}

function refuseLinks(path: string, err: unknown): never {
  if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(path);
  throw err;
}

/** A descriptor for appending (created 0600 when missing). */
export function openAppend(path: string, mode = 0o600): number {
  try {
    return openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode);
  } catch (err) {
    return refuseLinks(path, err);
  }
}

/** The file's text, or undefined when it does not exist. */
export function readText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return refuseLinks(path, err);
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A read handle, or undefined when the file does not exist. */
export async function openForReading(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return refuseLinks(path, err);
  }
}

export async function readTextAsync(path: string): Promise<string | undefined> {
  const handle = await openForReading(path);
  if (!handle) return undefined;
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Creates `path` holding `text`; fails with EEXIST when anything (a link included) is there. */
export function writeExclusive(path: string, text: string, mode = 0o600): void {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    writeAll(fd, text);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(path);
    throw err;
  }
  closeSync(fd);
}

/**
 * Replaces `path` with `text` all at once: a fresh temporary file (O_EXCL, so
 * a planted link cannot redirect it), optionally fsynced, then renamed over
 * the old one. A crash leaves either the old or the new content.
 */
export function writeAtomic(path: string, text: string, opts: { sync?: boolean; mode?: number } = {}): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, opts.mode ?? 0o600);
  try {
    writeAll(fd, text);
    if (opts.sync) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkQuiet(tmp);
    throw err;
  }
}

/** writeSync may write less than asked (a full disk): loop, and fail if nothing more goes. */
export function writeAll(fd: number, text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    done += n;
  }
}

export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
