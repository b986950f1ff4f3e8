// Making sure each service's image is on the engine before its containers are
// created: pull or build per pull_policy and the `--pull`/`--build` flags,
// with progress reported per layer (pull) or per output line (build). Resolves
// to the image ID per service, which the planner compares to decide recreates.
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { parseCacheFrom } from '../../core/build/cache-sources.js';
import { TugError, throwIfAny } from '../../core/errors.js';
import { isRemoteContext } from '../../core/load/normalize/paths.js';
import type { BuildSpec, Project, ServiceSpec } from '../../core/model/types.js';
import type { ImagePreparation, ImageProgress } from '../backend.js';
import { buildContext } from './build-context.js';
import { engineError, isNotFound } from './engine-errors.js';
import { readJsonLines } from './streams.js';
import { imageName } from './to-create-options.js';
import { pushTo } from '../../core/multimap.js';

export type ImageAction = 'use' | 'pull' | 'build' | 'pull-or-build';

const PARALLEL = 4;

/** What to do for one service, given whether its image is already there. */
export function imageAction(svc: ServiceSpec, present: boolean, opts: Pick<ImagePreparation, 'build' | 'pull'>): ImageAction | TugError {
  const written = typeof svc.pull_policy === 'string' ? svc.pull_policy : 'missing';
  const policy = opts.pull ?? (written === 'if_not_present' ? 'missing' : written);
  if (svc.build) {
    if (opts.build === 'always' || policy === 'build') return 'build';
    if (policy === 'always' && svc.image) return 'pull-or-build';
    if (present) return 'use';
    if (opts.build === 'never') return svc.image && policy !== 'never' ? 'pull' : missing(svc, '--no-build was given');
    return svc.image && policy !== 'never' ? 'pull-or-build' : 'build';
  }
  if (policy === 'build') return missing(svc, 'pull_policy is build but the service has no build section');
  if (policy === 'always') return 'pull';
  if (present) return 'use';
  if (policy === 'never') return missing(svc, 'pull_policy is never');
  return 'pull';
}

function missing(svc: ServiceSpec, why: string): TugError {
  return new TugError({
    code: 'docker.image-missing',
    message: `image ${svc.image ?? '(none)'} is not on the engine and ${why}`,
    hint: 'build or pull it first, or change pull_policy',
  });
}

export async function prepareImages(docker: Dockerode, project: Project, services: string[], opts: ImagePreparation): Promise<Record<string, string>> {
  // Services sharing an image reference are served by one pull or build.
  const byImage = new Map<string, string[]>();
  for (const service of services) {
    const svc = project.services[service] ?? project.disabledServices[service];
    if (!svc) continue;
    const image = imageName(project.name, service, svc);
    pushTo(byImage, image, service);
  }
  const ids: Record<string, string> = {};
  const errors: TugError[] = [];
  await inParallel([...byImage], PARALLEL, async ([image, names]) => {
    const service = names.find((n) => project.services[n]?.build) ?? names[0]!;
    const svc = (project.services[service] ?? project.disabledServices[service])!;
    try {
      const id = await ensureImage(docker, project.name, service, svc, image, opts);
      for (const n of names) ids[n] = id;
    } catch (err) {
      if (err instanceof TugError) errors.push(err);
      else errors.push(new TugError({ code: 'docker.image', message: `service "${service}": ${(err as Error).message}` }));
    }
  });
  throwIfAny(errors);
  return ids;
}

async function ensureImage(docker: Dockerode, project: string, service: string, svc: ServiceSpec, image: string, opts: ImagePreparation): Promise<string> {
  const present = await imageId(docker, image);
  const action = imageAction(svc, present !== undefined, opts);
  if (action instanceof TugError) throw action;
  const progress = (p: Omit<ImageProgress, 'service' | 'image'>) => opts.onProgress?.({ service, image, ...p });
  if (action === 'use') return present!;
  if (action === 'pull') await pullImage(docker, image, progress, opts.signal);
  else if (action === 'build') await buildImage(docker, project, service, svc.build!, image, progress, opts.signal);
  else {
    // Compose pulls first when a built service also names an image, and builds when the pull fails.
    try {
      await pullImage(docker, image, progress, opts.signal);
    } catch {
      progress({ action: 'pull', status: 'pull failed; building instead' });
      await buildImage(docker, project, service, svc.build!, image, progress, opts.signal);
    }
  }
  const id = await imageId(docker, image);
  if (!id) throw new TugError({ code: 'docker.image-missing', message: `image ${image} of service "${service}" is still missing after ${action}` });
  return id;
}

