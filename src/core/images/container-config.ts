// What a replica runs, from its image's config and its service, by Docker's and
// Compose's rules (IMAGE-FACTS §4): `entrypoint:` replaces Entrypoint and drops
// the image's Cmd, `command:` replaces Cmd; image Env fills only keys the
// service does not set, over PATH/HOSTNAME defaults; working_dir, user,
// stop_signal and each healthcheck field fall back to the image's; exposed
// ports and labels are unions (the service's labels win); image Volumes the
// service does not mount become anonymous volumes seeded from the image.
import { TugError } from '../errors.js';
import { formatDuration } from '../load/normalize/units.js';
import type { HealthcheckSpec, ServiceSpec } from '../model/types.js';
import { nsToMs } from '../model/timing.js';
import type { ImageHealthcheck, ImageRuntimeConfig } from './image-config.js';
import { resolveUser, type ResolvedUser } from '../model/user.js';
import { compareText } from '../compare.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerConfig {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  user: ResolvedUser;
  /** "8080/tcp", sorted. */
  exposedPorts: string[];
  healthcheck?: HealthcheckSpec;
  stopSignal: string;
  labels: Record<string, string>;
  /** Paths that get an anonymous volume seeded from the image's content there. */
  imageVolumes: string[];
}

export interface ContainerConfigInput {
  service: string;
  spec: ServiceSpec;
  image: ImageRuntimeConfig;
  /** The image's /etc/passwd and /etc/group, when it has them. */
  passwd?: string;
  group?: string;
  hostname: string;
  tty?: boolean;
}

export function containerConfig(input: ContainerConfigInput): ContainerConfig {
  const { spec, image } = input;
  const argv = commandLine(spec, image);
  if (argv.length === 0) {
    throw new TugError({
      code: 'image.no-command',
      message: `service "${input.service}": no command specified (the image has no Entrypoint or Cmd, and the service sets neither)`,
      hint: 'add command: to the service',
      path: ['services', input.service],
    });
  }
  const groupAdd = Array.isArray(spec.group_add) ? spec.group_add.map(String) : [];
  const user = resolveUser(spec.user ?? image.User, { passwd: input.passwd, group: input.group }, { service: input.service, groupAdd });
  return {
    argv,
    env: environment(spec, image, input, user),
    workingDir: absolute(spec.working_dir || image.WorkingDir || '/'),
    user,
    exposedPorts: exposedPorts(spec, image),
    ...withHealthcheck(spec.healthcheck, image.Healthcheck),
    stopSignal: spec.stop_signal || image.StopSignal || 'SIGTERM',
    labels: { ...(image.Labels ?? {}), ...(spec.labels ?? {}) },
    imageVolumes: imageVolumes(spec, image),
  };
}

/**
 * The service as it runs from its image, for a runtime that reads these from
 * the service (the native container runtime): user and stop_signal fall back
 * to the image's, the health check is merged per field, the image's
 * exposed ports join `expose`, and its VOLUMEs become anonymous volumes. The image's ENV, WORKDIR, ENTRYPOINT and CMD
 * are not folded in: the root filesystem carries them, so the service's own
 * settings keep their Compose meaning (an `entrypoint:` drops the image's CMD).
 */
export function serviceWithImageDefaults(spec: ServiceSpec, image: ImageRuntimeConfig): ServiceSpec {
  const out: ServiceSpec = { ...spec };
  const user = spec.user ?? (image.User || undefined);
  if (user !== undefined) out.user = user;
  const stopSignal = spec.stop_signal || image.StopSignal;
  if (stopSignal) out.stop_signal = stopSignal;
  const { healthcheck } = withHealthcheck(spec.healthcheck, image.Healthcheck);
  if (healthcheck) out.healthcheck = healthcheck;
  const expose = exposedPorts(spec, image);
  if (expose.length > 0) out.expose = expose;
  // Each image VOLUME the service does not mount becomes an anonymous volume, as with Docker.
  const fromImage = imageVolumes(spec, image).map((target) => ({ type: 'volume' as const, target }));
  if (fromImage.length > 0) out.volumes = [...(spec.volumes ?? []), ...fromImage];
  return out;
}

