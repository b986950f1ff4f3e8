// The last step of a pull or a load: with the manifest, config and layer blobs
// stored, unpack each layer (once, verified against the config's diff IDs),
// write the image record, then point the references at it. References come
// last, so a failure anywhere before leaves no name pointing at a partial image.
import { TugError } from '../../../core/errors.js';
import type { ImageManifest } from '../../../core/images/manifest.js';
import { layerCompression } from '../../../core/images/manifest.js';
import { unpackLayer } from '../unpack/unpack-layer.js';
import type { ImageRecord, ImageStore, StoredDescriptor, StoredLayer } from './image-store.js';
import { readImageConfig } from './config-blob.js';

export interface CommitInput {
  manifest: ImageManifest;
  manifestDescriptor: StoredDescriptor;
  /** Full references (`docker.io/library/x:1`) to point at the image. */
  refs: string[];
  /** `repo@digest` names of what was pulled. */
  repoDigests: string[];
  what: string;
  now: Date;
  onLayer?: (layer: StoredLayer, state: 'extracting' | 'done') => void;
  /** How many layers unpack at once (each into its own directory). */
  parallel?: number;
}

export async function commitImage(store: ImageStore, input: CommitInput): Promise<ImageRecord> {
  const { manifest } = input;
  const config = await readImageConfig(store.layout, manifest.config.digest, input.what);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new TugError({
      code: 'image.layers-mismatch',
      message: `${input.what}: the manifest lists ${manifest.layers.length} layers but the configuration ${config.rootfs.diff_ids.length}; nothing was stored`,
      hint: 'the image is malformed; push or save it again',
    });
  }
  const layers: StoredLayer[] = manifest.layers.map((l, i) => {
    if (!layerCompression(l.mediaType) && l.mediaType !== '') {
      throw new TugError({ code: 'image.layer-type', message: `${input.what}: layer ${l.digest} has media type ${l.mediaType}, which is not a filesystem layer tug can unpack` });
    }
    return { digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: config.rootfs.diff_ids[i]! };
  });
  await inParallel(layers, input.parallel ?? 3, async (layer) => {
    input.onLayer?.(layer, 'extracting');
    await unpackLayer(store, layer);
    input.onLayer?.(layer, 'done');
  });
  const record: ImageRecord = {
    id: manifest.config.digest,
    manifest: input.manifestDescriptor,
    config: { digest: manifest.config.digest, mediaType: manifest.config.mediaType, size: manifest.config.size },
    layers,
    platform: { os: config.os, architecture: config.architecture, ...(config.variant && { variant: config.variant }) },
    repoDigests: input.repoDigests,
    ...(config.created && { created: config.created }),
    added: input.now.toISOString(),
  };
  await store.putImage(record);
  const updated = input.now.toISOString();
  if (input.refs.length > 0) await store.updateRefs(Object.fromEntries(input.refs.map((r) => [r, { id: record.id, updated }])));
  return record;
}

export async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await run(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}
