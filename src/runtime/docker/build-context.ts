// A build context as the tar stream the engine's /build takes: the context
// directory minus what its ignore file excludes, plus an inline or outside
// Dockerfile as an extra entry. The ignore rules and the walk are the shared
// ones (runtime/context), so tug's own builder and watch leave out the same files.
import { readFile, readlink } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { contextIgnore, type IgnoreMatcher } from '../context/ignore.js';
import { walkContext } from '../context/walk.js';
import { packStream, type PackEntry } from '../tar/pack.js';

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
  let extra: PackEntry | undefined;
  let dockerfile = opts.dockerfile ?? 'Dockerfile';
  const asExtra = (content: Buffer): PackEntry => ({ name: INLINE_DOCKERFILE, type: 'file', mode: 0o644, mtime: Date.now() / 1000, body: content });
  if (opts.dockerfileInline !== undefined) {
    extra = asExtra(Buffer.from(opts.dockerfileInline));
    dockerfile = INLINE_DOCKERFILE;
  } else {
    const inside = isAbsolute(dockerfile) ? relative(dir, dockerfile) : dockerfile;
    if (inside.startsWith('..') || isAbsolute(inside)) {
      extra = asExtra(await readFile(dockerfile));
      dockerfile = INLINE_DOCKERFILE;
    } else dockerfile = inside.split(sep).join('/');
  }
  // The CLI always sends the Dockerfile and the ignore file, whatever the rules say.
  const { matcher } = await contextIgnore(dir, opts.dockerfileInline === undefined ? opts.dockerfile : undefined);
  return { stream: packStream(entries(dir, matcher, extra)), dockerfile };
}

async function* entries(root: string, matcher: IgnoreMatcher, extra?: PackEntry): AsyncGenerator<PackEntry> {
  for (const { rel, path, stat } of walkContext(root, matcher)) {
    const base = { mode: stat.mode & 0o7777, mtime: Math.floor(stat.mtimeMs / 1000) };
    if (stat.isDirectory()) yield { ...base, name: `${rel}/`, type: 'directory' };
    else if (stat.isSymbolicLink()) yield { ...base, name: rel, type: 'symlink', linkname: await readlink(path) };
    else yield { ...base, name: rel, type: 'file', path, size: stat.size };
  }
  if (extra) yield extra;
}