function commandLine(spec: ServiceSpec, image: ImageRuntimeConfig): string[] {
  const reset = (a: string[]) => (a.length === 1 && a[0] === '' ? [] : a);
  if (Array.isArray(spec.entrypoint)) return [...reset(spec.entrypoint), ...(Array.isArray(spec.command) ? reset(spec.command) : [])];
  const entry = image.Entrypoint ?? [];
  const cmd = Array.isArray(spec.command) ? reset(spec.command) : (image.Cmd ?? []);
  return [...entry, ...cmd];
}

function environment(spec: ServiceSpec, image: ImageRuntimeConfig, input: ContainerConfigInput, user: ResolvedUser): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: input.hostname };
  if (input.tty) env.TERM = 'xterm';
  Object.assign(env, imageEnvironment(image.Env ?? []));
  for (const [k, v] of Object.entries(spec.environment ?? {})) if (v !== null) env[k] = v;
  env.HOME ??= user.home;
  return env;
}

/** An image's `Env` ("K=V" strings) as a map; entries without a name are ignored. */
export function imageEnvironment(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** A WorkingDir as an absolute path (images may carry "app" for "/app"). */
export function absolute(dir: string): string {
  return dir.startsWith('/') ? dir : `/${dir}`;
}

function exposedPorts(spec: ServiceSpec, image: ImageRuntimeConfig): string[] {
  const ports = new Set(Object.keys(image.ExposedPorts ?? {}).map((p) => (p.includes('/') ? p : `${p}/tcp`)));
  for (const e of spec.expose ?? []) ports.add(String(e).includes('/') ? String(e) : `${e}/tcp`);
  return [...ports].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || compareText(a, b));
}

/** Per field: the service's, else the image's; `disable` or a NONE test means none at all. */
function withHealthcheck(service: HealthcheckSpec | undefined, image: ImageHealthcheck | undefined): { healthcheck?: HealthcheckSpec } {
  if (service?.disable || service?.test?.[0] === 'NONE') return {};
  const fromImage: HealthcheckSpec = {};
  if (image?.Test && image.Test.length > 0 && image.Test[0] !== 'NONE') fromImage.test = image.Test;
  const ns = (v: number | undefined) => (v && v > 0 ? formatDuration(nsToMs(v)) : undefined);
  const interval = ns(image?.Interval);
  const timeout = ns(image?.Timeout);
  const startPeriod = ns(image?.StartPeriod);
  const startInterval = ns(image?.StartInterval);
  if (interval) fromImage.interval = interval;
  if (timeout) fromImage.timeout = timeout;
  if (startPeriod) fromImage.start_period = startPeriod;
  if (startInterval) fromImage.start_interval = startInterval;
  if (image?.Retries && image.Retries > 0) fromImage.retries = image.Retries;
  const merged: HealthcheckSpec = { ...fromImage };
  for (const [k, v] of Object.entries(service ?? {})) {
    if (v === undefined || k === 'disable' || (k === 'test' && Array.isArray(v) && v.length === 0)) continue;
    (merged as Record<string, unknown>)[k] = v;
  }
  return merged.test ? { healthcheck: merged } : {};
}

/**
 * The image VOLUME targets that get an anonymous volume: those the service
 * does not mount, and those it mounts as a volume without a name (as
 * serviceWithImageDefaults adds them). Each is seeded from the image on first use.
 */
export function anonymousImageVolumes(spec: ServiceSpec, image: ImageRuntimeConfig): string[] {
  const anonymous = new Set((spec.volumes ?? []).filter((v) => v.type === 'volume' && !v.source).map((v) => v.target.replace(/\/+$/, '') || '/'));
  const declared = Object.keys(image.Volumes ?? {}).map((p) => absolute(p).replace(/\/+$/, '') || '/');
  return [...new Set([...imageVolumes(spec, image), ...declared.filter((p) => anonymous.has(p))])].sort();
}

function imageVolumes(spec: ServiceSpec, image: ImageRuntimeConfig): string[] {
  const mounted = new Set((spec.volumes ?? []).map((v) => v.target.replace(/\/+$/, '') || '/'));
  return Object.keys(image.Volumes ?? {})
    .map((p) => absolute(p).replace(/\/+$/, '') || '/')
    .filter((p) => !mounted.has(p))
    .sort();
}
