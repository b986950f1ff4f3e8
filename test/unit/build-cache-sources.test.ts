// cache_from's pure half: the steps an image's history records by cache key
// (paired with its layers, empty steps without one), and which cache_from
// entries name images in the store.
import { describe, expect, it } from 'vitest';
import { cachedSteps, historyComment, parseCacheFrom } from '../../src/core/build/cache-sources.js';
import type { ImageConfig } from '../../src/core/build/image-config.js';

const key = (n: number) => `sha256:${String(n).repeat(64)}`;
const image = (history: ImageConfig['history'], diffIds: string[]): ImageConfig => ({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds }, history });

describe('cachedSteps', () => {
  it('pairs each keyed step with its layer, and a step that wrote nothing with none', () => {
    const steps = cachedSteps(
      image(
        [
          { created: 't0', created_by: 'base layer' },
          { created: 't1', created_by: 'RUN a', comment: historyComment(key(1)) },
          { created: 't1', created_by: 'ENV X=1', empty_layer: true },
          { created: 't2', created_by: 'WORKDIR /tmp', comment: historyComment(key(2)), empty_layer: true },
          { created: 't3', created_by: 'COPY . .', comment: historyComment(key(3)) },
        ],
        ['sha256:base', 'sha256:run', 'sha256:copy'],
      ),
    );
    expect([...steps]).toEqual([
      [key(1), { diffId: 'sha256:run', created: 't1' }],
      [key(2), { created: 't2' }],
      [key(3), { diffId: 'sha256:copy', created: 't3' }],
    ]);
  });

  it('trusts nothing of a history that names more layers than the image has, and ignores foreign comments', () => {
    expect(cachedSteps(image([{ created_by: 'RUN a', comment: historyComment(key(1)) }], [])).size).toBe(0);
    expect(cachedSteps(image([{ created_by: 'RUN a', comment: 'buildkit.dockerfile.v0' }], ['sha256:x'])).size).toBe(0);
  });
});

describe('parseCacheFrom', () => {
  it('takes image names, and makes a notice of each BuildKit cache form', () => {
    const { images, notices } = parseCacheFrom(['app:cache', 'reg.example:5000/team/app:1', 'type=registry,ref=reg/app:cache', 'type=local,src=/tmp/c']);
    expect(images).toEqual(['app:cache', 'reg.example:5000/team/app:1']);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toContain('cache_from type=registry,ref=reg/app:cache: a registry cache');
    expect(notices[1]).toContain('a local cache');
  });
});
