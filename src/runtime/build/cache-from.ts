// The cache sources of one build (build.cache_from): the images it names,
// looked up in the local store only (never pulled, as the classic builder
// does not pull them), and the steps their histories record by cache key.
// An entry that names no image there, or a BuildKit cache, is a notice.
import { cachedSteps, parseCacheFrom, type CachedStep } from '../../core/build/cache-sources.js';
import type { BuildEvent } from '../../core/build/events.js';
import type { ImageStoreWriter } from './interfaces.js';

export async function cacheSources(name: string, entries: readonly string[], images: ImageStoreWriter, emit: (event: BuildEvent) => void): Promise<Map<string, CachedStep>> {
  const steps = new Map<string, CachedStep>();
  const { images: refs, notices } = parseCacheFrom(entries);
  for (const message of notices) emit({ type: 'notice', build: name, message });
  for (const ref of refs) {
    const image = await images.localImage(ref);
    if (!image) {
      emit({ type: 'notice', build: name, message: `cache_from ${ref}: no such image in tug's image store (pull or build it first); building without it` });
      continue;
    }
    const found = cachedSteps(image.config);
    if (found.size === 0) emit({ type: 'notice', build: name, message: `cache_from ${ref}: the image was not built by tug's builder, so none of its steps can be matched; building without it` });
    for (const [key, step] of found) if (!steps.has(key)) steps.set(key, step);
  }
  return steps;
}
