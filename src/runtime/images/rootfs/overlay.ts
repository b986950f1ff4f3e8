// A replica's root filesystem from an image: overlayfs with the image's
// unpacked layers as lower directories (shared by every replica) and a private
// upper and work directory under the replica's own directory. The upper
// directory survives unmounts, so a restarted replica keeps what it wrote;
// cleanup() removes it with the replica. mount(2) takes one page of options
// and silently truncates the rest, so the lower directories are named by
// their short links under l/ relative to the mount's working directory (12+1
// bytes a layer: hundreds fit), as Docker's overlay2 does. While mounted, the
// replica holds a lease on the image so prune keeps its layers.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import { leasePath, type StoreLayout } from '../store/layout.js';
import { shortLayerName } from '../unpack/unpack-layer.js';

/**
 * One replica's overlay mount of an image. The container runtime's root
 * filesystem source for images (native/container/rootfs/image-root.ts) is
 * built on it; this is only the mount and its directories.
 */
export interface OverlayMount {
  /** Mounts (idempotent: an existing mount is reused) and returns the root path. */
  prepare(): Promise<{ path: string; readonly: boolean }>;
  /**
   * Everything but the mount: the lease and the directories, and the
   * overlay's options with absolute paths, for the container runtime to mount
   * inside the container's own mount namespace (`target` stays an empty
   * directory on the host). Undefined when the options do not fit in one
   * page, or when an earlier engine mounted it here: then `prepare` it.
   */
  prepareInside(): Promise<{ target: string; options: string } | undefined>;
  /** Unmounts and removes everything the replica wrote, and its lease. */
  cleanup(): Promise<void>;
  /** Unmounts but keeps the upper directory (the replica stopped, it may start again). */
  unmount(): Promise<void>;
  /** Bytes the replica wrote (its upper directory). */
  diskUsage(): Promise<number>;
}

export interface OverlayMountOptions {
  store: ImageStore;
  image: ImageRecord;
  /** A directory owned by the replica; upper/, work/ and rootfs/ are made inside. */
  dir: string;
  /** Names the replica's lease, e.g. "<project>.<replica>". */
  leaseId: string;
  /**
   * Performs the mount (default: one `mount` process for it). The container
   * runtime passes one that mounts the replicas starting together with one
   * `mount -a` (container/rootfs/overlay-batch.ts).
   */
  mountWith?: (request: OverlayRequest) => Promise<void>;
}

/** One writable overlay to mount: `options` names the lower layers relative to `cwd` (the store's short links). */
export interface OverlayRequest {
  target: string;
  options: string;
  cwd: string;
}

/** One page minus the NUL: beyond this the kernel would see a truncated option string. */
const MAX_MOUNT_DATA = 4095;
/** containerd's and containers/storage's limit. */
const MAX_LAYERS = 500;

export function overlayMount(opts: OverlayMountOptions): OverlayMount {
  const { store, image, dir } = opts;
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const target = join(dir, 'rootfs');
  const unmount = async () => unmountOverlays([dir]);
  const layers = image.layers.map((l) => l.diffId);
  /** Checks, the lease, the directories; true when the overlay is already mounted here. */
  const ready = async (): Promise<boolean> => {
    if (/[,:\\]/.test(dir)) throw new TugError({ code: 'rootfs.path-invalid', message: `the replica directory ${dir} contains ",", ":" or "\\", which overlayfs options cannot carry` });
    if (layers.length > MAX_LAYERS) throw tooMany(image, `${layers.length} layers (at most ${MAX_LAYERS})`);
    const missing = layers.filter((d) => !store.hasLayer(d));
    if (missing.length > 0) throw new TugError({ code: 'rootfs.layer-missing', message: `image ${image.id} lacks unpacked layers (${missing.join(', ')})`, hint: 'pull or load the image again' });
    await store.putLease(opts.leaseId, { images: [image.id], layers });
    // Off the event loop: 100 replicas starting together made 300 of these, ~2 ms each on a busy disk.
    await Promise.all([upper, work, target].map((d) => mkdir(d, { recursive: true, mode: 0o755 })));
    return mountedOn(target, dir);
  };
  return {
    async prepare() {
      if (await ready()) return { path: target, readonly: false };
      const request = await overlayRequest(store, layers, { target, upper, work, emptyDir: dir }, image.id);
      await (opts.mountWith ?? mountOverlay)(request);
      return { path: target, readonly: false };
    },
    async prepareInside() {
      if (await ready()) return undefined;
      const request = await overlayRequest(store, layers, { target, upper, work, emptyDir: dir }, image.id);
      const options = request.options.replace(/^lowerdir=([^,]*)/, (_, lowers: string) => `lowerdir=${lowers.split(':').map((l) => resolve(request.cwd, l)).join(':')}`);
      return Buffer.byteLength(options) > MAX_MOUNT_DATA ? undefined : { target, options };
    },
    unmount,
    async cleanup() {
      removeOverlay(dir, store.layout, opts.leaseId);
    },
    diskUsage: () => treeSize(upper),
  };
}