export async function imageId(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw engineError(err, `inspect image ${image}`);
  }
}

type Progress = (p: Omit<ImageProgress, 'service' | 'image'>) => void;

export async function pullImage(docker: Dockerode, image: string, progress: Progress, signal?: AbortSignal): Promise<void> {
  let stream: Readable;
  try {
    stream = (await docker.pull(image, { abortSignal: signal })) as Readable;
  } catch (err) {
    throw new TugError({ code: 'docker.pull-failed', message: `cannot pull ${image}: ${(engineError(err, 'pull') as Error).message.replace(/^cannot pull: /, '')}` });
  }
  let failure: string | undefined;
  await readJsonLines(stream, (msg) => {
    if (typeof msg.error === 'string') failure = msg.error;
    else if (typeof msg.status === 'string') {
      const detail = (msg.progressDetail ?? {}) as { current?: number; total?: number };
      progress({ action: 'pull', status: msg.status, layer: typeof msg.id === 'string' ? msg.id : undefined, current: detail.current, total: detail.total });
    }
  });
  if (failure) throw new TugError({ code: 'docker.pull-failed', message: `cannot pull ${image}: ${failure}` });
}

export async function buildImage(
  docker: Dockerode,
  project: string,
  service: string,
  build: BuildSpec,
  image: string,
  progress: Progress,
  signal?: AbortSignal,
): Promise<void> {
  const query: Record<string, unknown> = { t: image, rm: true, forcerm: true, abortSignal: signal };
  const buildargs = Object.fromEntries(Object.entries(build.args ?? {}).filter((e): e is [string, string] => e[1] !== null));
  if (Object.keys(buildargs).length > 0) query.buildargs = buildargs;
  if (build.target) query.target = build.target;
  if (build.labels && Object.keys(build.labels).length > 0) query.labels = build.labels;
  if (build.no_cache === true) query.nocache = true;
  if (build.pull === true) query.pull = true;
  // The classic builder takes plain image names (a JSON list; docker-modem would send an
  // array as repeated keys); BuildKit's type=… forms mean nothing to it.
  const cacheFrom = parseCacheFrom(Array.isArray(build.cache_from) ? (build.cache_from as string[]) : []).images;
  if (cacheFrom.length > 0) query.cachefrom = JSON.stringify(cacheFrom);
  if (typeof build.network === 'string') query.networkmode = build.network;
  if (typeof build.shm_size === 'number') query.shmsize = build.shm_size;
  let body: Readable | undefined;
  if (isRemoteContext(build.context)) query.remote = build.context;
  else {
    const ctx = await buildContext(build.context, { dockerfile: build.dockerfile, dockerfileInline: build.dockerfile_inline });
    body = ctx.stream;
    query.dockerfile = ctx.dockerfile;
  }
  let stream: Readable;
  try {
    stream = (await docker.buildImage(body as unknown as NodeJS.ReadableStream, query as Dockerode.ImageBuildOptions)) as Readable;
  } catch (err) {
    throw buildFailed(project, service, (engineError(err, 'build') as Error).message.replace(/^cannot build: /, ''));
  }
  let failure: string | undefined;
  let pendingText = '';
  await readJsonLines(stream, (msg) => {
    if (typeof msg.error === 'string') failure = msg.error.trim();
    else if (typeof msg.stream === 'string') {
      const lines = (pendingText + msg.stream).split('\n');
      pendingText = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') progress({ action: 'build', status: line });
    }
  });
  if (pendingText.trim() !== '') progress({ action: 'build', status: pendingText });
  if (failure) throw buildFailed(project, service, failure);
  for (const tag of Array.isArray(build.tags) ? (build.tags as string[]) : []) {
    const colon = tag.lastIndexOf(':');
    const [repo, t] = colon > tag.lastIndexOf('/') ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, 'latest'];
    await docker.getImage(image).tag({ repo, tag: t });
  }
}

function buildFailed(project: string, service: string, message: string): TugError {
  return new TugError({
    code: 'docker.build-failed',
    message: `failed to build service "${service}" of project ${project}: ${message}`,
    hint: 'the builder output above shows the failing step',
  });
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Removes each image that has no tag left; the engine refuses (and it is kept) while a container uses it. */
export async function removeUnusedImages(docker: Dockerode, ids: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const id of new Set(ids)) {
    try {
      const info = await docker.getImage(id).inspect();
      const tags = (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      if (tags.length > 0) continue;
      await docker.getImage(id).remove({ noprune: false });
      removed.push(id);
    } catch {
      // gone already, or still in use: nothing to prune
    }
  }
  return removed;
}
