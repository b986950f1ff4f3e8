// Brings changed host files into running containers for tug watch, as Compose
// does: paths gone from the host are removed in each container with
// `rm -rf -- <paths>` (argv, never a shell line, so the image needs `rm`), and
// the others go in as one tar through the archive API, extracted at "/" with
// copyUIDGID (the container's user owns them when it has one, else the host's
// owner does) and the directories between the rule's target and each file
// included, so new directories get the host's mode and owner. When an implied
// directory meets a non-directory in the container (a symlink to elsewhere),
// the tar is sent again without them. Replicas are served 16 at a time; one
// failing replica is reported and the others go on.
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import type { SyncPath } from '../../core/watch/changes.js';
import { packBuffer, packStream, type PackEntry } from '../tar/pack.js';
import { engineMessage } from './engine-errors.js';
import { execInContainer } from './exec.js';

/** Compose's limit on containers synced at once. */
export const SYNC_CONCURRENCY = 16;
/** Archives up to this size are built once and sent to every replica; larger ones are streamed per replica. */
const BUFFERED_ARCHIVE_BYTES = 32 << 20;
/** Paths per `rm` command, well under the kernel's argument limit. */
const RM_BATCH = 500;
const NO_RM = /executable file not found|no such file or directory/i;
const RM_HINT = 'deletions are synced with `rm` in the container: the image needs one';

export interface SyncReplica {
  id: string;
  /** For messages: "web-1". */
  name: string;
}

export interface ReplicaSyncResult {
  replica: string;
  /** Files, links and directories written. */
  copied: number;
  removed: number;
  ms: number;
  error?: TugError;
}

export interface FileSyncOptions {
  concurrency?: number;
}

interface SyncArchive {
  /** The archive with implied directories, and the entries to fall back to without them. */
  withDirectories: PackEntry[];
  withoutDirectories: PackEntry[];
  copied: number;
  bytes: number;
  removals: string[];
}

export async function syncFilesToContainers(
  docker: Dockerode,
  replicas: readonly SyncReplica[],
  paths: readonly SyncPath[],
  opts: FileSyncOptions = {},
): Promise<ReplicaSyncResult[]> {
  let archive: SyncArchive;
  let buffered: Buffer | undefined;
  try {
    archive = await archiveOf(paths);
    // Built once for every replica, unless it is too big to hold.
    if (archive.copied > 0 && archive.bytes <= BUFFERED_ARCHIVE_BYTES) buffered = await packBuffer(archive.withDirectories);
  } catch (err) {
    // The host side failed (a file unreadable, or gone while it was read): no replica got anything.
    const error = new TugError({ code: 'sync.host-read', message: `cannot read the changed files: ${(err as Error).message}` });
    return replicas.map((r) => ({ replica: r.name, copied: 0, removed: 0, ms: 0, error }));
  }
  return mapWithLimit(replicas, opts.concurrency ?? SYNC_CONCURRENCY, async (replica) => {
    const started = performance.now();
    const result = (error?: TugError): ReplicaSyncResult => ({
      replica: replica.name,
      copied: error ? 0 : archive.copied,
      removed: error ? 0 : archive.removals.length,
      ms: Math.round(performance.now() - started),
      ...(error ? { error } : {}),
    });
    try {
      await removeIn(docker, replica, archive.removals);
      if (archive.copied > 0) await copyInto(docker, replica, archive, buffered);
      return result();
    } catch (err) {
      return result(err instanceof TugError ? err : syncError(replica, engineMessage(err)));
    }
  });
}

/** What each path is on the host now: copied when it is there, removed when it is gone. */
async function archiveOf(paths: readonly SyncPath[]): Promise<SyncArchive> {
  const copies = new Map<string, PackEntry>();
  const implied = new Map<string, PackEntry>();
  const removals: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    const stat = await lstat(p.hostPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!stat) {
      const target = posix.join('/', p.target);
      if (target !== '/') removals.push(target); // never `rm -rf /`, whatever a rule says
      continue;
    }
    const entry = await entryOf(tarName(p.target), p.hostPath, stat);
    if (!entry) continue; // sockets, fifos, devices: nothing a tar can carry
    copies.set(entry.name, entry);
    bytes += entry.size ?? 0;
    for (const dir of await impliedDirectories(p)) if (!implied.has(dir.name)) implied.set(dir.name, dir);
  }
  const directories = [...implied.values()].filter((d) => !copies.has(d.name)).sort((a, b) => depth(a.name) - depth(b.name));
  const entries = [...copies.values()];
  return { withDirectories: [...directories, ...entries], withoutDirectories: entries, copied: entries.length, bytes, removals };
}

