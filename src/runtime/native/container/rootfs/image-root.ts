// The root filesystem of a service with an image: an overlay of the image's
// unpacked layers (shared by every replica, read-only) with a private upper
// directory, the container's RootfsSource of kind 'image'.
//
// RootfsSource.prepare is synchronous, and mounting needs the image store
// first, so the work is split: `await imageRootSource(...)` reads the image
// record and config, mounts the overlay (idempotent: an engine that restarts
// finds the mount and reuses it), reads the image's /etc/passwd and /etc/group
// and checks that there is something to run and that the user exists; the
// source it returns only hands that out. Its `spec` is the replica's spec with
// the image's defaults the runtime reads from the service (USER, STOPSIGNAL,
// HEALTHCHECK, EXPOSE, VOLUME as anonymous volumes, seeded from the image when
// the caller names their directories); ENV, WORKDIR, ENTRYPOINT and CMD travel
// in the view.
//
// Everything lives in projects/<p>/image-roots/<replica>/ (upper/, work/,
// rootfs/ the mount point), apart from the OCI bundle, so that removing a
// bundle directory can never descend into a mounted root. The upper directory
// outlives container restarts and engine restarts; cleanup (or, with nothing
// but the names, removeImageRoot) unmounts and removes it with the replica's
// lease on the image, so prune then may free the layers.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import { absolute, anonymousImageVolumes, containerConfig, imageEnvironment, serviceWithImageDefaults } from '../../../../core/images/container-config.js';
import type { ImageRuntimeConfig } from '../../../../core/images/image-config.js';
import { readUserFiles, readUserFilesFromLayers, seedVolume } from '../../../images/rootfs/image-files.js';
import { overlayMount, removeOverlay, removeOverlays, removeOverlaysAsync, treeSize, type OverlayRequest } from '../../../images/rootfs/overlay.js';
import { readServiceImage } from '../../../images/store/service-image.js';
import type { ImageStore } from '../../../images/store/image-store.js';
import { layerFsDir, storeLayout } from '../../../images/store/layout.js';
import type { OciMount } from '../oci-spec.js';
import { ensureSpreadDirs } from '../spread-dirs.js';
import type { HostReplicaSpec } from '../../host-env.js';
import { isVolumeName, projectPaths } from '../../home.js';
import type { PreparedRootfs, RootfsRequest, RootfsSource } from './rootfs-source.js';

export interface ImageRootOptions {
  store: ImageStore;
  /** TUG_HOME: where the project's directory is (the store may live elsewhere in tests). */
  home: string;
  /** The replica, with `image.id` set by the native images facet. */
  spec: HostReplicaSpec;
  /**
   * The host directory of the anonymous volume the runtime mounts at an image
   * VOLUME path: given, each is seeded from the image's content there on first
   * use (a volume that has content is left alone), as Docker does.
   */
  volumeDirFor?: (target: string) => string;
  /** Performs the overlay mount (the engine batches those of replicas starting together); one `mount` each by default. */
  mountWith?: (request: OverlayRequest) => Promise<void>;
  /**
   * false: mount the root on the host even where the runtime could mount it
   * inside the container (the default, which keeps the host's mount table
   * small: every runc copies and reads it).
   */
  mountInside?: boolean;
}

/** Users and groups of images by ID (their layers never change), read once per engine. */
const usersByImage = new Map<string, Promise<{ passwd?: string; group?: string } | undefined>>();

/** The image's /etc/passwd and /etc/group from its layers, or undefined when only a mounted root can tell. */
function imageUsers(store: ImageStore, imageId: string, layers: readonly string[]): Promise<{ passwd?: string; group?: string } | undefined> {
  const key = `${store.layout.root}\0${imageId}`;
  let users = usersByImage.get(key);
  if (!users) {
    users = readUserFilesFromLayers([...layers].reverse().map((d) => layerFsDir(store.layout, d)));
    usersByImage.set(key, users);
    users.catch(() => usersByImage.delete(key));
  }
  return users;
}

/** projects/<p>/image-roots: one directory per replica that runs from an image. */
export function imageRootsDir(home: string, project: string): string {
  return join(projectPaths(home, project).dir, 'image-roots');
}

/** projects/<p>/image-roots/<replica>: the replica's upper, work and mount directories. */
export function imageRootDir(home: string, project: string, replica: string): string {
  if (!isVolumeName(replica)) throw new TugError({ code: 'native.replica-name', message: `invalid replica name ${JSON.stringify(replica)}` });
  return join(imageRootsDir(home, project), replica);
}

/** The replica's lease on its image in the store: prune keeps the layers while it exists. */
export function imageLeaseId(project: string, replica: string): string {
  return `${project}.${replica}`;
}

export class ImageRootSource implements RootfsSource {
  readonly kind = 'image' as const;

  constructor(
    /** The mounted root filesystem. */
    readonly root: string,
    /** The replica's spec with the image's USER, STOPSIGNAL, HEALTHCHECK, EXPOSE and VOLUMEs as defaults: what the runtime should create from. */
    readonly spec: HostReplicaSpec,
    private readonly image: ImageRuntimeConfig,
    private readonly etc: Readonly<Record<string, string>>,
    private readonly remove: () => void,
    /** The overlay for the runtime to mount at / inside the container; without it `root` is mounted on the host. */
    private readonly rootMount?: OciMount,
  ) {}

