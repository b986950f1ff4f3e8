// Manifests, indexes and descriptors of the OCI image spec and Docker's v2
// schema 2 (the two are the same shape under different media types), parsed
// from registry or archive bytes with clear errors. Schema 1 is refused: the
// registries that still serve it do so only when asked in a way tug never asks.
import { TugError } from '../errors.js';
import type { Platform } from './platform.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Every manifest type tug reads: a registry converts or 404s when one is missing here. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** Manifests bigger than this are refused (containerd's limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export type ManifestDocument = ImageIndex | ImageManifest;

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const MANIFEST_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/**
 * Parses a manifest or index. `contentType` is the registry's header (or
 * undefined for archives); the body's own mediaType must agree with it.
 */
export function parseManifest(body: string, what: string, contentType?: string): ManifestDocument {
  const fail = (why: string, hint?: string) => new TugError({ code: 'image.manifest-invalid', message: `${what}: ${why}`, hint });
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw fail('the manifest is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fail('the manifest is not a JSON object');
  if (doc.schemaVersion === 1 || /vnd\.docker\.distribution\.manifest\.v1/.test(contentType ?? '')) {
    throw new TugError({
      code: 'image.schema1',
      message: `${what}: the image uses the deprecated Docker schema 1 manifest format, which tug does not run`,
      hint: 'push the image again with a current Docker or buildah (schema 2 or OCI)',
    });
  }
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const type = cleanType(contentType);
  if (declared && type && MANIFEST_OR_INDEX(type) && declared !== type) {
    throw fail(`the manifest says it is ${declared} but was served as ${type}`);
  }
  const mediaType = declared ?? (type && MANIFEST_OR_INDEX(type) ? type : Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
  const annotations = stringMap(doc.annotations);
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw fail('the index has no "manifests" list');
    return { kind: 'index', mediaType, manifests: doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`, fail)), ...(annotations && { annotations }) };
  }
  if (!MANIFEST_TYPES.has(mediaType)) throw fail(`unsupported manifest media type ${mediaType}`);
  if (!Array.isArray(doc.layers)) throw fail('the manifest has no "layers" list');
  return {
    kind: 'manifest',
    mediaType,
    config: descriptor(doc.config, 'config', fail),
    layers: doc.layers.map((d, i) => descriptor(d, `layers[${i}]`, fail)),
    ...(annotations && { annotations }),
  };
}

const MANIFEST_OR_INDEX = (t: string) => INDEX_TYPES.has(t) || MANIFEST_TYPES.has(t);

function cleanType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim() || undefined;
}

function descriptor(value: unknown, where: string, fail: (why: string) => TugError): Descriptor {
  const d = value as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw fail(`${where} is not a descriptor`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw fail(`${where} has no valid sha256 digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw fail(`${where} has no valid size`);
  const out: Descriptor = { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size };
  if (d.platform && typeof d.platform === 'object') out.platform = d.platform as Platform;
  const annotations = stringMap(d.annotations);
  if (annotations) out.annotations = annotations;
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === 'string');
  return out;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Only sha256, which is all registries use; the store keys files by its hex. */
export function isDigest(text: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(text);
}

/** The compression a layer's media type declares; `undefined` for types that are not layers tug can apply. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  if (/(?:\+|\.)gzip$/.test(mediaType)) return 'gzip';
  if (/(?:\+|\.)zstd$/.test(mediaType)) return 'zstd';
  if (/\.tar$/.test(mediaType) || /\.v1\.tar$/.test(mediaType)) return 'none';
  return undefined;
}

/** BuildKit attestations and other non-image entries of an index. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}
