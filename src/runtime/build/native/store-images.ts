// The builder's ImageStoreWriter on tug's image store. Base images come from
// the store (pulled through the registry client when missing, or always with
// `pull`); a built image is committed exactly like a pulled one: its config
// blob, an OCI manifest naming each layer's blob, the store's commit (which
// finds the layers unpacked already) and references. So `up` runs a built
// image by the very code path it runs a pulled one.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { TugError } from '../../../core/errors.js';
import type { ImageConfig } from '../../../core/images/image-config.js';
import { MEDIA, type ImageManifest } from '../../../core/images/manifest.js';
import { parsePlatform } from '../../../core/images/platform.js';
import { formatReference, parseReference } from '../../../core/images/reference.js';
import { canonicalJson } from '../../../core/model/hash.js';
import type { PullOptions } from '../../images/registry/pull.js';
import { hasBlob, putBlob } from '../../images/store/blobs.js';
import { readImageConfig } from '../../images/store/config-blob.js';
import { blobPath } from '../../images/store/layout.js';
import type { ImageRecord, ImageStore, StoredLayer } from '../../images/store/image-store.js';
import type { TransientLease } from '../../images/store/prune.js';
import type { ImageStoreWriter, ResolvedImage } from '../interfaces.js';

// An OCI manifest names OCI media types; a pulled Docker layer keeps its bytes under the OCI name.
const OCI_LAYER_TYPE: Record<string, string> = { [MEDIA.dockerLayer]: MEDIA.ociLayer, [MEDIA.dockerLayerGzip]: MEDIA.ociLayerGzip };

export class StoreImageWriter implements ImageStoreWriter {
  /** Layers of the base images, by diff ID: a built image's manifest reuses their blobs. */
  private readonly baseLayers = new Map<string, StoredLayer>();

  constructor(
    readonly store: ImageStore,
    readonly lease: TransientLease,
    /** Layers the build committed (the layer store's), by diff ID. */
    readonly built: ReadonlyMap<string, StoredLayer>,
    readonly env: PullOptions['env'],
    readonly signal?: AbortSignal,
  ) {}

  async resolveImage(ref: string, options: { platform?: string; pull: boolean }): Promise<ResolvedImage> {
    const platform = options.platform ? parsePlatform(options.platform) : undefined;
    let record = options.pull ? undefined : (await this.store.findImage(ref))?.record;
    if (!record) {
      try {
        const { pullImage } = await import('../../images/registry/pull.js');
        record = (await pullImage(this.store, ref, { env: this.env, ...(platform && { platform }), ...(this.signal && { signal: this.signal }) })).record;
      } catch (err) {
        if (!(err instanceof TugError)) throw err;
        throw new TugError({
          ...err.toInit(),
          message: `base image ${ref} is not in tug's image store and could not be pulled: ${err.message}`,
          hint: 'load it with `tug image load -i FILE` (a docker save archive), or check the name and the registry',
        });
      }
    }
    return this.hold(record, ref);
  }

  /** Leases the image for this build; its layers may become the built image's. */
  private async hold(record: ImageRecord, ref: string): Promise<ResolvedImage> {
    await this.lease.add({ images: [record.id], layers: record.layers.map((l) => l.diffId) });
    for (const l of record.layers) this.baseLayers.set(l.diffId, l);
    const config = await readImageConfig(this.store.layout, record.config.digest, `image ${ref}`);
    return { id: record.id, config };
  }

  async localImage(ref: string): Promise<ResolvedImage | undefined> {
    const record = (await this.store.findImage(ref).catch(() => undefined))?.record;
    return record ? this.hold(record, ref) : undefined;
  }

  async commitImage(config: ImageConfig): Promise<string> {
    const configBytes = Buffer.from(canonicalJson(config));
    const configDesc = { mediaType: MEDIA.ociConfig, digest: digestOf(configBytes), size: configBytes.length };
    await this.lease.add({ images: [configDesc.digest], blobs: [configDesc.digest] });
    // Built before, every layer still there (a rebuild from the cache): nothing to write.
    const existing = await this.store.getImage(configDesc.digest);
    if (existing && existing.layers.every((l) => this.store.hasLayer(l.diffId)) && hasBlob(this.store.layout, existing.manifest.digest)) return existing.id;
    await putBlob(this.store.layout, configDesc, configBytes, 'config');
    const layers = await Promise.all(config.rootfs.diff_ids.map((d) => this.layerOf(d)));
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: configDesc,
      layers: layers.map((l) => ({ mediaType: OCI_LAYER_TYPE[l.mediaType] ?? l.mediaType, digest: l.digest, size: l.size })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const descriptor = { mediaType: MEDIA.ociManifest, digest: digestOf(manifestBytes), size: manifestBytes.length };
    await this.lease.add({ blobs: [descriptor.digest] });
    await putBlob(this.store.layout, descriptor, manifestBytes, 'manifest');
    const { commitImage } = await import('../../images/store/commit-image.js');
    const record = await commitImage(this.store, { manifest: { kind: 'manifest', ...manifest } as ImageManifest, manifestDescriptor: descriptor, refs: [], repoDigests: [], what: 'the built image', now: new Date() });
    return record.id;
  }

  async tag(imageId: string, ref: string): Promise<void> {
    const name = formatReference(parseReference(ref));
    // A rebuild from the cache names the image it named before: no lock, no write.
    if ((await this.store.readRefs())[name]?.id === imageId) return;
    await this.store.updateRefs({ [name]: { id: imageId, updated: new Date().toISOString() } });
  }

  /** Where a layer's blob is: built now, a base's, a layer built earlier (its blob is its diff ID), or any stored image's. */
  private async layerOf(diffId: string): Promise<StoredLayer> {
    const known = this.built.get(diffId) ?? this.baseLayers.get(diffId);
    if (known) return known;
    if (hasBlob(this.store.layout, diffId)) return { digest: diffId, diffId, mediaType: MEDIA.ociLayer, size: (await stat(blobPath(this.store.layout, diffId))).size };
    const owner = (await this.store.listImages()).flatMap((r: ImageRecord) => r.layers).find((l) => l.diffId === diffId);
    if (owner && hasBlob(this.store.layout, owner.digest)) return owner;
    throw new TugError({ code: 'build.layer-missing', message: `layer ${diffId} of the build is no longer in the store`, hint: 'build again with --no-cache' });
  }
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
