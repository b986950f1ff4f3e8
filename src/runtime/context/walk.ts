// Walks a build context (or any watched tree) in a stable order, leaving out
// what the ignore matcher excludes. Ignored directories are not entered unless
// a `!` rule could re-include something inside them, so a context with an
// ignored node_modules costs nothing for it.
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IgnoreMatcher } from './ignore.js';

export interface ContextEntry {
  /** Context-relative path with "/" separators. */
  rel: string;
  /** Absolute path on disk. */
  path: string;
  stat: Stats;
}

/** Directories, files and symlinks under `root`, parents before children, names sorted. */
export async function* walkContext(root: string, matcher: IgnoreMatcher, rel = ''): AsyncGenerator<ContextEntry> {
  const names = (await readdir(rel === '' ? root : join(root, rel))).sort();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const path = join(root, childRel);
    const stat = await lstat(path);
    const excluded = matcher.ignores(childRel);
    if (stat.isDirectory()) {
      if (excluded && !matcher.hasExceptions) continue;
      if (!excluded) yield { rel: childRel, path, stat };
      yield* walkContext(root, matcher, childRel);
    } else if (!excluded && (stat.isFile() || stat.isSymbolicLink())) {
      yield { rel: childRel, path, stat };
    }
  }
}
