// The builder's LayerStore on tug's image store: the build cache index (one
// small JSON file per step cache key: the diff ID the step produced and when),
// layers committed in the store's own format (layer-commit.ts), and views of
// layer stacks (rootfs-view.ts). A cache entry whose layer was pruned is a
// miss. Every layer this build touches is held by a lease until the build
// ends, so a prune running meanwhile cannot take a layer the image is about
// to name.
import { mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImageStore, StoredLayer } from '../../images/store/image-store.js';
import { hexOf } from '../../images/store/layout.js';
import { writeJsonAtomic } from '../../images/store/store-lock.js';
import { TransientLease } from '../../images/store/prune.js';
import type { LayerDiff, LayerRecord, LayerStore, Rootfs, RootfsView } from '../interfaces.js';
import { buildCacheDir, buildScratchDir } from './build-dirs.js';

export function cacheEntryPath(store: ImageStore, key: string): string {
  return join(buildCacheDir(store), `${hexOf(key)}.json`);
}

/** A RUN container's upper directory is build-runs/<run>/upper: once it is a layer, the whole run directory goes. */
async function removeRunOf(store: ImageStore, upper: string): Promise<void> {
  const run = dirname(upper);
  await rm(dirname(run) === buildScratchDir(store) ? run : upper, { recursive: true, force: true });
}

export class StoreLayerStore implements LayerStore {
  /** Layers committed by this build, by diff ID: the image's manifest names their blobs. */
  readonly committed = new Map<string, StoredLayer>();

  constructor(
    readonly store: ImageStore,
    readonly lease: TransientLease,
  ) {}

  async lookup(key: string): Promise<LayerRecord | undefined> {
    let record: LayerRecord;
    try {
      record = JSON.parse(await readFile(cacheEntryPath(this.store, key), 'utf8')) as LayerRecord;
    } catch {
      return undefined;
    }
    if (record.key !== key) return undefined;
    if (record.diffId !== undefined) {
      await this.lease.add({ layers: [record.diffId], blobs: [record.diffId] });
      if (!this.store.hasLayer(record.diffId)) return undefined;
    }
    return record;
  }

  async adopt(key: string, step: { diffId?: string; created: string }): Promise<LayerRecord | undefined> {
    const record: LayerRecord = { key, created: step.created };
    if (step.diffId !== undefined) {
      await this.lease.add({ layers: [step.diffId] });
      if (!this.store.hasLayer(step.diffId)) return undefined;
      record.diffId = step.diffId;
    }
    // From now on an ordinary cache entry: the next build finds it without the source image.
    await this.writeRecord(record);
    return record;
  }

  async commit(key: string, diff: LayerDiff, created: string): Promise<LayerRecord> {
    const record: LayerRecord = { key, created };
    if (diff.kind !== 'empty') {
      // The tar writer and the unpacker load only when a layer is written: a rebuild from the cache never pays for them.
      const [{ commitLayerEntries, commitLayerTar }, { upperdirTar }] = await Promise.all([import('./layer-commit.js'), import('../upperdir-diff.js')]);
      try {
        const layer =
          diff.kind === 'tar' && diff.entries ? await commitLayerEntries(this.store, diff.entries) : await commitLayerTar(this.store, diff.kind === 'tar' ? diff.open() : upperdirTar(diff.path));
        await this.lease.add({ layers: [layer.diffId], blobs: [layer.digest] });
        this.committed.set(layer.diffId, layer);
        record.diffId = layer.diffId;
      } finally {
        if (diff.kind === 'upperdir') await removeRunOf(this.store, diff.path);
      }
    }
    await this.writeRecord(record);
    return record;
  }

  private async writeRecord(record: LayerRecord): Promise<void> {
    mkdirSync(buildCacheDir(this.store), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(this.store.layout, cacheEntryPath(this.store, record.key), record);
  }

  async view(rootfs: Rootfs): Promise<RootfsView> {
    // Overlay mounts (and the unpacker and tar reader behind them) load only when a step misses the cache.
    const { openRootfsView } = await import('./rootfs-view.js');
    return openRootfsView(this.store, rootfs);
  }
}