async function entryOf(name: string, hostPath: string, stat: Stats): Promise<PackEntry | undefined> {
  const common = { mode: stat.mode & 0o7777, mtime: Math.floor(stat.mtimeMs / 1000), uid: stat.uid, gid: stat.gid };
  if (stat.isFile()) return { name, type: 'file', path: hostPath, size: stat.size, ...common };
  if (stat.isDirectory()) return { name: `${name}/`, type: 'directory', ...common };
  if (stat.isSymbolicLink()) return { name, type: 'symlink', linkname: await readlink(hostPath), ...common };
  return undefined;
}

/** The directories between the rule's target and the path ("lib/sub/a.js" → "lib", "lib/sub"), with their host metadata. */
async function impliedDirectories(p: SyncPath): Promise<PackEntry[]> {
  const parts = p.rel === '' ? [] : p.rel.split('/').slice(0, -1);
  const root = p.rel === '' ? p.hostPath : p.hostPath.slice(0, p.hostPath.length - p.rel.length - 1);
  const targetRoot = p.rel === '' ? p.target : p.target.slice(0, p.target.length - p.rel.length - 1);
  const out: PackEntry[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    const stat = await lstat(posix.join(root, rel)).catch(() => undefined);
    if (!stat?.isDirectory()) break; // changed under us: the next batch brings it
    const entry = await entryOf(tarName(posix.join(targetRoot, rel)), posix.join(root, rel), stat);
    if (entry) out.push(entry);
  }
  return out;
}

async function copyInto(
  docker: Dockerode,
  replica: SyncReplica,
  archive: SyncArchive,
  buffered: Buffer | undefined,
): Promise<void> {
  const container = docker.getContainer(replica.id);
  const put = (body: Buffer | Readable) => container.putArchive(body, { path: '/', copyUIDGID: 'true', noOverwriteDirNonDir: 'true' });
  try {
    await put(buffered ?? packStream(archive.withDirectories));
  } catch (err) {
    const message = engineMessage(err);
    if (!/cannot overwrite non-directory/i.test(message) || archive.withoutDirectories.length === archive.withDirectories.length) {
      throw syncError(replica, message);
    }
    try {
      await put(packStream(archive.withoutDirectories));
    } catch (again) {
      throw syncError(replica, engineMessage(again));
    }
  }
}

async function removeIn(docker: Dockerode, replica: SyncReplica, paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += RM_BATCH) {
    const output: Buffer[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (output.push(chunk), done()) });
    const code = await execInContainer(
      docker,
      replica.id,
      { command: ['rm', '-rf', '--', ...paths.slice(i, i + RM_BATCH)] },
      { stdin: Readable.from([]), stdout: sink, stderr: sink },
    ).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw syncError(replica, message, NO_RM.test(message) ? RM_HINT : err instanceof TugError ? err.hint : undefined);
    });
    if (code !== 0) {
      const said = Buffer.concat(output).toString('utf8').trim();
      throw syncError(replica, `rm exited with code ${code}${said ? `: ${said}` : ''}`, code === 126 || code === 127 ? RM_HINT : undefined);
    }
  }
}

function syncError(replica: SyncReplica, message: string, hint?: string): TugError {
  return new TugError({ code: 'sync.failed', message: `cannot sync files into ${replica.name}: ${message}`, hint });
}

/** Archive member name: the container path without its leading "/" (the archive goes to "/"). */
function tarName(target: string): string {
  return posix.join('/', target).slice(1);
}

function depth(name: string): number {
  return name.split('/').filter((s) => s !== '').length;
}

async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
