// Where the image store keeps things, shared by all projects of a user:
//
//   $TUG_HOME/images/
//     blobs/sha256/<hex>          content by digest: layers as pulled, manifests, indexes, configs
//     ingest/<hex>.partial        a download in progress (kept on failure, resumed by the next pull)
//     layers/<hex>/fs/            a layer unpacked once, keyed by its diff ID
//     layers/<hex>/layer.json     its size on disk, written before the directory is committed
//     l/<12 hex>                  -> ../layers/<hex>/fs: short names keep overlay's mount options short
//     images/<hex>.json           an image record keyed by image ID (the config digest)
//     refs.json                   name:tag and name@digest -> image ID
//     leases/<id>.json            what a replica (or a pull in progress) holds against prune
//     locks/<name>.lock           one per digest being fetched or unpacked, plus "refs" and "gc"
//     tmp/                        scratch for commits by rename
//
// Every path built from a digest goes through `hexOf`, which refuses anything
// but sha256 and 64 lowercase hex digits, so no name from a manifest reaches
// the filesystem unchecked.
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';

export interface StoreLayout {
  root: string;
  blobsDir: string;
  ingestDir: string;
  layersDir: string;
  shortLinksDir: string;
  imagesDir: string;
  refsFile: string;
  leasesDir: string;
  locksDir: string;
  tmpDir: string;
}

export function storeLayout(home: string): StoreLayout {
  const root = join(home, 'images');
  return {
    root,
    blobsDir: join(root, 'blobs', 'sha256'),
    ingestDir: join(root, 'ingest'),
    layersDir: join(root, 'layers'),
    shortLinksDir: join(root, 'l'),
    imagesDir: join(root, 'images'),
    refsFile: join(root, 'refs.json'),
    leasesDir: join(root, 'leases'),
    locksDir: join(root, 'locks'),
    tmpDir: join(root, 'tmp'),
  };
}

/** The hex part of a sha256 digest; anything else is refused before it can become a path. */
export function hexOf(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new TugError({ code: 'image.digest-invalid', message: `"${digest}" is not a sha256 digest` });
  return m[1]!;
}

/** Length of the short layer names under l/: 12 hex digits, as in short image IDs. */
export const SHORT_ID_LENGTH = 12;

export function blobPath(layout: StoreLayout, digest: string): string {
  return join(layout.blobsDir, hexOf(digest));
}

export function layerDir(layout: StoreLayout, diffId: string): string {
  return join(layout.layersDir, hexOf(diffId));
}

export function layerFsDir(layout: StoreLayout, diffId: string): string {
  return join(layerDir(layout, diffId), 'fs');
}

export function imageRecordPath(layout: StoreLayout, imageId: string): string {
  return join(layout.imagesDir, `${hexOf(imageId)}.json`);
}

const LEASE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

export function leasePath(layout: StoreLayout, leaseId: string): string {
  if (!LEASE_ID.test(leaseId)) throw new TugError({ code: 'image.lease-invalid', message: `"${leaseId}" is not a valid lease name` });
  return join(layout.leasesDir, `${leaseId}.json`);
}
