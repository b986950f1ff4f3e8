// Helpers for the image configuration a build transforms. The type itself is
// the one the image store reads (core/images/image-config.ts), so a built image
// is read exactly as a pulled one.

import type { ImageConfig } from '../images/image-config.js';
import type { Platform } from '../images/platform.js';

export type { HistoryEntry, ImageConfig } from '../images/image-config.js';
export type { Platform } from '../images/platform.js';

/** The config of `FROM scratch`: nothing but the platform. */
export function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** A deep copy, so a stage never changes the config of its base. */
export function cloneConfig(config: ImageConfig): ImageConfig {
  return structuredClone(config);
}

/** `KEY=VALUE` entries with KEY replaced in place or appended, as Docker keeps Env ordered. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const entry = `${key}=${value}`;
  const i = env.findIndex((kv) => kv === key || kv.startsWith(`${key}=`));
  if (i < 0) return [...env, entry];
  const out = [...env];
  out[i] = entry;
  return out;
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
