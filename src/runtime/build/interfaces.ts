// Where tug's builder meets the parts it does not own: a StepExecutor runs a
// RUN step in an isolated container (the container runtime implements it), a
// LayerStore keeps layers by cache key and shows a rootfs read-only, and an
// ImageStoreWriter resolves base images and commits and tags the result (the
// image store implements both). The builder speaks only these types.
import type { Readable } from 'node:stream';
import type { ImageConfig } from '../../core/build/image-config.js';
import type { LayerEntry, SourceFile } from '../../core/build/copy-layout.js';
import type { InlineFile } from '../../core/build/plan/steps.js';

/** A filesystem state: layers by diff ID, bottom first (the overlay's lowerdirs, reversed). */
export interface Rootfs {
  readonly diffIds: readonly string[];
}

/**
 * A step's changes: a tar (COPY/ADD, made by the builder), or the upper
 * directory of the RUN container (overlay whiteouts in it: 0/0 character
 * devices and the opaque xattr; upperdir-diff.ts turns it into a layer tar),
 * or nothing at all.
 */
export type LayerDiff =
  | {
      kind: 'tar';
      open(): Readable;
      /** The tar's entries, when the builder made it (COPY/ADD, WORKDIR): a store may write them as they are instead of unpacking the tar. */
      entries?: readonly LayerEntry[];
    }
  | { kind: 'upperdir'; path: string }
  | { kind: 'empty' };

export interface RunRequest {
  rootfs: Rootfs;
  argv: string[];
  env: string[];
  /** As USER wrote it (`app`, `1000:1000`), resolved by the runtime against the rootfs; "" is root. */
  user: string;
  /** Created (0755, root) when missing, as Docker does. */
  workdir: string;
  /** Files to place read-only (a heredoc script with `#!` at /dev/pipes/NAME). */
  files: InlineFile[];
  /** none: a network namespace of its own with loopback only; host: the host's network namespace, DNS and hosts file. */
  network: 'none' | 'host';
  /** Bytes of /dev/shm (`build.shm_size`). */
  shmSize?: number;
  /** `host:ip` lines for /etc/hosts (`build.extra_hosts`). */
  extraHosts: string[];
  onOutput(line: string, stream: 'stdout' | 'stderr'): void;
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  /**
   * The changes, when the command succeeded. On failure there is none: the
   * executor has already removed the container, its upper directory and mounts.
   */
  diff?: LayerDiff;
}

export interface StepExecutor {
  run(request: RunRequest): Promise<RunResult>;
}

/** A layer as the cache knows it. */
export interface LayerRecord {
  key: string;
  /** Undefined for a step that changed nothing (an empty layer in the history). */
  diffId?: string;
  /** RFC 3339: when the step first ran. A rebuild from the cache reuses it, so the image ID stays. */
  created: string;
}

/** A rootfs seen read-only, as the builder reads it for COPY --from, --chown names and destinations. */
export interface RootfsView {
  /** What is at an absolute path (not following a final symlink); undefined when nothing is. */
  stat(path: string): Promise<SourceFile | undefined>;
  /** Everything under a directory, `rel` relative to it, parents first; each file's `path` readable on disk. */
  list(path: string): Promise<SourceFile[]>;
  /** A small file's content (/etc/passwd), undefined when missing. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Lets go of whatever the view holds (a mount, a lease). */
  release(): Promise<void>;
}

export interface LayerStore {
  /** The layer a step with this cache key produced before, if it is still kept. */
  lookup(key: string): Promise<LayerRecord | undefined>;
  /**
   * Records under `key` a step another image holds (cache_from): its layer,
   * held for this build, or none for a step that wrote nothing. Undefined when
   * the layer is no longer in the store.
   */
  adopt(key: string, step: { diffId?: string; created: string }): Promise<LayerRecord | undefined>;
  /** Stores a step's diff under `key` (replacing an older one: --no-cache), returning its record. */
  commit(key: string, diff: LayerDiff, created: string): Promise<LayerRecord>;
  view(rootfs: Rootfs): Promise<RootfsView>;
}

export interface ResolvedImage {
  /** sha256 of the config. */
  id: string;
  config: ImageConfig;
}

export interface ImageStoreWriter {
  /** An image a FROM or COPY --from names; `pull` refreshes it from its registry first. */
  resolveImage(ref: string, options: { platform?: string; pull: boolean }): Promise<ResolvedImage>;
  /** An image already in the store (cache_from), held for this build; never pulled. */
  localImage(ref: string): Promise<ResolvedImage | undefined>;
  /** Stores the config (the layers are in the LayerStore already) and returns the image ID. */
  commitImage(config: ImageConfig): Promise<string>;
  tag(imageId: string, ref: string): Promise<void>;
}
