// Getting the images of the services a verb is about to run: pulled or built
// per pull_policy and the --pull/--build flags, with per-layer progress as
// events. Backends without images have nothing to prepare.
import type { Project } from '../core/model/types.js';
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
    });
  } finally {
    await ctx.hooks.settle?.();
  }
}
