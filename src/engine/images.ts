// The images of a project's services: getting them before a verb runs them
// (pulled or built per pull_policy and the --pull/--build flags, per-layer
// progress as events), `tug pull`, `tug images`, and `down --rmi`. Backends
// without images have nothing to prepare and refuse the rest with a hint.
import { TugError, throwIfAny, usageError } from '../core/errors.js';
import type { Project } from '../core/model/types.js';
import type { ImageFacet, ImageRemoval, ProjectImage } from '../runtime/backend.js';
import { emit, type EngineContext } from './context.js';

export interface ImageFlags {
  /** true: build first (--build); false: never build (--no-build); default: build what is missing. */
  build?: boolean;
  pull?: 'always' | 'missing' | 'never';
  signal?: AbortSignal;
}

/** The image identity per service (the recreate decision compares it), or undefined when the backend has no images. */
export async function prepareImages(
  ctx: EngineContext,
  project: Project,
  services: string[],
  flags: ImageFlags,
): Promise<Record<string, string> | undefined> {
  const facet = ctx.backend.images;
  if (!facet) return undefined;
  try {
    return await facet.prepare(project, services, {
      build: flags.build === true ? 'always' : flags.build === false ? 'never' : 'missing',
      pull: flags.pull,
      signal: flags.signal,
      onProgress: (progress) => emit(ctx, { type: 'image', progress }),
      onBuild: (event) => emit(ctx, { type: 'build', event }),
    });
  } finally {
    await ctx.hooks.settle?.();
  }
}

export interface PullOptions {
  /** Only these services (default: all). */
  services?: string[];
  /** A failed pull is a warning, not a failure. */
  ignorePullFailures?: boolean;
  signal?: AbortSignal;
}

/**
 * `tug pull`: the images of the services (one pull per image shared). A
 * service with build: whose pull fails only warns (it can be built), as in
 * Compose; so does every failure with ignorePullFailures. Resolves to the
 * image ID per service pulled.
 */
export async function pull(ctx: EngineContext, project: Project, opts: PullOptions = {}): Promise<Record<string, string>> {
  const facet = imagesOf(ctx, 'pull');
  const services = chosen(project, opts.services);
  try {
    const result = await facet.pull(project, services, { signal: opts.signal, onProgress: (progress) => emit(ctx, { type: 'image', progress }) });
    const errors: TugError[] = [];
    for (const [service, err] of Object.entries(result.failures)) {
      if (project.services[service]?.build || opts.ignorePullFailures) emit(ctx, { type: 'warning', message: err.message });
      else errors.push(err);
    }
    throwIfAny(errors);
    return result.ids;
  } finally {
    await ctx.hooks.settle?.();
  }
}

/** `tug images`: the images the services use, sorted by service; services whose image is missing are left out. */
export function listImages(ctx: EngineContext, project: Project, services?: string[]): Promise<ProjectImage[]> {
  return imagesOf(ctx, 'images').list(project, chosen(project, services));
}

/** `down --rmi`: removes the names; those kept because replicas elsewhere use them are warned about, missing ones are skipped. */
export async function removeImages(ctx: EngineContext, names: readonly string[]): Promise<ImageRemoval[]> {
  if (names.length === 0) return [];
  const removals = await imagesOf(ctx, 'down --rmi').remove(names);
  for (const r of removals) {
    if (r.outcome === 'removed') emit(ctx, { type: 'notice', message: `removed image ${r.name}` });
    if (r.outcome === 'kept') emit(ctx, { type: 'warning', message: `kept image ${r.name}: ${r.reason ?? 'it is in use'}` });
  }
  return removals;
}

function imagesOf(ctx: EngineContext, verb: string): ImageFacet {
  const facet = ctx.backend.images;
  if (!facet) throw usageError(`${verb} needs a backend that keeps images; the ${ctx.backend.name} backend has none`);
  return facet;
}

function chosen(project: Project, services: readonly string[] | undefined): string[] {
  if (!services || services.length === 0) return Object.keys(project.services).sort();
  for (const s of services) if (!project.services[s]) throw usageError(`no such service: ${s}`, `services in this project: ${Object.keys(project.services).join(', ')}`);
  return [...services].sort();
}
