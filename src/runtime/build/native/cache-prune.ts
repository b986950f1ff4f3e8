// `tug builder prune`: removes build cache entries and the layers only the
// cache kept. By default an entry goes when no image in the store uses its
// layer (an old version, a stage the final image does not contain); `all`
// removes every entry, while layers images use stay with their images.
// Under the store's "gc" lock, so no pull or prune runs meanwhile; layers a
// build in progress holds (its lease) are kept.
import { readdirSync } from 'node:fs';
import { readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from '../../images/store/image-store.js';
import { SHORT_ID_LENGTH, blobPath, hexOf, layerDir } from '../../images/store/layout.js';
import { withStoreLock } from '../../images/store/store-lock.js';
import type { LayerRecord } from '../interfaces.js';
import { buildCacheDir } from './build-dirs.js';

export interface BuildCachePruneReport {
  entries: number;
  layers: number;
  /** Bytes freed on disk (unpacked layers and their blobs). */
  bytes: number;
}

export async function pruneBuildCache(store: ImageStore, opts: { all?: boolean } = {}): Promise<BuildCachePruneReport> {
  store.ensureDirs();
  return withStoreLock(store.layout, 'gc', async () => {
    const usedLayers = new Set<string>();
    const usedBlobs = new Set<string>();
    for (const rec of await store.listImages()) {
      for (const l of rec.layers) {
        usedLayers.add(l.diffId);
        usedBlobs.add(l.digest);
      }
    }
    for (const lease of Object.values(await store.listLeases())) {
      for (const l of lease.layers) usedLayers.add(l);
      for (const b of lease.blobs) usedBlobs.add(b);
    }
    const report: BuildCachePruneReport = { entries: 0, layers: 0, bytes: 0 };
    const orphaned = new Set<string>();
    for (const name of listDir(buildCacheDir(store))) {
      const file = join(buildCacheDir(store), name);
      if (name === 'digests.json') {
        if (opts.all) await rm(file, { force: true });
        continue;
      }
      const record = await readFile(file, 'utf8').then((t) => JSON.parse(t) as LayerRecord, () => undefined);
      const unused = record?.diffId !== undefined && !usedLayers.has(record.diffId);
      if (!opts.all && record && !unused) continue;
      await unlink(file).catch(() => undefined);
      report.entries++;
      if (unused) orphaned.add(record.diffId!);
    }
    for (const diffId of orphaned) {
      if (!store.hasLayer(diffId)) continue;
      report.bytes += await store.layerSize(diffId);
      const hex = hexOf(diffId);
      await rm(join(store.layout.shortLinksDir, hex.slice(0, SHORT_ID_LENGTH)), { force: true });
      await rm(layerDir(store.layout, diffId), { recursive: true, force: true });
      report.layers++;
      // A built layer's blob is named by its diff ID; a pulled image's blob with that name stays.
      if (!usedBlobs.has(diffId)) await rm(blobPath(store.layout, diffId), { force: true });
    }
    return report;
  });
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
}
