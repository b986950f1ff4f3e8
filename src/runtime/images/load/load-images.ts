// `tug image load`: images from `docker save` archives (the legacy layout with
// <id>/layer.tar, and Docker 25's with an OCI layout inside, both described by
// manifest.json) and from OCI image layouts (index.json + blobs/, as a
// directory or a tar). Every blob is verified on its way into the store, the
// layers are unpacked and checked against the config's diff IDs, and the names
// are set last, so a broken archive leaves no name behind.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { TugError } from '../../../core/errors.js';
import { parseImageConfig } from '../../../core/images/image-config.js';
import { MEDIA, isIndexMediaType, parseManifest, type Descriptor, type ImageManifest } from '../../../core/images/manifest.js';
import { selectManifest, type Platform } from '../../../core/images/platform.js';
import { familiarReference, formatReference, parseReference } from '../../../core/images/reference.js';
import { fileDigest, ingestBlob, putBlob, readBlob } from '../store/blobs.js';
import { commitImage } from '../store/commit-image.js';
import type { ImageStore } from '../store/image-store.js';
import { TransientLease } from '../store/prune.js';
import { defaultPlatform } from '../registry/pull.js';
import { fileChunks, openDirectory, openTarStream, type ArchiveReader } from './archive-reader.js';
import { sniffCompression } from '../unpack/decompress.js';
import { readImageConfig } from '../store/config-blob.js';

export interface LoadedImage {
  id: string;
  /** Familiar names set (`app:1`); empty for an image the archive does not name. */
  names: string[];
}

export type LoadSource = { path: string } | { stream: Readable };

export async function loadImages(store: ImageStore, source: LoadSource, opts: { platform?: Platform; onImage?: (image: LoadedImage) => void } = {}): Promise<LoadedImage[]> {
  store.ensureDirs();
  if ('path' in source && !existsSync(source.path)) {
    throw new TugError({ code: 'image.archive-missing', message: `no such file or directory: ${source.path}`, hint: 'give the path of a docker save archive or an OCI image layout' });
  }
  const reader = 'stream' in source
    ? await openTarStream(source.stream, store.layout.tmpDir)
    : statSync(source.path).isDirectory()
      ? await openDirectory(source.path)
      : await openTarStream(createReadStream(source.path), store.layout.tmpDir);
  const lease = new TransientLease(store);
  try {
    const entries = reader.file('manifest.json') ? await dockerSaveEntries(store, reader, lease) : reader.file('index.json') ? await ociLayoutEntries(store, reader, lease, opts.platform ?? defaultPlatform()) : undefined;
    if (!entries) {
      throw new TugError({ code: 'image.archive-invalid', message: 'the archive has neither manifest.json (docker save) nor index.json (OCI image layout)', hint: 'give a file made by docker save, skopeo copy or an OCI image layout' });
    }
    const loaded: LoadedImage[] = [];
    for (const e of entries) {
      const config = await readImageConfig(store.layout, e.manifest.config.digest, e.what);
      await lease.add({ images: [e.manifest.config.digest], layers: config.rootfs.diff_ids });
      const record = await commitImage(store, { manifest: e.manifest, manifestDescriptor: e.descriptor, refs: e.refs, repoDigests: [], what: e.what, now: new Date() });
      const image = { id: record.id, names: e.refs.map((r) => familiarReference(parseReference(r))) };
      opts.onImage?.(image);
      loaded.push(image);
    }
    return loaded;
  } finally {
    await lease.release();
    await reader.close();
  }
}

interface Entry {
  manifest: ImageManifest;
  descriptor: Descriptor;
  refs: string[];
  what: string;
}

