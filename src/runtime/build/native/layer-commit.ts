// A build step's layer into the image store, in the very form a pulled layer
// has: the tar as a blob (uncompressed, so its digest is its diff ID) and the
// layer unpacked once into layers/<hex>/fs. A RUN's upper directory goes
// through the store's own unpacker, which verifies the diff ID on the way; a
// COPY's layer, whose entries the builder lists, is written from them
// directly, many files at once, while its tar is hashed (the same entries
// make both). A layer the store already has is not written again.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LayerEntry } from '../../../core/build/copy-layout.js';
import { MEDIA } from '../../../core/images/manifest.js';
import { hasBlob } from '../../images/store/blobs.js';
import type { ImageStore, StoredLayer } from '../../images/store/image-store.js';
import { blobPath, hexOf, layerDir } from '../../images/store/layout.js';
import { withStoreLock } from '../../images/store/store-lock.js';
import { ensureShortLink, unpackLayer } from '../../images/unpack/unpack-layer.js';
import { layerTar, writeLayerDir } from '../layer.js';
import { newRunDir } from './build-dirs.js';

/** Files of a COPY layer written at once. */
const WRITE_PARALLEL = 16;

/** Stores the layer tar and unpacks it; returns the stored layer (digest = diff ID). */
export async function commitLayerTar(store: ImageStore, tar: Readable): Promise<StoredLayer> {
  const layer = await writeLayerBlob(store, tar);
  await unpackLayer(store, layer);
  return layer;
}

/** Stores a layer the builder listed: its tar as the blob, its directory written from the entries. */
export async function commitLayerEntries(store: ImageStore, entries: readonly LayerEntry[]): Promise<StoredLayer> {
  const run = newRunDir(store, 'layer');
  try {
    const staged = join(run, 'layer');
    await mkdir(join(staged, 'fs'), { recursive: true, mode: 0o755 });
    const [layer] = await Promise.all([writeLayerBlob(store, layerTar(entries)), writeLayerDir(entries, join(staged, 'fs'), { parallel: WRITE_PARALLEL })]);
    if (store.hasLayer(layer.diffId)) return layer;
    await withStoreLock(store.layout, `layer-${hexOf(layer.diffId)}`, async () => {
      if (store.hasLayer(layer.diffId)) return;
      const size = entries.reduce((n, e) => n + (e.type !== 'file' || !e.source ? 0 : 'data' in e.source ? e.source.data.length : e.source.size), 0);
      await writeFile(join(staged, 'layer.json'), JSON.stringify({ diffId: layer.diffId, blob: layer.digest, size, entries: entries.length }) + '\n');
      // A directory without layer.json there is a killed commit's: the unpacker's rule, kept.
      await rm(layerDir(store.layout, layer.diffId), { recursive: true, force: true });
      await rename(staged, layerDir(store.layout, layer.diffId));
    });
    await ensureShortLink(store, layer.diffId);
    return layer;
  } finally {
    await rm(run, { recursive: true, force: true });
  }
}

async function writeLayerBlob(store: ImageStore, tar: Readable): Promise<StoredLayer> {
  store.ensureDirs();
  mkdirSync(store.layout.tmpDir, { recursive: true, mode: 0o700 });
  const tmp = join(store.layout.tmpDir, `layer-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tar`);
  const hash = createHash('sha256');
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(tar, tee, createWriteStream(tmp, { mode: 0o644 }));
    const digest = `sha256:${hash.digest('hex')}`;
    // Content addressed: a blob already there is this very content.
    if (!hasBlob(store.layout, digest)) await rename(tmp, blobPath(store.layout, digest));
    return { digest, diffId: digest, mediaType: MEDIA.ociLayer, size };
  } finally {
    await rm(tmp, { force: true });
  }
}