/**
 * Mounts overlayfs at `target` over `layers` (diff IDs, bottom first), with
 * `upper`/`work` for a writable mount or read-only without them. Shared by
 * replicas and by builds (a RUN step's container, a view of a layer stack).
 */
export async function mountLayers(store: ImageStore, layers: readonly string[], dirs: { target: string; upper?: string; work?: string; emptyDir: string }, what: string): Promise<void> {
  await mountOverlay(await overlayRequest(store, layers, dirs, what));
}

/** The mount(2) options for overlayfs over `layers` (read-only without upper/work), checked against the limits. */
async function overlayRequest(store: ImageStore, layers: readonly string[], dirs: { target: string; upper?: string; work?: string; emptyDir: string }, what: string): Promise<OverlayRequest> {
  if (layers.length > MAX_LAYERS) throw tooManyLayers(what, `${layers.length} layers (at most ${MAX_LAYERS})`);
  // Topmost layer first; no layers gets an empty lower directory. A read-only mount needs two lowers (the caller's job).
  const lowers = layers.length > 0 ? await Promise.all([...layers].reverse().map((d) => shortLayerName(store, d))) : [emptyLower(dirs.emptyDir)];
  const writable = dirs.upper && dirs.work ? `,upperdir=${dirs.upper},workdir=${dirs.work}` : '';
  const options = `lowerdir=${lowers.join(':')}${writable}`;
  if (Buffer.byteLength(options) > MAX_MOUNT_DATA) throw tooManyLayers(what, `its mount options need ${Buffer.byteLength(options)} bytes (one page is ${MAX_MOUNT_DATA})`);
  return { target: dirs.target, options: writable ? options : `ro,${options}`, cwd: store.layout.shortLinksDir };
}

function mountOverlay(request: OverlayRequest): Promise<void> {
  return run('mount', ['-t', 'overlay', 'overlay', '-o', request.options, request.target], request.cwd);
}

/** Unmounts `target` if mounted (lazily when busy). */
export async function unmountLayers(target: string): Promise<void> {
  if (await isMountPoint(target)) await run('umount', [target], '/').catch(() => run('umount', ['-l', target], '/'));
}

function emptyLower(dir: string): string {
  const empty = join(dir, 'empty');
  mkdirSync(empty, { recursive: true, mode: 0o755 });
  return empty;
}

function tooMany(image: ImageRecord, why: string): TugError {
  return tooManyLayers(image.id, why);
}

function tooManyLayers(what: string, why: string): TugError {
  return new TugError({ code: 'rootfs.too-many-layers', message: `image ${what} cannot be mounted: ${why}`, hint: 'rebuild the image with fewer layers (squash some RUN steps)' });
}

/**
 * Whether something is mounted on `target`, a directory in `parent`: a mount
 * has a device of its own (an overlay always does). Two stats, where reading
 * mountinfo for each of 100 replicas starting together parsed its hundreds
 * of lines 100 times.
 */
async function mountedOn(target: string, parent: string): Promise<boolean> {
  const [t, p] = await Promise.all([stat(target), stat(parent)]);
  return t.dev !== p.dev;
}

/** Whether `path` is a mount point in this mount namespace (/proc/self/mountinfo, octal escapes undone). */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await currentMountPoints()).has(path);
}

/**
 * This mount namespace's mount points, read off the event loop: while other
 * replicas mount and runc sets up their roots, the kernel's mount lock can
 * hold a read of mountinfo for tens of ms.
 */
export async function currentMountPoints(): Promise<Set<string>> {
  return mountPoints(await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
}

function mountInfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return ''; // no /proc: nothing is mounted that we could see
  }
}

