// Test images made from scratch in TypeScript (tar-stream and sha256, no Docker):
// layers from entry lists (files, directories, links, devices, whiteouts, xattrs),
// gzip/zstd/uncompressed blobs, OCI or Docker manifests and configs, indexes over
// several platforms, and the archive forms `tug image load` reads (OCI layouts as
// directories or tars, `docker save` archives in the legacy and the OCI layout).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { MEDIA, parseManifest, type ImageManifest } from '../../src/core/images/manifest.js';
import { putBlob } from '../../src/runtime/images/store/blobs.js';
import { commitImage } from '../../src/runtime/images/store/commit-image.js';
import type { ImageRecord, ImageStore } from '../../src/runtime/images/store/image-store.js';

export interface FixtureEntry {
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  body?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  mtime?: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';
export type ManifestStyle = 'oci' | 'docker';

export interface FixtureBlob {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface FixtureImage {
  manifest: FixtureBlob;
  config: FixtureBlob;
  layers: (FixtureBlob & { diffId: string; tar: Buffer })[];
  /** Every blob of the image, the manifest included, by digest. */
  blobs: Map<string, FixtureBlob>;
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An uncompressed layer tar with these entries, in this order. */
export async function layerTar(entries: FixtureEntry[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? (e.body !== undefined ? 'file' : 'directory');
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    const header: Partial<Header> & { name: string } = {
      name: e.path,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date((e.mtime ?? 1_700_000_000) * 1000),
      size: type === 'file' ? body?.length ?? 0 : 0,
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.devmajor !== undefined) header.devmajor = e.devmajor;
    if (e.devminor !== undefined) header.devminor = e.devminor;
    if (e.xattrs) header.pax = Object.fromEntries(Object.entries(e.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
    // Entries other than files carry an empty body.
    await new Promise<void>((resolve, reject) => p.entry(header, type === 'file' ? body ?? Buffer.alloc(0) : Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function compress(tar: Buffer, how: Compression): Buffer {
  if (how === 'none') return tar;
  if (how === 'gzip') return gzipSync(tar);
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

const layerType = (style: ManifestStyle, how: Compression): string => {
  if (style === 'docker') return how === 'none' ? MEDIA.dockerLayer : how === 'gzip' ? MEDIA.dockerLayerGzip : MEDIA.ociLayerZstd;
  return how === 'none' ? MEDIA.ociLayer : how === 'gzip' ? MEDIA.ociLayerGzip : MEDIA.ociLayerZstd;
};

export interface ImageSpec {
  layers: { entries: FixtureEntry[]; compression?: Compression }[];
  /** The `config` object of the image config (Env, Cmd, ...). */
  config?: Record<string, unknown>;
  os?: string;
  architecture?: string;
  variant?: string;
  style?: ManifestStyle;
}

export async function buildImage(spec: ImageSpec): Promise<FixtureImage> {
  const style = spec.style ?? 'oci';
  const layers: FixtureImage['layers'] = [];
  for (const l of spec.layers) {
    const tar = await layerTar(l.entries);
    const how = l.compression ?? 'gzip';
    const bytes = compress(tar, how);
    layers.push({ digest: sha256(bytes), mediaType: layerType(style, how), bytes, diffId: sha256(tar), tar });
  }
  const configDoc = {
    architecture: spec.architecture ?? 'amd64',
    os: spec.os ?? 'linux',
    ...(spec.variant && { variant: spec.variant }),
    created: '2026-01-01T00:00:00Z',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'tug test fixture' })),
  };
  const configBytes = Buffer.from(JSON.stringify(configDoc));
  const config: FixtureBlob = { digest: sha256(configBytes), mediaType: style === 'oci' ? MEDIA.ociConfig : MEDIA.dockerConfig, bytes: configBytes };
  const manifestDoc = {
    schemaVersion: 2,
    mediaType: style === 'oci' ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifestDoc));
  const manifest: FixtureBlob = { digest: sha256(manifestBytes), mediaType: manifestDoc.mediaType, bytes: manifestBytes };
  const blobs = new Map<string, FixtureBlob>([[config.digest, config], ...layers.map((l) => [l.digest, l] as [string, FixtureBlob]), [manifest.digest, manifest]]);
  return { manifest, config, layers, blobs };
}

export interface FixtureIndex {
  index: FixtureBlob;
  blobs: Map<string, FixtureBlob>;
}

/** An index over these images (their configs say their platforms), plus optional extra raw entries. */
export function buildIndex(images: FixtureImage[], style: ManifestStyle = 'oci', extra: Record<string, unknown>[] = []): FixtureIndex {
  const blobs = new Map<string, FixtureBlob>();
  const manifests = images.map((img) => {
    for (const [d, b] of img.blobs) blobs.set(d, b);
    const cfg = JSON.parse(img.config.bytes.toString()) as { os: string; architecture: string; variant?: string };
    return {
      mediaType: img.manifest.mediaType,
      digest: img.manifest.digest,
      size: img.manifest.bytes.length,
      platform: { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant && { variant: cfg.variant }) },
    };
  });
  const doc = { schemaVersion: 2, mediaType: style === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList, manifests: [...manifests, ...extra] };
  const bytes = Buffer.from(JSON.stringify(doc));
  const index: FixtureBlob = { digest: sha256(bytes), mediaType: doc.mediaType, bytes };
  blobs.set(index.digest, index);
  return { index, blobs };
}

const APPLETS = ['sh', 'ls', 'cat', 'echo', 'sleep', 'id', 'env', 'pwd', 'test', 'true', 'false', 'httpd', 'wget', 'nc', 'stat', 'readlink', 'mkdir', 'touch'];

/** A runnable rootfs: the host's static busybox, applet symlinks, /etc/passwd and /etc/group. */
export function busyboxEntries(extraPasswd = '', extraGroup = ''): FixtureEntry[] {
  return [
    { path: 'bin', type: 'directory' },
    { path: 'bin/busybox', body: readFileSync('/bin/busybox'), mode: 0o755 },
    ...APPLETS.map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
    { path: 'etc', type: 'directory' },
    { path: 'etc/passwd', body: `root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n${extraPasswd}` },
    { path: 'etc/group', body: `root:x:0:\nnogroup:x:65534:\n${extraGroup}` },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'root', type: 'directory', mode: 0o700 },
  ];
}

type LayoutItem = { top: FixtureBlob; blobs: Map<string, FixtureBlob>; tag?: string };

/** index.json of an OCI layout: `tag` becomes the `org.opencontainers.image.ref.name` annotation. */
function layoutIndex(items: LayoutItem[]): Buffer {
  const manifests = items.map((i) => ({
    mediaType: i.top.mediaType,
    digest: i.top.digest,
    size: i.top.bytes.length,
    ...(i.tag && { annotations: { 'org.opencontainers.image.ref.name': i.tag } }),
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
}

const OCI_LAYOUT = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

/** Writes an OCI image layout directory. */
export function writeOciLayout(dir: string, items: LayoutItem[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), OCI_LAYOUT);
  for (const item of items) for (const [d, b] of item.blobs) writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b.bytes);
  writeFileSync(join(dir, 'index.json'), layoutIndex(items));
}

/** A tar of files given as path → bytes (for archives). */
export async function archiveTar(files: [string, Buffer][]): Promise<Buffer> {
  return layerTar(files.map(([path, body]) => ({ path, body })));
}

export async function ociLayoutTar(items: LayoutItem[]): Promise<Buffer> {
  const files = new Map<string, Buffer>([['oci-layout', OCI_LAYOUT]]);
  for (const item of items) for (const [d, b] of item.blobs) files.set(`blobs/sha256/${d.slice(7)}`, b.bytes);
  files.set('index.json', layoutIndex(items));
  return archiveTar([...files]);
}

/**
 * A `docker save` archive. Legacy (Docker < 25): `<v1id>/layer.tar` with uncompressed
 * tars and `<imageid>.json`. With `oci: true` (Docker ≥ 25): blobs/sha256 plus index.json,
 * and manifest.json pointing into blobs/.
 */
export async function dockerSaveTar(image: FixtureImage, repoTags: string[], opts: { oci?: boolean } = {}): Promise<Buffer> {
  const files: [string, Buffer][] = [];
  let layerPaths: string[];
  let configPath: string;
  if (opts.oci) {
    files.push(['oci-layout', OCI_LAYOUT]);
    for (const l of image.layers) files.push([`blobs/sha256/${l.diffId.slice(7)}`, l.tar]);
    files.push([`blobs/sha256/${image.config.digest.slice(7)}`, image.config.bytes]);
    // Docker 25 stores the layers uncompressed in the archive: the manifest names them so.
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: image.config.digest, size: image.config.bytes.length },
      layers: image.layers.map((l) => ({ mediaType: MEDIA.ociLayer, digest: l.diffId, size: l.tar.length })),
    };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    files.push([`blobs/sha256/${sha256(mBytes).slice(7)}`, mBytes]);
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: MEDIA.ociManifest, digest: sha256(mBytes), size: mBytes.length, annotations: repoTags[0] ? { 'io.containerd.image.name': repoTags[0] } : {} }],
    };
    files.push(['index.json', Buffer.from(JSON.stringify(index))]);
    layerPaths = image.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`);
    configPath = `blobs/sha256/${image.config.digest.slice(7)}`;
  } else {
    layerPaths = image.layers.map((l, i) => `${createHash('sha256').update(`v1-${i}-${l.diffId}`).digest('hex')}/layer.tar`);
    image.layers.forEach((l, i) => {
      const dir = layerPaths[i]!.split('/')[0]!;
      files.push([`${dir}/VERSION`, Buffer.from('1.0')], [`${dir}/json`, Buffer.from(JSON.stringify({ id: dir }))], [layerPaths[i]!, l.tar]);
    });
    configPath = `${image.config.digest.slice(7)}.json`;
    files.push([configPath, image.config.bytes]);
  }
  files.push(['manifest.json', Buffer.from(JSON.stringify([{ Config: configPath, RepoTags: repoTags, Layers: layerPaths }]))]);
  return archiveTar(files);
}

/** Puts a fixture image into a store the way a load does: blobs verified, layers unpacked, the name set. */
export async function storeFixtureImage(store: ImageStore, img: FixtureImage, ref = 'docker.io/library/fixture:1'): Promise<ImageRecord> {
  for (const b of img.blobs.values()) await putBlob(store.layout, { digest: b.digest, size: b.bytes.length }, b.bytes);
  return commitImage(store, {
    manifest: parseManifest(img.manifest.bytes.toString(), 'fixture') as ImageManifest,
    manifestDescriptor: { digest: img.manifest.digest, mediaType: img.manifest.mediaType, size: img.manifest.bytes.length },
    refs: [ref],
    repoDigests: [],
    what: 'fixture',
    now: new Date(),
  });
}
