// Watch's sync into one running container replica of tug's own runtime: the
// changed paths written into the container's own file system at their target
// (its image root's writable layer, a volume, a private tmpfs: whatever the
// container sees there), deleted paths removed, by tug-sync (see
// sync-helper-source.ts for why it is C and how it keeps every write inside
// the container's root). Here: find the container's init and its root from
// the runtime's state and the bundle, feed tug-sync the paths, and turn its
// answers into counts and errors a user can act on.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { posix, resolve } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { SyncPath } from '../../../core/watch/changes.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import { bundleDir, runtimeRoot } from '../container/container-bundle.js';
import type { OciConfig } from '../container/oci-spec.js';
import { findOciRuntime, OciRuntime } from '../container/oci-runtime.js';
import { ensureSyncHelper } from './sync-helper-binary.js';

export interface ContainerSyncOutcome {
  copied: number;
  removed: number;
  ms: number;
  /** Paths that could not be synced, each with why. */
  errors: TugError[];
}

const ERRNO_NAME = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** Brings each path into the running container `spec.name` as it is on the host now. */
export async function syncIntoContainer(home: string, spec: ReplicaSpec, paths: readonly SyncPath[]): Promise<ContainerSyncOutcome> {
  const started = performance.now();
  const outcome: ContainerSyncOutcome = { copied: 0, removed: 0, ms: 0, errors: [] };
  const records: { path: SyncPath; target: string }[] = [];
  for (const path of paths) {
    const target = posix.normalize(path.target);
    if (!target.startsWith('/') || target === '/') outcome.errors.push(badTarget(spec.name, path));
    else records.push({ path, target });
  }
  if (records.length > 0) {
    const { pid, root, upper } = await runningContainer(home, spec);
    const answers = await runHelper(ensureSyncHelper(home), [String(pid), root, ...(upper !== undefined ? [upper] : [])], records, spec.name);
    answers.forEach((answer, i) => {
      const { path, target } = records[i]!;
      if (answer === 'c') outcome.copied++;
      else if (answer === 'r') outcome.removed++;
      else if (answer.startsWith('e ')) outcome.errors.push(pathError(spec.name, path.hostPath, target, answer));
    });
  }
  outcome.ms = Math.round(performance.now() - started);
  return outcome;
}

/**
 * The container's init and the host directory its bundle roots it in, and
 * for a root the runtime mounts inside the container, the upper directory of
 * that overlay as the kernel's mountinfo writes it; refused when it does not run.
 */
async function runningContainer(home: string, spec: ReplicaSpec): Promise<{ pid: number; root: string; upper?: string }> {
  const runtime = new OciRuntime(findOciRuntime(), runtimeRoot(home, spec.project));
  const state = await runtime.state(spec.name);
  if (!state || state.status !== 'running' || !(state.pid > 0)) throw notRunning(spec.name);
  let config: OciConfig;
  try {
    config = JSON.parse(readFileSync(`${bundleDir(home, spec.project, spec.name)}/config.json`, 'utf8')) as OciConfig;
  } catch {
    throw notRunning(spec.name);
  }
  const upper = insideRootUpper(config);
  return { pid: state.pid, root: resolve(state.bundle, config.root.path), ...(upper !== undefined && { upper: mountinfoEscape(upper) }) };
}

/** The upperdir of an overlay the bundle mounts at / (image-root.ts), if it does. */
export function insideRootUpper(config: Pick<OciConfig, 'mounts'>): string | undefined {
  const first = config.mounts[0];
  if (first?.destination !== '/' || first.type !== 'overlay') return undefined;
  const option = (first.options ?? []).flatMap((o) => o.split(',')).find((o) => o.startsWith('upperdir='));
  return option?.slice('upperdir='.length);
}

/** A path as /proc/PID/mountinfo shows it in mount options: space, tab, newline and backslash as octal escapes. */
export function mountinfoEscape(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** One tug-sync run over every record; resolves to its answer per record, in order. */
function runHelper(helper: string, args: readonly string[], records: readonly { path: SyncPath; target: string }[], replica: string): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(helper, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // An early exit (the root check failed) closes stdin: its EPIPE is said by the exit status.
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => reject(new TugError({ code: 'sync.failed', message: `cannot run tug-sync for ${replica}: ${err.message}` })));
    child.once('close', (code) => {
      if (code === 0) return resolvePromise(stdout.split('\n').slice(0, records.length));
      const why = stderr.trim() || `exit ${code}`;
      reject(
        code === 3
          ? new TugError({ code: 'sync.not-running', message: `cannot sync files into ${replica}: it is no longer the container it was (${why})`, hint: 'it stopped or restarted meanwhile; the next change syncs again' })
          : new TugError({ code: 'sync.failed', message: `cannot sync files into ${replica}: ${why}` }),
      );
    });
    for (const { path, target } of records) child.stdin.write(`${path.hostPath}\0${target}\0`);
    child.stdin.end();
  });
}

function pathError(replica: string, hostPath: string, target: string, answer: string): TugError {
  const [, num, ...text] = answer.split(' ');
  const errno = ERRNO_NAME.get(Number(num));
  const what = `cannot sync ${hostPath} to ${target} in ${replica}`;
  if (errno === 'EROFS') {
    return new TugError({
      code: 'sync.read-only',
      message: `${what}: ${target} is on a read-only file system in the container`,
      hint: 'a container rooted in the host\'s file system is writable only in its volumes and private directories (/tmp, /run, /var/tmp): sync into one of those, or give the service an image',
    });
  }
  if (errno === 'ELOOP') {
    return new TugError({ code: 'sync.link-refused', message: `${what}: the path leads through a link tug does not follow there (${text.join(' ')})` });
  }
  if (errno === 'EXDEV') {
    return new TugError({
      code: 'sync.mount-kept',
      message: `${what}: a volume or bind mount is inside what was removed; tug does not delete across it, and left it as it is`,
      hint: 'remove those files in the container yourself if they should go (tug exec)',
    });
  }
  return new TugError({ code: 'sync.failed', message: `${what}: ${text.join(' ')}${errno ? ` (${errno})` : ''}` });
}

function badTarget(replica: string, path: SyncPath): TugError {
  return new TugError({
    code: 'sync.target',
    message: `cannot sync ${path.hostPath} into ${replica}: its target ${JSON.stringify(path.target)} is not a path below / in the container`,
    hint: 'give the rule an absolute target, such as /app',
  });
}

function notRunning(replica: string): TugError {
  return new TugError({ code: 'sync.not-running', message: `cannot sync files into ${replica}: it is not running`, hint: 'start it (tug up); the next change syncs again' });
}
