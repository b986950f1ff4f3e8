// The image configuration a build transforms, shaped as the OCI image config
// with Docker's extensions (Healthcheck, OnBuild, Shell), field for field what
// `docker image inspect` shows under Config, so the image store reads a built
// image exactly as a pulled one.

export interface HealthConfig {
  /** ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"], or [] (inherit). */
  Test?: string[];
  /** Nanoseconds; 0 or absent means inherit. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[] | null;
}

export interface HistoryEntry {
  /** RFC 3339; the builder sets it from the layer's cache record so rebuilds are byte-identical. */
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
  config: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: HistoryEntry[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

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
