// build.cache_from on tug's builder. Each filesystem step's history entry
// carries its cache key (in `comment`, where BuildKit writes its own mark), so
// an image built by tug can serve its steps as cache hits to another build,
// even after the build cache was pruned or on another machine the image was
// loaded into: as the classic builder's --cache-from walks a source image's
// history, but matching the step's full key (command, environment, user,
// network, content hash of what a COPY reads, and all steps before it)
// instead of only the text of the instruction, which for COPY would not see
// changed files. Pure: the images' configs come in as arguments.
import type { HistoryEntry, ImageConfig } from './image-config.js';

const MARK = 'tug.build-cache ';

/** The history comment of a step with this cache key. */
export function historyComment(key: string): string {
  return `${MARK}${key}`;
}

/** What a source image holds for one step: its layer (none for a step that wrote nothing) and when it ran. */
export interface CachedStep {
  diffId?: string;
  created: string;
}

/** Every step of `config` that names its cache key, by key. Layers are paired with history as the image config spec pairs them. */
export function cachedSteps(config: ImageConfig): Map<string, CachedStep> {
  const out = new Map<string, CachedStep>();
  const diffIds = config.rootfs.diff_ids;
  let layer = 0;
  for (const entry of config.history ?? []) {
    const key = keyOf(entry);
    const diffId = entry.empty_layer ? undefined : diffIds[layer++];
    // A history that names more layers than the rootfs has is not one to trust.
    if (!entry.empty_layer && diffId === undefined) return new Map();
    if (key !== undefined) out.set(key, { ...(diffId !== undefined && { diffId }), created: entry.created ?? '' });
  }
  return out;
}

function keyOf(entry: HistoryEntry): string | undefined {
  const c = entry.comment;
  return c?.startsWith(MARK) && /^sha256:[0-9a-f]{64}$/.test(c.slice(MARK.length)) ? c.slice(MARK.length) : undefined;
}

/**
 * The cache_from entries tug's builder can use: plain image references name
 * images in the local store (as with the classic builder's --cache-from). The
 * `type=…` forms name caches BuildKit keeps in a registry, a directory or a
 * service (registry, local, gha, s3…): each one is a notice, and the build
 * goes on without it.
 */
export function parseCacheFrom(entries: readonly string[]): { images: string[]; notices: string[] } {
  const images: string[] = [];
  const notices: string[] = [];
  for (const entry of entries) {
    if (!/^[a-z]+=/.test(entry)) {
      images.push(entry);
      continue;
    }
    const type = /(?:^|,)type=([^,]*)/.exec(entry)?.[1] ?? 'registry';
    notices.push(`cache_from ${entry}: a ${type} cache is BuildKit's, and tug's builder reads only images in its own store (write the image's name alone); building without it`);
  }
  return { images, notices };
}
