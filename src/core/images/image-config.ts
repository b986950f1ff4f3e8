// The image configuration (IS config.md, plus Docker's Healthcheck extension)
// as tug reads it from a config blob: the runtime defaults (Env, Entrypoint,
// Cmd, User, WorkingDir, ExposedPorts, Volumes, Labels, StopSignal,
// Healthcheck) and the diff IDs that tie the layers to it.
import { TugError } from '../errors.js';
import { isDigest } from './manifest.js';

export interface ImageHealthcheck {
  Test?: string[];
  /** Integer nanoseconds; 0 or absent means inherit. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

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
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config: ImageRuntimeConfig;
  rootfs: { type: string; diff_ids: string[] };
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
  };
}
