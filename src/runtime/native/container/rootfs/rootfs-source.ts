// Where a container's root filesystem comes from, behind one interface so the
// sources are interchangeable: today the host's root, read-only (host-root.ts);
// next, an OCI image's layers stacked with overlayfs. A source prepares the
// directory runc uses as root.path and the mounts it needs, and removes what it
// made. Everything it creates lives in the replica's own directory, and every
// host-side mount it makes is listed, so a crashed engine's successor can undo
// exactly that.
import type { HostReplicaSpec } from '../../host-env.js';
import type { RootfsView } from '../oci-config.js';

/** A path the container will have a mount on: the source makes sure runc can create it. */
export interface MountTarget {
  path: string;
  kind: 'dir' | 'file';
}

export interface RootfsRequest {
  spec: HostReplicaSpec;
  /** The replica's private directory (its OCI bundle); the source may create entries in it. */
  dir: string;
  /** A directory of the project's for what replicas share (skeletons); removed with the project. */
  sharedDir: string;
  targets: readonly MountTarget[];
}

export interface PreparedRootfs extends RootfsView {
  /** Mounts the source made in the host's mount namespace (to unmount on cleanup), innermost last. */
  hostMounts: string[];
  /** Shared directories it created or uses under `sharedDir` (recorded for the project's removal). */
  shared: string[];
  /** A file of the root filesystem as the container sees it (for /etc/passwd and /etc/group), or undefined. */
  readFile(path: string): string | undefined;
}

export interface RootfsSource {
  readonly kind: 'host-root' | 'image';
  /** Work that must precede `prepare` (an image source reading its store, mounting layers); the engine awaits it first. */
  prepareAsync?(req: Pick<RootfsRequest, 'spec'>): Promise<void>;
  prepare(req: RootfsRequest): PreparedRootfs;
  /** Removes what prepare made under `dir` (idempotent; also for a crashed engine's leftovers). */
  cleanup(dir: string, hostMounts: readonly string[]): void;
}
