// The build context of tug's own builder: the context directory as the shared
// ignore matcher and walk see it (`.dockerignore`, or `<Dockerfile>.dockerignore`),
// COPY/ADD sources resolved in it (plain paths, Go-style globs with `**`), and
// the content hash of what a COPY reads. The directory is walked once and each
// file hashed at most once per build, however many steps read it.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { ConfigErrors, TugError, type SourceLocation } from '../../core/errors.js';
import { compileGlob, hasWildcards } from '../../core/build/copy-glob.js';
import { contextIgnore, ignoreMatcher, type IgnoreMatcher } from '../context/ignore.js';
import { walkContext } from '../context/walk.js';

export interface SourceFile {
  /** Path relative to the root it was read from, "/"-separated ("" for the root itself). */
  rel: string;
  /** Absolute path on disk (context files); undefined for files read from a rootfs view. */
  path?: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission and special bits (07777). */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  /** Changes whenever the file may have (size, mtime, ctime, inode): the key of a persistent digest cache. */
  statKey?: string;
}

/** Digests kept across builds (by `SourceFile.statKey`), so an unchanged file is not read again. */
export interface DigestCache {
  get(statKey: string): string | undefined;
  set(statKey: string, digest: string): void;
}

/** One source of a COPY: the matched path, and everything under it when it is a directory. */
export interface SourceMatch {
  root: SourceFile;
  /** The descendants of a directory, paths relative to `root` ("sub/a.txt"), parents first. */
  tree: SourceFile[];
  /** Matched through a wildcard (a file then lands as dest/basename). */
  viaWildcard: boolean;
}

// Small files are read synchronously, a batch at a time: for a context of many
// small files that is five times faster than one promise per file (measured:
// 2,000 files in 20 ms against 120 ms), and the batches keep the loop responsive.
const SMALL_FILE = 256 * 1024;
const SYNC_BATCH = 256;

export class BuildContext {
  private listing?: Promise<Map<string, SourceFile>>;
  private readonly digestMemo = new Map<string, Promise<string>>();

  private constructor(
    readonly root: string,
    private readonly matcher: IgnoreMatcher,
    private readonly cache?: DigestCache,
  ) {}

  /**
   * Opens `dir` with its ignore file. Unlike the context sent to a daemon, the
   * Dockerfile and the ignore file are not forced in: COPY does not copy them
   * when the rules leave them out, as with Docker.
   */
  static async open(dir: string, dockerfile?: string, cache?: DigestCache): Promise<BuildContext> {
    const { file } = await contextIgnore(dir, dockerfile);
    const text = file === undefined ? '' : await readFile(file, 'utf8');
    return new BuildContext(dir, ignoreMatcher(text), cache);
  }

  /** Every included entry by context-relative path; walked on first use only. */
  entries(): Promise<Map<string, SourceFile>> {
    this.listing ??= (async () => {
      const out = new Map<string, SourceFile>();
      for await (const { rel, path, stat } of walkContext(this.root, this.matcher)) {
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
      errors.push(
        sourceError(
          location,
          `${instruction} ${source}: ${onDisk ? 'the file is excluded by .dockerignore' : 'no such file in the build context'}`,
          onDisk ? 'remove the rule that excludes it, or add a "!" rule for it' : `the context is ${this.root}`,
        ),
      );
    }
    if (errors.length > 1) throw new ConfigErrors(errors);
    if (errors.length === 1) throw errors[0];
    return matches;
  }

  /** The content digests of `files` (context files), each computed once per build. */
  async digests(files: readonly SourceFile[]): Promise<string[]> {
    const missing = files.filter((f) => !this.digestMemo.has(f.path!));
    const small = missing.filter((f) => f.size <= SMALL_FILE);
    for (let i = 0; i < small.length; i += SYNC_BATCH) {
      for (const file of small.slice(i, i + SYNC_BATCH)) this.digestMemo.set(file.path!, Promise.resolve(this.cached(file, () => sha256(readFileSync(file.path!)))));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const file of missing.filter((f) => f.size > SMALL_FILE)) {
      const known = file.statKey === undefined ? undefined : this.cache?.get(file.statKey);
      this.digestMemo.set(file.path!, known !== undefined ? Promise.resolve(known) : hashStream(file.path!).then((d) => this.remember(file, d)));
    }
    return Promise.all(files.map((f) => this.digestMemo.get(f.path!)!));
  }

  private cached(file: SourceFile, compute: () => string): string {
    const known = file.statKey === undefined ? undefined : this.cache?.get(file.statKey);
    return known ?? this.remember(file, compute());
  }

  private remember(file: SourceFile, digest: string): string {
    if (file.statKey !== undefined) this.cache?.set(file.statKey, digest);
    return digest;
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

/**
 * The content hash of what a COPY reads: for every matched source, the name,
 * type and mode of each file, with its content digest or link target. Owners
 * and mtimes are left out: COPY resets owners, and a touched file is unchanged.
 */
export async function contentHash(matches: readonly SourceMatch[], digestsOf: (files: readonly SourceFile[]) => Promise<string[]>): Promise<string> {
  const files = matches.flatMap((m, i) => [{ i, file: m.root, rel: '.' }, ...m.tree.map((f) => ({ i, file: f, rel: f.rel }))]);
  const regular = files.filter(({ file }) => file.type === 'file').map(({ file }) => file);
  const digests = new Map<SourceFile, string>();
  (await digestsOf(regular)).forEach((d, n) => digests.set(regular[n]!, d));
  const lines = files.map(({ i, file, rel }) => `${i}\0${matches[i]!.root.rel}\0${rel}\0${file.type}\0${file.mode.toString(8)}\0${digests.get(file) ?? file.linkname ?? ''}`);
  return `sha256:${sha256(Buffer.from(lines.join('\n')))}`;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function hashStream(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sourceError(location: SourceLocation, message: string, hint: string): TugError {
  return new TugError({ code: 'build.copy-source', message, location, hint });
}
