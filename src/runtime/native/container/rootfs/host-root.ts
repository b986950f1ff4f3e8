// The root filesystem of a service without an image: the host's own, read-only,
// so host commands (node, python, the project's scripts) work as in process
// mode while writes outside volumes never reach the host.
//
// root.path cannot be "/" (pivot_root fails), so the root is a private skeleton
// directory: the host's top-level symlinks (bin -> usr/bin on merged-usr
// systems) recreated, and each top-level host directory bind-mounted read-only
// and non-recursively (a recursive bind would copy Docker's overlay mounts into
// every container and make their removal fail with EBUSY). /tmp, /run and
// /var/tmp are private tmpfs; the project directory is bound read-only at its
// own path (it may live under /tmp).
//
// runc creates missing mount targets, and inside a read-only bind that fails
// (or, were it writable, would write to the host). So when a target is missing
// under a host directory, that directory is mounted instead as a read-only
// overlay of the host directory beneath a private skeleton that holds the
// missing paths: the host is never written.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import type { OciMount } from '../oci-spec.js';
import type { MountTarget, PreparedRootfs, RootfsRequest, RootfsSource } from './rootfs-source.js';

/** Top-level directories that are never the host's: kernel file systems, or private per container. */
const NOT_SHARED = new Set(['proc', 'sys', 'dev', 'tmp', 'run', 'lost+found']);
/** Host variables a host command needs; HOME comes from the replica's user. */
const HOST_ENV = ['PATH', 'LANG', 'LANGUAGE', 'LC_ALL', 'TZ'];

interface HostBind {
  destination: string;
  source: string;
  /** Missing target paths below `destination`, relative to it. */
  missing: MountTarget[];
}

export interface HostRootOptions {
  /** The host's root, for tests of the skeleton logic; "/" otherwise. */
  hostRoot?: string;
  /** Whether overlayfs is available (capabilities.ts); without it a missing target is an error. */
  overlayfs: boolean;
}

export class HostRootSource implements RootfsSource {
  readonly kind = 'host-root' as const;
  private readonly hostRoot: string;

  constructor(private readonly opts: HostRootOptions) {
    this.hostRoot = opts.hostRoot ?? '/';
  }

  prepare(req: RootfsRequest): PreparedRootfs {
    const rootfs = join(req.dir, 'rootfs');
    const skeletons = join(req.dir, 'rootfs-targets');
    this.cleanup(req.dir, []);
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    const binds = this.skeleton(rootfs);
    binds.push({ destination: req.spec.projectDir, source: req.spec.projectDir, missing: [] });
    for (const target of req.targets) this.placeTarget(binds, target);
    const mounts: OciMount[] = [];
    for (const bind of binds.slice(0, -1)) mounts.push(this.mountFor(bind, skeletons, req));
    mounts.push(
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
    );
    if (isDir(join(this.hostRoot, 'var/tmp'))) mounts.push({ destination: '/var/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    mounts.push(this.mountFor(binds.at(-1)!, skeletons, req));
    const env: Record<string, string> = {};
    for (const key of HOST_ENV) if (req.spec.hostEnv[key] !== undefined) env[key] = req.spec.hostEnv[key]!;
    return {
      path: rootfs,
      readonly: true,
      mounts,
      env,
      cwd: req.spec.projectDir,
      hostMounts: [],
      readFile: (path) => {
        try {
          return readFileSync(join(this.hostRoot, path), 'utf8');
        } catch {
          return undefined;
        }
      },
    };
  }

  cleanup(dir: string, _hostMounts: readonly string[]): void {
    // Only empty directories, symlinks and skeleton files live here: the mounts
    // were made in the container's mount namespace, never on these paths.
    rmSync(join(dir, 'rootfs'), { recursive: true, force: true });
    rmSync(join(dir, 'rootfs-targets'), { recursive: true, force: true });
  }

  /** Recreates the host's top-level symlinks; returns the directories to bind. */
  private skeleton(rootfs: string): HostBind[] {
    const binds: HostBind[] = [];
    for (const entry of readdirSync(this.hostRoot, { withFileTypes: true })) {
      const name = entry.name;
      if (entry.isSymbolicLink()) {
        symlinkSync(readlinkSync(join(this.hostRoot, name)), join(rootfs, name));
      } else if (entry.isDirectory()) {
        mkdirSync(join(rootfs, name));
        if (!NOT_SHARED.has(name)) binds.push({ destination: `/${name}`, source: join(this.hostRoot, name), missing: [] });
      }
    }
    for (const name of NOT_SHARED) if (name !== 'lost+found') mkdirSync(join(rootfs, name), { recursive: true });
    return binds;
  }

  /** Records `target` on the innermost host bind holding it, if it is missing there. */
  private placeTarget(binds: HostBind[], target: MountTarget): void {
    let holder: HostBind | undefined;
    for (const bind of binds) {
      if (target.path === bind.destination || target.path.startsWith(`${bind.destination}/`)) {
        if (!holder || bind.destination.length > holder.destination.length) holder = bind;
      }
    }
    if (!holder || target.path === holder.destination) return;
    const rest = posix.relative(holder.destination, target.path);
    let at = holder.source;
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

  private mountFor(bind: HostBind, skeletons: string, req: RootfsRequest): OciMount {
    if (bind.missing.length === 0) return { destination: bind.destination, type: 'bind', source: bind.source, options: ['bind', 'ro', 'nodev', 'private'] };
    if (!this.opts.overlayfs) {
      throw new TugError({
        code: 'container.mount-target',
        message: `service ${req.spec.service}: cannot mount at ${posix.join(bind.destination, bind.missing[0]!.path)}: it does not exist in the host's root, which the replica sees read-only, and this kernel has no overlayfs to add it`,
        hint: `create ${posix.join(bind.destination, bind.missing[0]!.path)} on the host, or choose a target outside ${bind.destination}`,
      });
    }
    const skeleton = join(skeletons, bind.destination.replace(/\//g, '_'));
    // Mount options are a comma-separated list and lowerdir a colon-separated one.
    const unsafe = [skeleton, bind.source].find((p) => /[,:\\]/.test(p));
    if (unsafe) {
      throw new TugError({
        code: 'container.mount-target',
        message: `service ${req.spec.service}: cannot overlay ${bind.destination}: the path ${unsafe} contains a comma, colon or backslash`,
        hint: 'move the project (or TUG_HOME) to a path without them',
      });
    }
    for (const missing of bind.missing) {
      const path = join(skeleton, missing.path);
      if (missing.kind === 'dir') mkdirSync(path, { recursive: true });
      else {
        mkdirSync(posix.dirname(path), { recursive: true });
        writeFileSync(path, '');
      }
    }
    // Two lower layers and no upper one: read-only by construction.
    return { destination: bind.destination, type: 'overlay', source: 'overlay', options: [`lowerdir=${skeleton}:${bind.source}`, 'nodev'] };
  }
}

function isDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