  prepare(_req: RootfsRequest): PreparedRootfs {
    return {
      path: this.root,
      readonly: false,
      mounts: [],
      env: imageEnvironment(this.image.Env ?? []),
      cwd: absolute(this.image.WorkingDir || '/'),
      ...(this.image.Entrypoint && { entrypoint: this.image.Entrypoint }),
      ...(this.image.Cmd && { cmd: this.image.Cmd }),
      ...(this.rootMount && { rootMount: this.rootMount }),
      hostMounts: this.rootMount ? [] : [this.root],
      shared: [],
      // Read when the source was made, through the image's own symlinks but never out of its root.
      readFile: (path) => this.etc[path.replace(/^\/+/, '')],
    };
  }

  /** Unmounts and removes the upper directory and the lease: the replica is gone. */
  cleanup(_dir: string, _hostMounts: readonly string[]): void {
    this.remove();
  }
}

/** Mounts the replica's root filesystem from its image and returns the source the container runtime uses. */
export async function imageRootSource(opts: ImageRootOptions): Promise<ImageRootSource> {
  const { store, home, spec } = opts;
  const imageId = spec.image?.id;
  if (!imageId) throw new TugError({ code: 'image.not-found', message: `service "${spec.service}": replica ${spec.name} has no image to run` });
  const { record, image: { config: image } } = await readServiceImage(store, imageId, spec.service);
  const dir = imageRootDir(home, spec.project, spec.name);
  const leaseId = imageLeaseId(spec.project, spec.name);
  const remove = () => removeOverlay(dir, store.layout, leaseId);
  // A replica made before (an engine that restarted prepares it again) keeps what it wrote whatever happens here.
  const existed = existsSync(dir);
  // Made with a flag the first time (spread-dirs.ts): each replica's upper and work directories in a block group of their own.
  await ensureSpreadDirs([{ path: imageRootsDir(home, spec.project), mode: 0o755 }]);
  try {
    const overlay = overlayMount({ store, image: record, dir, leaseId, mountWith: opts.mountWith });
    // Seeding a VOLUME copies out of the merged root, which needs the mount on the host.
    const seeds = opts.volumeDirFor ? anonymousImageVolumes(spec.service_spec, image) : [];
    const inside = seeds.length === 0 && opts.mountInside !== false ? await overlay.prepareInside() : undefined;
    const layered = inside ? await imageUsers(store, record.id, record.layers.map((l) => l.diffId)) : undefined;
    const root = inside && layered ? inside.target : (await overlay.prepare()).path;
    const users = inside && layered ? layered : await readUserFiles(root);
    // Checked now, before anything starts: nothing to run, or a USER the image does not know, is the user's to fix.
    containerConfig({ service: spec.service, spec: spec.service_spec, image, hostname: spec.name, ...users });
    for (const target of seeds) {
      const volume = opts.volumeDirFor!(target);
      mkdirSync(volume, { recursive: true });
      await seedVolume(root, target, volume);
    }
    const etc: Record<string, string> = {};
    if (users.passwd !== undefined) etc['etc/passwd'] = users.passwd;
    if (users.group !== undefined) etc['etc/group'] = users.group;
    const rootMount: OciMount | undefined = inside && layered ? { destination: '/', type: 'overlay', source: 'overlay', options: [inside.options] } : undefined;
    return new ImageRootSource(root, { ...spec, service_spec: serviceWithImageDefaults(spec.service_spec, image) }, image, etc, remove, rootMount);
  } catch (err) {
    // A new replica that cannot start leaves no mount, directory or lease behind.
    if (!existed) remove();
    throw err;
  }
}

/**
 * Removes a replica's image root from its names alone (a crashed engine's
 * successor, `down` after a crash), several with one umount: unmount, upper
 * directory, lease. A replica that never had one is left as it is. `store`:
 * the store, or the TUG_HOME it lives in (the same home by default).
 */
export function removeImageRoot(home: string, project: string, replica: string | readonly string[], store: ImageStore | string = home): void {
  const layout = typeof store === 'string' ? storeLayout(store) : store.layout;
  const replicas = typeof replica === 'string' ? [replica] : replica;
  removeOverlays(replicas.map((r) => ({ dir: imageRootDir(home, project, r), leaseId: imageLeaseId(project, r) })), layout);
}

/**
 * removeImageRoot without blocking the engine: the replicas removed together
 * go with one umount, their directories in parallel. Returns the replicas
 * whose root is still in use (left in place); the others are gone.
 */
export async function removeImageRootsAsync(home: string, project: string, replicas: readonly string[], store: ImageStore | string = home): Promise<string[]> {
  const layout = typeof store === 'string' ? storeLayout(store) : store.layout;
  const busy = new Set(await removeOverlaysAsync(replicas.map((r) => ({ dir: imageRootDir(home, project, r), leaseId: imageLeaseId(project, r) })), layout));
  return replicas.filter((r) => busy.has(imageRootDir(home, project, r)));
}

/** The image-root directories the project has (one per replica that ran from an image and was not removed). */
export function imageRootDirs(home: string, project: string): string[] {
  const dir = imageRootsDir(home, project);
  try {
    return readdirSync(dir).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/**
 * Every image root the project still has (an engine's recovery after a crash,
 * the end of `down`): each unmounted and removed with its lease. Returns
 * what could not be removed.
 */
export function removeImageRoots(home: string, project: string, store: ImageStore | string = home): string[] {
  const dir = imageRootsDir(home, project);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  try {
    removeImageRoot(home, project, names, store);
  } catch (err) {
    return [`image roots of project ${project}: ${(err as Error).message}`];
  }
  rmSync(dir, { recursive: true, force: true });
  return [];
}

/** Bytes the replica wrote into its root filesystem (its upper directory), or undefined when it runs without an image root. */
export async function imageRootDiskUsage(home: string, project: string, replica: string): Promise<number | undefined> {
  const upper = join(imageRootDir(home, project, replica), 'upper');
  return existsSync(upper) ? treeSize(upper) : undefined;
}
