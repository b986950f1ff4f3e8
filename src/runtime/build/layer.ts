// A COPY/ADD layer from its list of entries, in the two forms the image store
// and the container runtime take: a tar stream (the layer blob, POSIX ustar via
// tar-stream) and a directory holding exactly the layer's files (what an overlay
// upper directory holds). Owners and modes are set as listed: chown before chmod,
// since chown clears setuid bits; mtimes last, directories after their contents.
import { chmod, copyFile, lchown, lutimes, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerEntry } from '../../core/build/copy-layout.js';
import { packStream, type PackEntry } from '../tar/pack.js';

/** Refuses a path that could leave the layer root (entries come from tug, but archives come from users). */
export function checkLayerPath(path: string): string {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.some((p) => p === '..' || p === '.' || p === '')) throw new Error(`unsafe layer path ${JSON.stringify(path)}`);
  return path;
}

/** The layer as a tar stream. */
export function layerTar(entries: readonly LayerEntry[]): Readable {
  return packStream(entries.map(toPackEntry));
}

function toPackEntry(e: LayerEntry): PackEntry {
  const base = { name: checkLayerPath(e.path), mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
  if (e.type === 'directory') return { ...base, name: `${e.path}/`, type: 'directory' };
  if (e.type === 'symlink') return { ...base, type: 'symlink', linkname: e.linkname ?? '' };
  if (e.source && 'data' in e.source) return { ...base, type: 'file', body: e.source.data };
  return { ...base, type: 'file', path: e.source?.path, size: e.source?.size ?? 0 };
}

/**
 * The layer written into `dir` (which must exist and be empty). Needs root for
 * the owners when they are not the caller's, as a build does. With `parallel`,
 * and when no path is listed twice, files are written that many at once
 * (directories first, their modes and times last): writing is latency-bound,
 * one file after another a 2,000-file COPY waits on ~12,000 calls in turn.
 */
export async function writeLayerDir(entries: readonly LayerEntry[], dir: string, opts: { parallel?: number } = {}): Promise<void> {
  const parallel = opts.parallel ?? 1;
  const dirs = entries.filter((e) => e.type === 'directory');
  if (parallel <= 1 || new Set(entries.map((e) => e.path)).size !== entries.length) {
    for (const e of entries) await writeEntry(e, dir, true);
  } else {
    for (const e of dirs) await writeEntry(e, dir, false);
    const rest = entries.filter((e) => e.type !== 'directory');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rest.length) await writeEntry(rest[next++]!, dir, false);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, rest.length) }, worker));
  }
  for (const e of [...dirs].reverse()) {
    const target = join(dir, e.path);
    await chmod(target, e.mode);
    await utimes(target, e.mtime, e.mtime);
  }
}

async function writeEntry(e: LayerEntry, dir: string, mayReplace: boolean): Promise<void> {
  const target = join(dir, checkLayerPath(e.path));
  await mkdir(join(target, '..'), { recursive: true });
  if (e.type === 'directory') await mkdir(target, { recursive: true });
  else {
    // A later entry for the same path replaces an earlier one, as in a tar.
    if (mayReplace) await rm(target, { force: true, recursive: true });
    if (e.type === 'symlink') await symlink(e.linkname ?? '', target);
    else if (e.source && 'data' in e.source) await writeFile(target, e.source.data);
    else if (e.source) await copyFile(e.source.path, target);
    else await writeFile(target, '');
  }
  await lchown(target, e.uid, e.gid);
  if (e.type === 'symlink') await lutimes(target, e.mtime, e.mtime);
  else if (e.type === 'file') {
    await chmod(target, e.mode);
    await utimes(target, e.mtime, e.mtime);
  }
}
