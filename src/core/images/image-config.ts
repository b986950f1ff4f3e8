// The image configuration (IS config.md, plus Docker's Healthcheck extension)
// as tug reads it from a config blob: the runtime defaults (Env, Entrypoint,
// Cmd, User, WorkingDir, ExposedPorts, Volumes, Labels, StopSignal,
// Healthcheck) and the diff IDs that tie the layers to it.
import { TugError } from '../errors.js';
import { isDigest } from './manifest.js';

/**
 * Docker's health check as images (and the Engine API) carry it. One type for
 * every place that reads or writes it: pulled and built images, docker create.
 */
export interface ImageHealthcheck {
  /** ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"], or [] (inherit). */
  Test?: string[];
  /** Integer nanoseconds; 0 or absent means inherit. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` of an image: field for field what `docker image inspect` shows under Config. */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: ImageHealthcheck;
  /** Docker extensions a build reads: SHELL and ONBUILD. */
  Shell?: string[];
  OnBuild?: string[] | null;
}

export interface HistoryEntry {
  /** RFC 3339; a build sets it from the layer's cache record so rebuilds are byte-identical. */
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config: ImageRuntimeConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

export function parseImageConfig(bytes: string, what: string): ImageConfig {
  const fail = (why: string) => new TugError({ code: 'image.config-invalid', message: `${what}: the image configuration ${why}` });
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes) as Record<string, unknown>;
  } catch {
    throw fail('is not JSON');
  }
  if (!doc || typeof doc !== 'object') throw fail('is not a JSON object');
  const rootfs = doc.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw fail('has no valid rootfs.diff_ids');
  }
  const config = (doc.config && typeof doc.config === 'object' ? doc.config : {}) as ImageRuntimeConfig;
  return {
    architecture: typeof doc.architecture === 'string' ? doc.architecture : '',
    os: typeof doc.os === 'string' ? doc.os : '',
    ...(typeof doc.variant === 'string' && { variant: doc.variant }),
    ...(typeof doc.created === 'string' && { created: doc.created }),
    config,
    rootfs: { type: String(rootfs.type ?? 'layers'), diff_ids: rootfs.diff_ids as string[] },
    // A build on top of this image carries its history on (docker history lists the base's steps too).
    ...(Array.isArray(doc.history) && { history: (doc.history as unknown[]).filter((h): h is HistoryEntry => !!h && typeof h === 'object') }),
  };
}