/**
 * The mount points mountinfo text lists (its fifth field, octal escapes
 * undone). Parsed once into a set: with 100 replicas up the table has
 * hundreds of lines, and checking each of 100 targets by scanning it again
 * held the engine's event loop for a third of a second.
 */
export function mountPoints(info: string): Set<string> {
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const field = line.split(' ', 5)[4];
    if (field) out.add(field.includes('\\') ? field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))) : field);
  }
  return out;
}

/**
 * Unmounts the overlays of replica directories made by overlayMount, keeping
 * their upper directories: one umount for all of them (a process each would
 * cost more than the unmounts). Synchronous (a umount takes milliseconds) so
 * that the container runtime's synchronous cleanup and a crashed engine's
 * successor can call it with nothing but the directories.
 */
export function unmountOverlays(dirs: readonly string[]): void {
  const targets = mountedRoots(dirs);
  if (targets.length === 0) return;
  const plain = spawnSync('umount', targets, { stdio: 'ignore' });
  if (plain.status === 0) return;
  // Busy ones detach lazily: the kernel drops them once the last user is gone.
  const left = mountedRoots(dirs);
  if (left.length > 0) spawnSync('umount', ['-l', ...left], { stdio: 'ignore' });
}

/** The mounted root of each of the replica directories. */
function mountedRoots(dirs: readonly string[]): string[] {
  const mounted = mountPoints(mountInfo());
  return dirs.map((d) => join(d, 'rootfs')).filter((t) => mounted.has(t));
}

/**
 * unmountOverlays without blocking the caller's event loop: the engine
 * unmounts the roots of replicas that stop together this way, many per
 * umount, while it goes on serving the others.
 */
export async function unmountOverlaysAsync(dirs: readonly string[]): Promise<void> {
  const targets = mountedRoots(dirs);
  if (targets.length === 0) return;
  if (await run('umount', targets, '/').then(() => true, () => false)) return;
  const left = mountedRoots(dirs);
  if (left.length > 0) await run('umount', ['-l', ...left], '/').catch(() => undefined);
}

/** Unmounts and removes replicas' overlay directories (upper included) and their leases on the image. */
export function removeOverlays(items: readonly { dir: string; leaseId: string }[], layout: StoreLayout): void {
  unmountOverlays(items.map((i) => i.dir));
  const busy = mountedRoots(items.map((i) => i.dir));
  if (busy.length > 0) throw new TugError({ code: 'rootfs.busy', message: `cannot unmount ${busy.join(', ')}; still in use` });
  for (const { dir, leaseId } of items) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(leasePath(layout, leaseId), { force: true });
  }
}

/**
 * removeOverlays off the event loop: one umount for all, the directories
 * removed in parallel on libuv's threads. One still in use is left as it is
 * (and its directory returned); the others go.
 */
export async function removeOverlaysAsync(items: readonly { dir: string; leaseId: string }[], layout: StoreLayout): Promise<string[]> {
  await unmountOverlaysAsync(items.map((i) => i.dir));
  const busy = new Set(mountedRoots(items.map((i) => i.dir)));
  const free = items.filter((i) => !busy.has(join(i.dir, 'rootfs')));
  await Promise.all(free.map(({ dir, leaseId }) => Promise.all([rm(dir, { recursive: true, force: true }), rm(leasePath(layout, leaseId), { force: true })])));
  return items.filter((i) => busy.has(join(i.dir, 'rootfs'))).map((i) => i.dir);
}

export function removeOverlay(dir: string, layout: StoreLayout, leaseId: string): void {
  removeOverlays([{ dir, leaseId }], layout);
}

/** util-linux mount/umount, no shell; the working directory makes the relative lowerdirs resolve. */
function run(program: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new TugError({ code: 'rootfs.mount-failed', message: `cannot run ${program}: ${err.message}` })));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new TugError({ code: 'rootfs.mount-failed', message: `${program} ${args.at(-1)} failed: ${stderr.trim() || `exit ${code}`}`, hint: program === 'mount' ? 'overlay mounts need root and a kernel with overlayfs' : undefined })),
    );
  });
}

/** Bytes of the files under `dir` (hard links counted once). */
export async function treeSize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (!seen.has(st.ino)) {
        seen.add(st.ino);
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}
