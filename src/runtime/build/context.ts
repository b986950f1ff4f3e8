// The build context of tug's own builder: the context directory as the shared
// ignore matcher and walk see it (`.dockerignore`, or `<Dockerfile>.dockerignore`),
// COPY/ADD sources resolved in it (plain paths, Go-style globs with `**`), and
// the files each one reads. The directory is walked once per build, however
// many steps read it; digest.ts hashes what they read.
import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { ConfigErrors, TugError, type SourceLocation } from '../../core/errors.js';
import { compileGlob, hasWildcards } from '../../core/build/copy-glob.js';
import type { SourceFile, SourceMatch } from '../../core/build/copy-layout.js';
import { contextIgnore, ignoreMatcher, type IgnoreMatcher } from '../context/ignore.js';
import { walkContext } from '../context/walk.js';

export class BuildContext {
  private listing?: Promise<Map<string, SourceFile>>;

  private constructor(
    readonly root: string,
    private readonly matcher: IgnoreMatcher,
  ) {}

  /**
   * Opens `dir` with its ignore file. Unlike the context sent to a daemon, the
   * Dockerfile and the ignore file are not forced in: COPY does not copy them
   * when the rules leave them out, as with Docker.
   */
  static async open(dir: string, dockerfile?: string): Promise<BuildContext> {
    const { file } = await contextIgnore(dir, dockerfile);
    const text = file === undefined ? '' : await readFile(file, 'utf8');
    return new BuildContext(dir, ignoreMatcher(text));
  }

  /** Every included entry by context-relative path; walked on first use only. */
  entries(): Promise<Map<string, SourceFile>> {
    this.listing ??= (async () => {
      const out = new Map<string, SourceFile>();
      for (const { rel, path, stat } of walkContext(this.root, this.matcher)) {
        const type = stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'file';
        const file: SourceFile = { rel, path, type, mode: stat.mode & 0o7777, size: type === 'file' ? stat.size : 0, uid: stat.uid, gid: stat.gid, mtime: Math.floor(stat.mtimeMs / 1000) };
        if (type === 'file') file.statKey = `${path}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0${stat.ino}`;
        if (type === 'symlink') file.linkname = await readlink(path);
        out.set(rel, file);
      }
      return out;
    })();
    return this.listing;
  }

  /** The sources of one COPY/ADD; throws a located error for a missing or outside source. */
  async match(sources: readonly string[], location: SourceLocation, instruction: string): Promise<SourceMatch[]> {
    const entries = await this.entries();
    const matches: SourceMatch[] = [];
    const errors: TugError[] = [];
    for (const source of sources) {
      const clean = posix.normalize(`/${source}`).slice(1).replace(/\/$/, '');
      if (posix.normalize(source).split('/')[0] === '..') {
        errors.push(sourceError(location, `${instruction} ${source}: the source is outside the build context`, 'sources are relative to the context directory; move the file into it'));
        continue;
      }
      if (hasWildcards(clean)) {
        const test = compileGlob(clean);
        const found = [...entries.keys()].filter(test);
        if (found.length === 0) errors.push(sourceError(location, `${instruction} ${source}: no file in the build context matches`, 'check the pattern, and whether .dockerignore leaves the files out'));
        for (const rel of found) matches.push(subtree(entries, rel, true));
        continue;
      }
      if (clean === '' || entries.has(clean)) {
        matches.push(subtree(entries, clean, false));
        continue;
      }
      const onDisk = await lstat(posix.join(this.root, clean)).then(() => true, () => false);
      const parts = clean.split('/');
      const excluded = onDisk && parts.some((_, i) => this.matcher.ignores(parts.slice(0, i + 1).join('/')));
      const [why, hint] = excluded
        ? ['the file is excluded by .dockerignore', 'remove the rule that excludes it, or add a "!" rule for it']
        : onDisk
          ? ['the path goes through a symbolic link, which the context does not follow', 'copy the directory the link points to']
          : ['no such file in the build context', `the context is ${this.root}`];
      errors.push(sourceError(location, `${instruction} ${source}: ${why}`, hint));
    }
    if (errors.length > 1) throw new ConfigErrors(errors);
    if (errors.length === 1) throw errors[0];
    return matches;
  }
}

function subtree(entries: Map<string, SourceFile>, rel: string, viaWildcard: boolean): SourceMatch {
  const root: SourceFile = rel === '' ? { rel: '', type: 'directory', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0 } : entries.get(rel)!;
  const tree: SourceFile[] = [];
  if (root.type === 'directory') {
    const prefix = rel === '' ? '' : `${rel}/`;
    for (const [key, file] of entries) if (key.startsWith(prefix) && key !== rel) tree.push({ ...file, rel: key.slice(prefix.length) });
  }
  return { root: { ...root, rel: rel === '' ? '' : posix.basename(rel) }, tree, viaWildcard };
}

function sourceError(location: SourceLocation, message: string, hint: string): TugError {
  return new TugError({ code: 'build.copy-source', message, location, hint });
}
