// Host paths in a service: `~` expansion and resolution against the project
// directory, done with POSIX rules on every platform so the same file gives the
// same model everywhere (tests use literal "/proj" paths). Pure string work:
// nothing here touches the file system.
import { posix } from 'node:path';

export interface PathContext {
  /** Absolute project directory; relative paths are resolved against it. */
  workingDir: string;
  /** The user's home directory, for `~` and `~/…`. */
  homeDir: string;
}

/** "~" and "~/x" → home; like compose-go, anything else starting with "~" is joined onto home too. */
export function expandUser(path: string, homeDir: string): string {
  if (path.length === 0 || path[0] !== '~') return path;
  return posix.join(homeDir, path.slice(1));
}

/** Absolute, normalized path: `~` expanded, relative paths joined onto the working directory. */
export function resolveHostPath(path: string, ctx: PathContext): string {
  if (path[0] === '/') return cleanPath(path);
  if (path[0] === '~') return cleanPath(expandUser(path, ctx.homeDir));
  // "./x" is the common spelling: drop the "./" so the joined path is usually clean already.
  let rel = path;
  while (rel.startsWith('./')) rel = rel.slice(2);
  if (rel === '' || rel === '.') return cleanPath(ctx.workingDir);
  return cleanPath(ctx.workingDir + '/' + rel);
}

/** Go's path.Clean: no "." or ".." segments, no "//", no trailing slash. */
export function cleanPath(path: string): string {
  if (path === '' || isClean(path)) return path;
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

const SLASH = 47;
const DOT = 46;

/** True when no segment is empty, "." or ".." and there is no trailing slash; most paths are. */
function isClean(path: string): boolean {
  const n = path.length;
  if (n > 1 && path.charCodeAt(n - 1) === SLASH) return false;
  let segmentStart = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && path.charCodeAt(i) !== SLASH) continue;
    const len = i - segmentStart;
    if (len === 0 && i > 0) return false; // "//"
    if (len === 1 && path.charCodeAt(segmentStart) === DOT) return false;
    if (len === 2 && path.charCodeAt(segmentStart) === DOT && path.charCodeAt(segmentStart + 1) === DOT) return false;
    segmentStart = i + 1;
  }
  return true;
}

/** A short-syntax volume source that names a host path rather than a volume. */
export function isHostPathSource(source: string): boolean {
  const c = source[0];
  return c === '.' || c === '/' || c === '~';
}

const REMOTE_PREFIXES = ['git@', 'github.com/', 'service:'];

/**
 * A build context (or additional context) that is not a local directory: any
 * URL ("https://", "git://", "docker-image://", "ssh://"), a git SSH address,
 * a GitHub shorthand, or another service ("service:base"). Those stay as written.
 */
export function isRemoteContext(context: string): boolean {
  if (context.includes('://')) return true;
  for (const prefix of REMOTE_PREFIXES) if (context.startsWith(prefix)) return true;
  return false;
}
