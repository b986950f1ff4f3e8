// Which files of a directory a build (or a watch rule under a build context)
// leaves out: `.dockerignore` semantics, matched by @balena/dockerignore, a
// port of Docker's own matcher (the last matching rule wins, `!` re-includes,
// a rule matching a directory covers everything in it). One matcher for the
// docker backend's build context, tug's own builder and watch.
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import dockerignore from '@balena/dockerignore';

export interface IgnoreMatcher {
  /** Whether a context-relative path ("src/a.js", "/"-separated) is left out. */
  ignores(rel: string): boolean;
  /**
   * Whether something under an ignored directory could still be included by a
   * later `!` rule; when false, a walk can skip ignored directories whole.
   */
  readonly hasExceptions: boolean;
}

/** A matcher from .dockerignore text; `keep` paths are always included (the Dockerfile, the ignore file). */
export function ignoreMatcher(text: string, keep: readonly string[] = []): IgnoreMatcher {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  // No rules (no ignore file, the common case): nothing is left out, and asking the matcher was a tenth of a no-change build's walk.
  if (lines.length === 0) return { ignores: () => false, hasExceptions: false };
  const matcher = dockerignore.default().add(lines);
  const kept = new Set(keep.map((k) => k.replace(/^\.?\/+/, '')));
  return {
    ignores: (rel) => !kept.has(rel) && matcher.ignores(rel),
    hasExceptions: lines.some((l) => l.startsWith('!')) || kept.size > 0,
  };
}

/**
 * The ignore file of a build: `<Dockerfile>.dockerignore` beside the Dockerfile
 * wins (as with BuildKit), else `.dockerignore` at the context root; none means
 * nothing is left out.
 */
export async function contextIgnore(contextDir: string, dockerfile = 'Dockerfile'): Promise<{ matcher: IgnoreMatcher; file?: string }> {
  const dockerfilePath = isAbsolute(dockerfile) ? dockerfile : join(contextDir, dockerfile);
  const candidates = [join(dirname(dockerfilePath), `${basename(dockerfilePath)}.dockerignore`), join(contextDir, '.dockerignore')];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const keep = [relative(contextDir, file), relative(contextDir, dockerfilePath)].filter((p) => !p.startsWith('..') && !isAbsolute(p));
    return { matcher: ignoreMatcher(text, keep.map((p) => p.split('\\').join('/'))), file };
  }
  return { matcher: ignoreMatcher('') };
}
