// How each service runs: as a container or as a host process. Pure. The
// choice comes from, in order: the service's `x-tug: {isolation: ...}`, the
// `--isolation` flag, TUG_ISOLATION, else `auto`. `auto` runs a service with
// an image as a container rooted in that image, and one without as a host
// process, as before containers existed.
// Where a container is asked for and this machine cannot give one, the error
// names every such service and what is missing, before anything starts.
import { TugError } from '../../../core/errors.js';
import type { ServiceSpec } from '../../../core/model/types.js';
import type { CapabilityReport } from './capability-report.js';

export type IsolationSetting = 'auto' | 'container' | 'process';
export type Isolation = 'container' | 'process';

const SETTINGS: readonly string[] = ['auto', 'container', 'process'];

/**
 * Whether a service with an `image` can get that image as its root
 * filesystem (container/rootfs/image-root.ts): then `auto` runs it in a
 * container rooted in its image, and falls back to a host process (which
 * needs a command) only where this machine cannot run containers.
 */
export const IMAGE_ROOTFS = true;

export interface IsolationInputs {
  /** `--isolation`, when given. */
  flag?: string;
  /** TUG_ISOLATION, when set. */
  env?: string;
  report: CapabilityReport;
  /** Whether image root filesystems are available (IMAGE_ROOTFS). */
  imageRootfs: boolean;
}

export function parseIsolation(value: string, origin: string): IsolationSetting {
  if (SETTINGS.includes(value)) return value as IsolationSetting;
  throw new TugError({ code: 'usage', message: `${origin}: unknown isolation "${value}"`, expected: 'auto, container or process', exitCode: 2 });
}

/** The project-wide setting: the flag, else TUG_ISOLATION, else auto. */
export function globalIsolation(flag: string | undefined, env: string | undefined): IsolationSetting {
  return flag !== undefined ? parseIsolation(flag, '--isolation') : env ? parseIsolation(env, 'TUG_ISOLATION') : 'auto';
}

function serviceSetting(name: string, spec: ServiceSpec): IsolationSetting | undefined {
  const ext = spec['x-tug'];
  if (typeof ext !== 'object' || ext === null || !('isolation' in ext)) return undefined;
  const value = (ext as { isolation: unknown }).isolation;
  if (typeof value === 'string' && SETTINGS.includes(value)) return value as IsolationSetting;
  throw new TugError({
    code: 'config.isolation',
    message: `service ${name}: x-tug.isolation must be auto, container or process, not ${JSON.stringify(value)}`,
    path: ['services', name, 'x-tug', 'isolation'],
  });
}

/** What a service asks for, before the machine is consulted: `explicit` when the file or flag said container. */
export function requestedIsolation(name: string, spec: ServiceSpec, global: IsolationSetting, imageRootfs: boolean): { mode: Isolation; explicit: boolean } {
  const setting = serviceSetting(name, spec) ?? global;
  if (setting !== 'auto') return { mode: setting, explicit: setting === 'container' };
  // A service with build: has an image too: the one built for it.
  const hasImage = (typeof spec.image === 'string' && spec.image !== '') || spec.build !== undefined;
  return { mode: hasImage && imageRootfs ? 'container' : 'process', explicit: false };
}

/** Whether the service runs as a container, by the file, the flag and the environment alone. */
export function wantsContainer(service: string, svc: ServiceSpec, setting: IsolationSetting): boolean {
  return requestedIsolation(service, svc, setting, IMAGE_ROOTFS).mode === 'container';
}

/** The isolation of every service, or one TugError naming each service that cannot run as asked. */
export function decideIsolation(services: Readonly<Record<string, ServiceSpec>>, inputs: IsolationInputs): Record<string, Isolation> {
  const global = globalIsolation(inputs.flag, inputs.env);
  const out: Record<string, Isolation> = {};
  const impossible: string[] = [];
  const available = inputs.report.containers.available;
  for (const [name, spec] of Object.entries(services)) {
    const { mode, explicit } = requestedIsolation(name, spec, global, inputs.imageRootfs);
    // `auto` falls back to a host process where containers are impossible; an explicit `container` does not.
    out[name] = mode === 'container' && !available && !explicit ? 'process' : mode;
    if (out[name] === 'container' && !available) impossible.push(name);
  }
  if (impossible.length > 0) {
    const fixes = inputs.report.capabilities.filter((c) => c.status === 'missing' && c.fix).map((c) => c.fix!);
    throw new TugError({
      code: 'container.unavailable',
      message: `${impossible.length === 1 ? 'service' : 'services'} ${impossible.join(', ')} must run as ${impossible.length === 1 ? 'a container' : 'containers'}, but this machine cannot run containers: missing ${inputs.report.containers.missing.join(' and ')}`,
      hint: [...new Set(fixes)].join('; ') || 'run `tug doctor` to see what is missing, or use --isolation process',
    });
  }
  return out;
}
