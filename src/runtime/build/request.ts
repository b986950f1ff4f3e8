// A Compose `build:` section (already normalized) as a request to tug's own
// builder: the Dockerfile read from the context (or dockerfile_inline), build
// args with command-line overrides, the image tagged `<project>-<service>` when
// `image:` is absent (as Compose does) plus `build.tags`, and the build-only
// options. What this builder cannot honour is refused here, each problem with
// its YAML path, all at once: remote contexts, networks other than none and
// host, secrets/ssh/additional contexts, privileged builds.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConfigErrors, TugError } from '../../core/errors.js';
import { isRemoteContext } from '../../core/load/resolve-paths.js';
import type { Platform } from '../../core/build/image-config.js';
import type { BuildSpec, ServiceSpec } from '../../core/model/types.js';
import type { BuildRequest } from './builder.js';

export interface BuildInvocation {
  /** `--no-cache`; `build.no_cache` also turns it on. */
  noCache?: boolean;
  /** `--pull`; `build.pull` also turns it on. */
  pull?: boolean;
  /** `--build-arg K=V`, over `build.args`. */
  buildArgs?: Record<string, string>;
  platform: Platform;
  parallelism?: number;
  signal?: AbortSignal;
}

/** What build.network may say here: `default` and `none` are the same (loopback only); `host` shares the host's network. */
const BUILD_NETWORKS = ['default', 'none', 'host'];

const REFUSED: Record<string, string> = {
  secrets: 'build secrets need RUN --mount=type=secret, which tug does not support',
  ssh: 'SSH forwarding needs RUN --mount=type=ssh, which tug does not support',
  additional_contexts: 'only one build context is supported; COPY --from an image or an earlier stage instead',
  privileged: 'builds never run privileged here',
  isolation: 'isolation modes are a Windows feature',
};

/** The request for building `service`, or every problem with its `build:` section at once. */
export async function buildRequestFor(project: string, service: string, svc: ServiceSpec, invocation: BuildInvocation): Promise<BuildRequest> {
  const spec = svc.build;
  const at = (...key: string[]) => ['services', service, 'build', ...key];
  const errors: TugError[] = [];
  const refuse = (key: string, message: string, hint?: string) => errors.push(new TugError({ code: 'build.unsupported', message, path: at(key), hint }));
  if (!spec) throw new TugError({ code: 'build.none', message: `service ${service} has no build section`, path: ['services', service] });
  if (isRemoteContext(spec.context)) refuse('context', `build.context ${spec.context} is a URL: tug's builder builds from a local directory`, 'clone or download it and point context at the directory, or use --backend docker');
  else if (!(await stat(spec.context).then((s) => s.isDirectory(), () => false))) refuse('context', `build.context ${spec.context} is not a directory`);
  if (spec.network !== undefined && !BUILD_NETWORKS.includes(String(spec.network))) {
    refuse('network', `build.network ${String(spec.network)} is not supported: tug's builder runs RUN steps with no network (none, the default) or on the host's (host)`, 'set network: host for RUN steps that need the network, or use --backend docker to build on a Docker network');
  }
  for (const [key, why] of Object.entries(REFUSED)) if (isSet(spec[key])) refuse(key, `build.${key} is not supported`, why);
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ConfigErrors(errors);

  const dockerfile = await dockerfileOf(spec, at);
  const buildArgs: Record<string, string | null> = { ...(spec.args ?? {}), ...(invocation.buildArgs ?? {}) };
  const extraHosts = Object.entries((spec.extra_hosts ?? {}) as Record<string, string[]>).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`));
  const tags = [svc.image ?? `${project}-${service}`, ...(Array.isArray(spec.tags) ? (spec.tags as string[]) : [])];
  return {
    name: service,
    dockerfile,
    contextDir: spec.context,
    dockerfileName: spec.dockerfile_inline === undefined ? spec.dockerfile : undefined,
    buildArgs,
    target: spec.target,
    labels: spec.labels,
    tags: [...new Set(tags)],
    cacheFrom: Array.isArray(spec.cache_from) ? (spec.cache_from as string[]) : [],
    noCache: invocation.noCache === true || spec.no_cache === true,
    pull: invocation.pull === true || spec.pull === true,
    shmSize: typeof spec.shm_size === 'number' ? spec.shm_size : undefined,
    extraHosts,
    network: spec.network === 'host' ? 'host' : 'none',
    platform: invocation.platform,
    parallelism: invocation.parallelism,
    signal: invocation.signal,
  };
}

async function dockerfileOf(spec: BuildSpec, at: (...key: string[]) => string[]): Promise<BuildRequest['dockerfile']> {
  if (spec.dockerfile_inline !== undefined) return { text: spec.dockerfile_inline, path: 'dockerfile_inline' };
  const path = isAbsolute(spec.dockerfile ?? 'Dockerfile') ? spec.dockerfile! : join(spec.context, spec.dockerfile ?? 'Dockerfile');
  try {
    return { text: await readFile(path, 'utf8'), path };
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TugError({
      code: 'build.dockerfile',
      message: missing ? `the Dockerfile ${path} does not exist` : `cannot read the Dockerfile ${path}: ${(err as Error).message}`,
      path: at('dockerfile'),
      hint: missing ? 'set build.dockerfile to its path relative to the context, or write it inline with dockerfile_inline' : undefined,
    });
  }
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
