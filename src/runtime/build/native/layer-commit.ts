// A build step's layer into the image store, in the very form a pulled layer
// has: the tar as a blob (uncompressed, so its digest is its diff ID), then
// unpacked once into layers/<hex>/fs by the store's own unpacker, which
// verifies the diff ID on the way. A layer the store already has (the same
// files built twice) is not unpacked again.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MEDIA } from '../../../core/images/manifest.js';
import { hasBlob } from '../../images/store/blobs.js';
import type { ImageStore, StoredLayer } from '../../images/store/image-store.js';
import { blobPath } from '../../images/store/layout.js';
import { unpackLayer } from '../../images/unpack/unpack-layer.js';

/** Stores the layer tar and unpacks it; returns the stored layer (digest = diff ID). */
export async function commitLayerTar(store: ImageStore, tar: Readable): Promise<StoredLayer> {
  store.ensureDirs();
  mkdirSync(store.layout.tmpDir, { recursive: true, mode: 0o700 });
  const tmp = join(store.layout.tmpDir, `layer-${randomBytes(8).toString('hex')}.tar`);
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
    if (hasBlob(store.layout, digest)) await rm(tmp, { force: true });
    else await rename(tmp, blobPath(store.layout, digest));
    const layer: StoredLayer = { digest, diffId: digest, mediaType: MEDIA.ociLayer, size };
    await unpackLayer(store, layer);
    return layer;
  } finally {
    await rm(tmp, { force: true });
  }
}
