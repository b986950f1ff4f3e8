// Reading the files a user names: Compose files, .env and --env-file files,
// env_file, include and extends targets. "Not there" is the caller's business
// (often fine, or a message of its own); anything else that makes a file
// unusable is a TugError saying what: a directory, a device, unreadable, not
// UTF-8. Never a raw EISDIR, never a silently replaced byte.
import { readFileSync, statSync } from 'node:fs';
import { TugError } from '../core/errors.js';
import { decodeText } from '../core/load/text.js';

/** The text at `path`, or undefined when nothing is there. Throws TugError `file.*` when something unusable is. */
export function readText(path: string): string | undefined {
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw notAFile(path, 'is a directory', 'file.is-directory');
    // A FIFO is how `-f <(…)` arrives; a device such as /dev/zero would be read forever.
    if (!stat.isFile() && !stat.isFIFO()) throw notAFile(path, stat.isCharacterDevice() || stat.isBlockDevice() ? 'is a device' : 'is a socket', 'file.not-regular');
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof TugError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new TugError({
      code: 'file.unreadable',
      message: `cannot read ${path}: ${describeFsError(err)}`,
      hint: code === 'EACCES' ? 'check the file\'s permissions' : undefined,
    });
  }
  return decodeText(bytes, path);
}

/** Whether `path` is a directory (false when it is missing or anything else). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function notAFile(path: string, what: string, code: string): TugError {
  return new TugError({ code, message: `${path} ${what}, not a file`, expected: 'the path of a file' });
}

/** "permission denied (EACCES)" rather than Node's "EACCES: permission denied, open '/x'". */
function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = (e.message ?? String(err)).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return e.code ? `${text} (${e.code})` : text;
}
