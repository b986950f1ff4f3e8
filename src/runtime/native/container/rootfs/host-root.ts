// The root filesystem of a service without an image: the host's own, read-only,
// so host commands (node, python, the project's scripts) work as in process
// mode while writes outside volumes never reach the host.
//
// root.path cannot be "/" (pivot_root fails), so the root is a skeleton
// directory: the host's top-level symlinks (bin -> usr/bin on merged-usr
// systems) recreated, a mount point per top-level directory, each of which is
// the host's, bind-mounted read-only and non-recursively (a recursive bind would
// copy Docker's overlay mounts into every container and make their removal fail
// with EBUSY). /tmp, /run and /var/tmp are private tmpfs; the project directory
// is bound read-only at its own path (it may live under /tmp).
//
// runc creates missing mount targets, and inside a read-only bind that fails
// (or, were it writable, would write to the host). So every target is made to
// exist before runc starts: a new top-level path in the skeleton itself, a path
// missing under a host directory in a small skeleton laid over that directory
// as a read-only overlay (two lower layers, no upper: the host is never written).
//
// Skeletons are content-addressed and shared by every replica that needs the
// same one (all replicas of a service do): created once, atomically, never
// modified, removed with the project. runc never writes into them, because
// every mount point it needs already exists.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import type { OciMount } from '../oci-spec.js';
import { readTextFile } from '../read-file.js';
import type { MountTarget, PreparedRootfs, RootfsRequest, RootfsSource } from './rootfs-source.js';

/** Top-level directories that are never the host's: kernel file systems, or private per container. */
const NOT_SHARED = new Set(['proc', 'sys', 'dev', 'tmp', 'run', 'lost+found']);
/** Host variables a host command needs; HOME comes from the replica's user. */
const HOST_ENV = ['PATH', 'LANG', 'LANGUAGE', 'LC_ALL', 'TZ'];

interface SkeletonEntry {
  path: string;
  kind: 'dir' | 'file' | 'symlink';
  target?: string;
}

/** A mount the source makes, in order; `missing` collects targets absent from a bind's host directory. */
interface SourceMount {
  destination: string;
  kind: 'bind' | 'tmpfs';
  source?: string;
  missing: MountTarget[];
}

export interface HostRootOptions {
  /** The host's root, for tests of the skeleton logic; "/" otherwise. */
  hostRoot?: string;
  /** Whether overlayfs is available (capabilities.ts); without it a missing target is an error. */
  overlayfs: boolean;
}

const under = (path: string, dir: string) => dir === '/' || path === dir || path.startsWith(`${dir}/`);

export class HostRootSource implements RootfsSource {
  readonly kind = 'host-root' as const;
  private readonly hostRoot: string;

  constructor(private readonly opts: HostRootOptions) {
    this.hostRoot = opts.hostRoot ?? '/';
  }

