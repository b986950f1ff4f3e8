// `tug builder prune`: removes build cache entries and the layers only the
// cache kept. By default an entry goes when no named image (a reference or a
// replica's lease) uses its layer: an old version, a stage the final image
// does not contain; an untagged image made of such a layer goes too. `all`
// removes every entry, while layers named images use stay with them.
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
  /** Untagged images that were made of removed layers. */
  images: string[];
  layers: number;
  /** Bytes freed on disk (unpacked layers and their blobs). */
  bytes: number;
}

export async function pruneBuildCache(store: ImageStore, opts: { all?: boolean } = {}): Promise<BuildCachePruneReport> {
  store.ensureDirs();
  return withStoreLock(store.layout, 'gc', async () => {
    const usedLayers = new Set<string>();
    const usedBlobs = new Set<string>();
    const leases = Object.values(await store.listLeases());
    const named = new Set([...Object.values(await store.readRefs()).map((r) => r.id), ...leases.flatMap((l) => l.images)]);
    const images = await store.listImages();
    for (const rec of images.filter((r) => named.has(r.id))) {
      for (const l of rec.layers) {
        usedLayers.add(l.diffId);
        usedBlobs.add(l.digest);
      }
    }
    for (const lease of leases) {
      for (const l of lease.layers) usedLayers.add(l);
      for (const b of lease.blobs) usedBlobs.add(b);
    }
    const report: BuildCachePruneReport = { entries: 0, images: [], layers: 0, bytes: 0 };
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
    // A dangling image (an earlier build, its name moved on) made of a removed layer goes with it.
    for (const rec of images) {
      if (named.has(rec.id) || !rec.layers.some((l) => orphaned.has(l.diffId))) continue;
      await store.removeImageRecord(rec.id);
      report.images.push(rec.id);
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