interface SaveItem {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

async function dockerSaveEntries(store: ImageStore, reader: ArchiveReader, lease: TransientLease): Promise<Entry[]> {
  let items: SaveItem[];
  try {
    items = JSON.parse((await reader.read('manifest.json')).toString('utf8')) as SaveItem[];
  } catch {
    throw new TugError({ code: 'image.archive-invalid', message: 'manifest.json in the archive is not JSON' });
  }
  if (!Array.isArray(items)) throw new TugError({ code: 'image.archive-invalid', message: 'manifest.json in the archive is not a list of images' });
  const out: Entry[] = [];
  for (const [i, item] of items.entries()) {
    const what = `image ${i + 1} of the archive`;
    if (typeof item.Config !== 'string' || !Array.isArray(item.Layers)) throw new TugError({ code: 'image.archive-invalid', message: `${what}: manifest.json lacks Config or Layers` });
    const configBytes = await reader.read(item.Config);
    const config = { mediaType: MEDIA.dockerConfig, digest: digestOf(configBytes), size: configBytes.length };
    await lease.add({ blobs: [config.digest] });
    await putBlob(store.layout, config, configBytes, 'config');
    parseImageConfig(configBytes.toString('utf8'), what);
    const layers: Descriptor[] = [];
    for (const name of item.Layers) {
      const file = reader.file(name);
      if (!file) throw new TugError({ code: 'image.archive-invalid', message: `${what}: the archive has no layer ${name}` });
      const digest = await fileDigest(file);
      const size = statSync(file).size;
      await lease.add({ blobs: [digest] });
      await ingestBlob(store.layout, { digest, size }, async () => ({ start: 0, chunks: fileChunks(file) }), { what: 'layer' });
      const how = await sniffCompression(file);
      layers.push({ mediaType: how === 'gzip' ? MEDIA.dockerLayerGzip : how === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.dockerLayer, digest, size });
    }
    // The archive has no registry manifest: write the one a registry would hold.
    const manifest = { schemaVersion: 2, mediaType: MEDIA.dockerManifest, config, layers };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const descriptor = { mediaType: MEDIA.dockerManifest, digest: digestOf(bytes), size: bytes.length };
    await lease.add({ blobs: [descriptor.digest] });
    await putBlob(store.layout, descriptor, bytes, 'manifest');
    const refs = (item.RepoTags ?? []).map((t) => formatReference(parseReference(t)));
    out.push({ manifest: { kind: 'manifest', ...manifest }, descriptor, refs, what });
  }
  return out;
}

async function ociLayoutEntries(store: ImageStore, reader: ArchiveReader, lease: TransientLease, platform: Platform): Promise<Entry[]> {
  const index = parseManifest((await reader.read('index.json')).toString('utf8'), 'index.json of the OCI layout');
  if (index.kind !== 'index') throw new TugError({ code: 'image.archive-invalid', message: 'index.json of the OCI layout is not an image index' });
  const out: Entry[] = [];
  for (const top of index.manifests) {
    const name = top.annotations?.['io.containerd.image.name'] ?? top.annotations?.['org.opencontainers.image.ref.name'];
    const what = name ? `image ${name}` : `image ${top.digest}`;
    let d = top;
    let bytes = await blobFromLayout(store, reader, lease, d, 'manifest');
    if (isIndexMediaType(d.mediaType) || parseManifest(bytes.toString('utf8'), what).kind === 'index') {
      const nested = parseManifest(bytes.toString('utf8'), what);
      if (nested.kind !== 'index') throw new TugError({ code: 'image.archive-invalid', message: `${what} is not an index` });
      d = selectManifest(nested, platform, name ?? top.digest);
      bytes = await blobFromLayout(store, reader, lease, d, 'manifest');
    }
    const manifest = parseManifest(bytes.toString('utf8'), what, d.mediaType || undefined);
    if (manifest.kind !== 'manifest') throw new TugError({ code: 'image.archive-invalid', message: `${what}: an index inside an index is not supported` });
    await blobFromLayout(store, reader, lease, manifest.config, 'config');
    for (const layer of manifest.layers) await blobFromLayout(store, reader, lease, layer, 'layer');
    out.push({ manifest, descriptor: { mediaType: manifest.mediaType, digest: d.digest, size: d.size }, refs: refName(name), what });
  }
  return out;
}

/** `org.opencontainers.image.ref.name` may be a full reference or just a tag ("1"), which names no image. */
function refName(name: string | undefined): string[] {
  if (!name || !/[/:]/.test(name)) return [];
  try {
    return [formatReference(parseReference(name))];
  } catch {
    return [];
  }
}

/** A layout blob into the store, verified against its descriptor; returns its bytes for small ones. */
async function blobFromLayout(store: ImageStore, reader: ArchiveReader, lease: TransientLease, d: Descriptor, what: string): Promise<Buffer> {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(d.digest)?.[1];
  const file = hex ? reader.file(`blobs/sha256/${hex}`) : undefined;
  if (!file) throw new TugError({ code: 'image.archive-invalid', message: `the archive lacks ${what} ${d.digest}`, hint: 'the layout is incomplete; export the image again' });
  await lease.add({ blobs: [d.digest] });
  await ingestBlob(store.layout, { digest: d.digest, size: d.size }, async () => ({ start: 0, chunks: fileChunks(file) }), { what });
  return what === 'layer' ? Buffer.alloc(0) : readBlob(store.layout, d.digest);
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