  prepare(req: RootfsRequest): PreparedRootfs {
    const top = this.topLevel();
    const mounts: SourceMount[] = top.filter((e) => e.kind === 'dir' && !NOT_SHARED.has(e.path)).map((e) => ({ destination: `/${e.path}`, kind: 'bind', source: join(this.hostRoot, e.path), missing: [] }));
    mounts.push({ destination: '/tmp', kind: 'tmpfs', missing: [] }, { destination: '/run', kind: 'tmpfs', missing: [] });
    if (isDir(join(this.hostRoot, 'var/tmp'))) mounts.push({ destination: '/var/tmp', kind: 'tmpfs', missing: [] });
    mounts.push({ destination: req.spec.projectDir, kind: 'bind', source: req.spec.projectDir, missing: [] });
    const rootEntries: SkeletonEntry[] = [...top];
    for (const name of NOT_SHARED) if (name !== 'lost+found' && !top.some((e) => e.path === name)) rootEntries.push({ path: name, kind: 'dir' });
    for (const target of req.targets) this.placeTarget(mounts, rootEntries, target);

    const shared: string[] = [];
    const rootfs = materialize(req.sharedDir, 'root', rootEntries);
    shared.push(rootfs);
    const oci: OciMount[] = mounts.map((m) => {
      if (m.kind === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', m.destination === '/run' ? 'mode=755' : 'mode=1777'] };
      if (m.missing.length === 0) return { destination: m.destination, type: 'bind', source: m.source!, options: ['bind', 'ro', 'nodev', 'private'] };
      const skeleton = this.overlaySkeleton(req, m);
      shared.push(skeleton);
      // Two lower layers and no upper one: read-only by construction.
      return { destination: m.destination, type: 'overlay', source: 'overlay', options: [`lowerdir=${skeleton}:${m.source}`, 'nodev'] };
    });
    const env: Record<string, string> = {};
    for (const key of HOST_ENV) if (req.spec.hostEnv[key] !== undefined) env[key] = req.spec.hostEnv[key]!;
    return {
      path: rootfs,
      readonly: true,
      mounts: oci,
      env,
      cwd: req.spec.projectDir,
      hostMounts: [],
      shared,
      readFile: (path) => readTextFile(join(this.hostRoot, path)),
    };
  }

  cleanup(_dir: string, _hostMounts: readonly string[]): void {
    // Nothing per replica: the skeletons are shared, and go with the project.
  }

  /** The host's top-level symlinks and directories. */
  private topLevel(): SkeletonEntry[] {
    const out: SkeletonEntry[] = [];
    for (const entry of readdirSync(this.hostRoot, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) out.push({ path: entry.name, kind: 'symlink', target: readlinkSync(join(this.hostRoot, entry.name)) });
      else if (entry.isDirectory()) out.push({ path: entry.name, kind: 'dir' });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /**
   * Where `target` lands: on the deepest mount holding it (later mounts win
   * ties). A tmpfs is private, so runc may create it there; a bind needs it to
   * exist on the host (else it goes to that bind's overlay skeleton); outside
   * every mount it goes into the root skeleton.
   */
  private placeTarget(mounts: SourceMount[], root: SkeletonEntry[], target: MountTarget): void {
    let holder: SourceMount | undefined;
    for (const m of mounts) if (under(target.path, m.destination) && (!holder || m.destination.length >= holder.destination.length)) holder = m;
    if (!holder) {
      for (const entry of skeletonPath(target.path.slice(1), target.kind)) if (!root.some((e) => e.path === entry.path)) root.push(entry);
      return;
    }
    if (holder.kind === 'tmpfs' || target.path === holder.destination) return;
    const rest = posix.relative(holder.destination, target.path);
    let at = holder.source!;
    for (const part of rest.split('/')) {
      at = join(at, part);
      let stat;
      try {
        stat = lstatSync(at);
      } catch {
        holder.missing.push({ path: rest, kind: target.kind });
        return;
      }
      // A symlink resolves inside the container's root, not the host's: runc follows it there.
      if (stat.isSymbolicLink()) return;
    }
  }

  private overlaySkeleton(req: RootfsRequest, m: SourceMount): string {
    if (!this.opts.overlayfs) {
      throw new TugError({
        code: 'container.mount-target',
        message: `service ${req.spec.service}: cannot mount at ${posix.join(m.destination, m.missing[0]!.path)}: it does not exist in the host's root, which the replica sees read-only, and this kernel has no overlayfs to add it`,
        hint: `create ${posix.join(m.destination, m.missing[0]!.path)} on the host, or choose a target outside ${m.destination}`,
      });
    }
    const entries = m.missing.flatMap((t) => skeletonPath(t.path, t.kind));
    const skeleton = materialize(req.sharedDir, 'over', entries);
    // Mount options are a comma-separated list and lowerdir a colon-separated one.
    const unsafe = [skeleton, m.source!].find((p) => /[,:\\]/.test(p));
    if (unsafe) {
      throw new TugError({
        code: 'container.mount-target',
        message: `service ${req.spec.service}: cannot overlay ${m.destination}: the path ${unsafe} contains a comma, colon or backslash`,
        hint: 'move the project (or TUG_HOME) to a path without them',
      });
    }
    return skeleton;
  }
}

/** "a/b/c" as a file → dirs a, a/b and the file a/b/c. */
function skeletonPath(rel: string, kind: MountTarget['kind']): SkeletonEntry[] {
  const parts = rel.split('/');
  return parts.map((_, i) => ({ path: parts.slice(0, i + 1).join('/'), kind: i === parts.length - 1 ? kind : 'dir' }));
}

/** The skeleton with exactly `entries`, under `base`, named by its content; built once, atomically. */
function materialize(base: string, prefix: string, entries: readonly SkeletonEntry[]): string {
  const unique = [...new Map(entries.map((e) => [e.path, e])).values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const dir = join(base, `${prefix}-${createHash('sha256').update(JSON.stringify(unique)).digest('hex').slice(0, 16)}`);
  if (isDir(dir)) return dir;
  const tmp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  for (const e of unique) {
    const path = join(tmp, e.path);
    if (e.kind === 'dir') mkdirSync(path, { recursive: true });
    else if (e.kind === 'symlink') symlinkSync(e.target!, path);
    else writeFileSync(path, '');
  }
  try {
    renameSync(tmp, dir);
  } catch {
    // Another replica built the same skeleton meanwhile: use it.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

function isDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
