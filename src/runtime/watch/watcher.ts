// Watches the host's file system for tug watch: each root (a rule's path, or
// one of the project's own files) with chokidar, its ignores applied BY THE
// WATCHER through chokidar's `ignored` function, so an ignored tree
// (node_modules, .git, build output) is never read and costs no inotify watch.
// Compose's watcher puts a watch on every directory, ignored ones included,
// and runs out of handles on large trees. Events come out typed, with the
// absolute path and the path relative to each root it concerns.
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { TugError } from '../../core/errors.js';
import type { ChangeKind } from '../../core/watch/changes.js';
import { isInside, relativeInside, trimSlash } from '../../core/watch/paths.js';

export interface WatchRoot {
  /** The caller's name for it (e.g. "web#0" for a rule, "project" for the Compose files). */
  id: string;
  /** Absolute path of a directory (watched recursively) or of one file. */
  path: string;
  /**
   * True when nothing at or under `absPath` concerns this root (see
   * RuleMatcher.prunes). Without it, a root takes everything under its path.
   */
  prunes?(absPath: string, isDirectory?: boolean): boolean;
}

export interface RootPath {
  id: string;
  /** Relative to the root's path, "/"-separated ("" for the root itself). */
  rel: string;
}

export type WatcherEvent =
  | { type: 'change'; kind: ChangeKind; path: string; roots: RootPath[] }
  | { type: 'ready' }
  | { type: 'error'; error: TugError };

export interface FileWatcher {
  /** Resolves once the initial scan of every root is done (changes before it are not reported). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface ResolvedRoot extends WatchRoot {
  /** Where the root really is, when `path` goes through a symlink; events are reported under `path`. */
  real: string;
}

const CHANGE_KINDS: readonly ChangeKind[] = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'];

export function watchRoots(roots: readonly WatchRoot[], onEvent: (event: WatcherEvent) => void): FileWatcher {
  let watcher: FSWatcher | undefined;
  let closed = false;
  /** Ends the wait for the initial scan when watching is closed before it finished. */
  let endScan: (() => void) | undefined;
  const ready = (async () => {
    const resolved = await resolveRoots(roots, onEvent);
    if (closed) return;
    if (resolved.length === 0) {
      onEvent({ type: 'ready' });
      return;
    }
    const fsw = watch(
      resolved.map((r) => r.real),
      {
        ignoreInitial: true,
        // A symlink inside a tree is synced as a link; following it could lead anywhere (/, a huge tree).
        followSymlinks: false,
        ignored: (path: string, stats?: Stats) => ignoredByAll(resolved, path, stats),
      },
    );
    watcher = fsw;
    for (const kind of CHANGE_KINDS) {
      fsw.on(kind, (real: string) => {
        const reported = concerns(resolved, real, kind === 'addDir' || kind === 'unlinkDir');
        if (reported) onEvent({ type: 'change', kind, path: reported.path, roots: reported.roots });
      });
    }
    fsw.on('error', (err: unknown) => onEvent({ type: 'error', error: watchError(err) }));
    await new Promise<void>((resolve) => {
      endScan = resolve;
      fsw.once('ready', () => resolve());
    });
    if (!closed) onEvent({ type: 'ready' });
  })();
  return {
    ready,
    async close() {
      closed = true;
      endScan?.();
      await watcher?.close();
      await ready.catch(() => undefined);
    },
  };
}

/** Roots that exist, with symlinks resolved; a missing root is reported and left out. */
async function resolveRoots(roots: readonly WatchRoot[], onEvent: (event: WatcherEvent) => void): Promise<ResolvedRoot[]> {
  const out: ResolvedRoot[] = [];
  for (const root of roots) {
    try {
      await stat(root.path);
      out.push({ ...root, path: trimSlash(root.path), real: trimSlash(await realpath(root.path)) });
    } catch (err) {
      onEvent({ type: 'error', error: watchError(err, root.path) });
    }
  }
  return out;
}

/** A path is left out when no root wants it: each prunes it, or lies elsewhere. */
function ignoredByAll(roots: readonly ResolvedRoot[], real: string, stats?: Stats): boolean {
  const isDirectory = stats ? stats.isDirectory() : undefined;
  for (const root of roots) {
    const path = underRoot(root, real);
    if (path === undefined) {
      // chokidar reaches a file root through its directory: the ancestors of a root stay.
      if (isInside(root.real, real)) return false;
      continue;
    }
    if (!root.prunes || !root.prunes(path, isDirectory)) return false;
  }
  return true;
}

function concerns(roots: readonly ResolvedRoot[], real: string, isDirectory: boolean): { path: string; roots: RootPath[] } | undefined {
  const hits: RootPath[] = [];
  let reportedPath: string | undefined;
  for (const root of roots) {
    const path = underRoot(root, real);
    if (path === undefined || root.prunes?.(path, isDirectory)) continue;
    reportedPath ??= path;
    hits.push({ id: root.id, rel: relativeInside(root.path, path) });
  }
  return reportedPath === undefined ? undefined : { path: reportedPath, roots: hits };
}

/** The path as the root names it (through its symlinked `path`), or undefined when it is not under the root. */
function underRoot(root: ResolvedRoot, real: string): string | undefined {
  if (!isInside(real, root.real)) return undefined;
  if (root.real === root.path) return real;
  const rest = real.slice(root.real.length);
  return root.path + rest;
}

/** chokidar and fs failures as TugErrors a user can act on. */
export function watchError(err: unknown, path?: string): TugError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = path ?? (err as NodeJS.ErrnoException | undefined)?.path;
  const on = where ? ` on ${where}` : '';
  switch (code) {
    case 'ENOSPC':
      return new TugError({
        code: 'watch.inotify-limit',
        message: `cannot watch${on}: the system's limit of inotify watches is reached`,
        hint: 'ignore large trees (node_modules, build output) in develop.watch ignore, or raise the limit: sysctl fs.inotify.max_user_watches=524288',
      });
    case 'EMFILE':
      return new TugError({
        code: 'watch.too-many-files',
        message: `cannot watch${on}: too many open files`,
        hint: 'ignore large trees in develop.watch ignore, or raise the limit (ulimit -n, fs.inotify.max_user_instances)',
      });
    case 'ENOENT':
    case 'ENOTDIR':
      return new TugError({ code: 'watch.missing-path', message: `cannot watch ${where ?? 'a path'}: it does not exist`, hint: 'create it, or fix the path in develop.watch' });
    case 'EACCES':
    case 'EPERM':
      return new TugError({ code: 'watch.permission', message: `cannot watch${on}: permission denied` });
    default:
      return new TugError({ code: 'watch.error', message: `watching failed${on}: ${(err as Error | undefined)?.message ?? String(err)}` });
  }
}
