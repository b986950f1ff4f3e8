// Paths inside a layer directory that cannot escape it. Entry names are
// cleaned ("./a//b/" → "a/b") and refused when they climb out ("../x", "a/../../x").
// Parent directories are resolved as if the layer directory were "/": a
// symlink on the way is followed inside the root (an absolute target is
// re-rooted, ".." stops at the root), so `etc -> /tmp` in a layer can never
// make a later entry write outside it. The last component is never followed.
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { TugError } from '../../../core/errors.js';

const MAX_LINKS = 255;

/** The entry's path relative to the root, or "" for the root itself; throws for any ".." segment. */
export function cleanEntryName(name: string, layer: string): string {
  // No image builder writes "..": refusing every such entry beats judging which ones stay inside.
  if (name.split('/').includes('..')) throw escaping(name, layer);
  const rel = posix.normalize('/' + name).replace(/^\/+/, '').replace(/\/+$/, '');
  return rel === '.' ? '' : rel;
}

function escaping(name: string, layer: string): TugError {
  return new TugError({ code: 'image.layer-unsafe', message: `layer ${layer} has an entry "${name}" that points outside the layer; the image was refused`, hint: 'the image is malformed or malicious' });
}

/**
 * The real host path of directory `rel` inside `root`, following symlinks with
 * `root` as "/". Missing components are returned as they are (the caller creates
 * them). Returns the resolved path relative to root as well.
 */
export async function resolveInRoot(root: string, rel: string): Promise<string> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch {
      isLink = false;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new TugError({ code: 'image.layer-unsafe', message: `too many symbolic links resolving "${rel}" in a layer` });
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return join(root, ...resolved);
}
