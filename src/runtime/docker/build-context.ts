// A build context as the tar stream the engine's /build takes: the context
// directory minus what .dockerignore excludes, plus an inline or outside
// Dockerfile as an extra entry. .dockerignore follows Docker's rules for the
// common subset: `*`, `?`, `**`, `!` exceptions (the last matching rule wins),
// a leading `/` is ignored, and a rule that matches a directory excludes all in it.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { TAR_END, tarHeader, tarPadding, type TarEntry } from './tar-writer.js';

export interface IgnoreRule {
  pattern: RegExp;
  exception: boolean;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    line = posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (line === '' || line === '.') continue;
    rules.push({ pattern: patternToRegExp(line), exception });
  }
  return rules;
}

/** `**` spans directories, `*` and `?` stay within one path segment. */
export function patternToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Docker's rule: the last rule that matches the path or one of its parent directories decides. */
export function isExcluded(path: string, rules: readonly IgnoreRule[]): boolean {
  const parents: string[] = [];
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  let excluded = false;
  for (const rule of rules) {
    if (rule.exception !== excluded) continue;
    if (rule.pattern.test(path) || parents.some((p) => rule.pattern.test(p))) excluded = !rule.exception;
  }
  return excluded;
}

export interface ContextOptions {
  /** Dockerfile path as written (relative to the context, or absolute). */
  dockerfile?: string;
  dockerfileInline?: string;
}

export interface BuildContext {
  stream: Readable;
  /** The Dockerfile's path inside the context, for the `dockerfile` build parameter. */
  dockerfile: string;
}

const INLINE_DOCKERFILE = '.tug.Dockerfile';

export async function buildContext(dir: string, opts: ContextOptions): Promise<BuildContext> {
  let extra: { name: string; content: Buffer } | undefined;
  let dockerfile = opts.dockerfile ?? 'Dockerfile';
  if (opts.dockerfileInline !== undefined) {
    extra = { name: INLINE_DOCKERFILE, content: Buffer.from(opts.dockerfileInline) };
    dockerfile = INLINE_DOCKERFILE;
  } else {
    const inside = isAbsolute(dockerfile) ? relative(dir, dockerfile) : dockerfile;
    if (inside.startsWith('..') || isAbsolute(inside)) {
      extra = { name: INLINE_DOCKERFILE, content: await readFile(dockerfile) };
      dockerfile = INLINE_DOCKERFILE;
    } else dockerfile = inside.split(sep).join('/');
  }
  const ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const rules = parseDockerignore(ignoreText);
  // The CLI always sends the Dockerfile and .dockerignore, whatever the rules say.
  for (const keep of [dockerfile, '.dockerignore']) rules.push({ pattern: patternToRegExp(escapeGlob(keep)), exception: true });
  return { stream: Readable.from(tarChunks(dir, rules, extra)), dockerfile };
}

function escapeGlob(path: string): string {
  return path.replace(/[*?[\\]/g, (c) => `\\${c}`);
}

async function* tarChunks(root: string, rules: IgnoreRule[], extra?: { name: string; content: Buffer }): AsyncGenerator<Buffer> {
  const hasExceptions = rules.some((r) => r.exception);
  for await (const entry of walk(root, '', rules, hasExceptions)) {
    yield tarHeader(entry.header);
    if (entry.header.type !== 'file') continue;
    let written = 0;
    const size = entry.header.size ?? 0;
    for await (const chunk of createReadStream(entry.path) as AsyncIterable<Buffer>) {
      const piece = chunk.subarray(0, Math.max(0, size - written)); // a file that grew since stat: cut to the header's size
      written += piece.length;
      if (piece.length > 0) yield piece;
    }
    if (written < size) yield Buffer.alloc(size - written); // a file that shrank: pad to the header's size
    yield tarPadding(size);
  }
  if (extra) {
    yield tarHeader({ name: extra.name, type: 'file', mode: 0o644, size: extra.content.length, mtime: Date.now() / 1000 });
    yield extra.content;
    yield tarPadding(extra.content.length);
  }
  yield TAR_END;
}

interface WalkEntry {
  path: string;
  header: TarEntry;
}

async function* walk(root: string, rel: string, rules: IgnoreRule[], hasExceptions: boolean): AsyncGenerator<WalkEntry> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const path = join(root, childRel);
    const st = await lstat(path);
    const excluded = isExcluded(childRel, rules);
    const mtime = Math.floor(st.mtimeMs / 1000);
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      if (excluded && !hasExceptions) continue;
      if (!excluded) yield { path, header: { name: `${childRel}/`, type: 'directory', mode, mtime } };
      yield* walk(root, childRel, rules, hasExceptions);
    } else if (excluded) {
      continue;
    } else if (st.isFile()) {
      yield { path, header: { name: childRel, type: 'file', mode, size: st.size, mtime } };
    } else if (st.isSymbolicLink()) {
      yield { path, header: { name: childRel, type: 'symlink', mode, mtime, linkname: await readlink(path) } };
    }
  }
}
