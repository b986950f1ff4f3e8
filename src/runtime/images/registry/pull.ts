// `pull`: reference → manifest (through an index, choosing the platform) →
// config → layers, each verified on arrival and unpacked as soon as it is in,
// several at once, with per-layer byte progress. Nothing is named until all
// of it is stored (commit-image.ts), and a pull in progress holds a lease so a
// concurrent prune leaves its blobs alone. An interrupted layer keeps its
// partial file, which the retry (or the next pull) resumes.
import { createHash } from 'node:crypto';
import { TugError } from '../../../core/errors.js';
import { parseManifest, type Descriptor, type ImageManifest } from '../../../core/images/manifest.js';
import { formatPlatform, hostPlatform, selectManifest, type Platform } from '../../../core/images/platform.js';
import { familiarReference, formatReference, parseReference, repositoryName, type ImageReference } from '../../../core/images/reference.js';
import type { RegistryEnv } from '../../../core/images/registry-hosts.js';
import { sleep } from '../../../timers.js';
import type { ImageProgress } from '../../backend.js';
import { digestMismatch, ingestBlob, putBlob, type IngestOptions } from '../store/blobs.js';
import { commitImage, inParallel } from '../store/commit-image.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import { TransientLease } from '../store/prune.js';
import { unpackLayer } from '../unpack/unpack-layer.js';
import { RegistryClient } from './client.js';
import { lookupCredentials, type RegistryCredentials } from './credentials.js';
import { readImageConfig } from '../store/config-blob.js';

export type PullProgress = Omit<ImageProgress, 'service' | 'image'>;

export interface PullOptions {
  env: RegistryEnv & Readonly<Record<string, string | undefined>>;
  platform?: Platform;
  /** Overrides ~/.docker/config.json. */
  credentials?: RegistryCredentials;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Layers fetched at once (default 3, as Docker). */
  parallel?: number;
  retryDelayMs?: number;
}

export interface PullResult {
  record: ImageRecord;
  /** The full reference pulled (`docker.io/library/redis:7`). */
  reference: string;
  /** The digest the registry knows it by (index or manifest). */
  digest: string;
}

const BLOB_ATTEMPTS = 5;

export function defaultPlatform(): Platform {
  const arm = (process.config.variables as { arm_version?: string }).arm_version;
  return hostPlatform(process.platform, process.arch, arm);
}

export async function pullImage(store: ImageStore, text: string, opts: PullOptions): Promise<PullResult> {
  const ref = parseReference(text);
  const name = familiarReference(ref);
  const progress = opts.onProgress ?? (() => undefined);
  const credentials = opts.credentials ?? (await lookupCredentials(ref.domain, opts.env));
  const client = new RegistryClient(ref.domain, ref.path, {
    env: opts.env,
    ...(credentials && { credentials }),
    ...(opts.signal && { signal: opts.signal }),
    ...(opts.retryDelayMs !== undefined && { retryDelayMs: opts.retryDelayMs }),
  });
  store.ensureDirs();
  progress({ action: 'pull', status: 'Pulling' });
  const top = await fetchManifest(client, ref, ref.digest ?? ref.tag!, ref.digest, name);
  const lease = new TransientLease(store);
  await lease.add({ blobs: [top.descriptor.digest] });
  try {
    await putBlob(store.layout, top.descriptor, top.bytes, 'manifest');
    let manifest: ImageManifest;
    let manifestDescriptor = top.descriptor;
    if (top.doc.kind === 'index') {
      const chosen = selectManifest(top.doc, opts.platform ?? defaultPlatform(), name);
      const child = await fetchManifest(client, ref, chosen.digest, chosen.digest, name);
      if (child.doc.kind !== 'manifest') throw new TugError({ code: 'image.manifest-invalid', message: `${name}: the index entry for ${formatPlatform(chosen.platform!)} is itself an index` });
      await putBlob(store.layout, child.descriptor, child.bytes, 'manifest');
      manifest = child.doc;
      manifestDescriptor = child.descriptor;
    } else manifest = top.doc;
    const blobs = [top.descriptor.digest, manifestDescriptor.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
    await lease.add({ blobs, images: [manifest.config.digest] });
    await fetchBlob(store, client, manifest.config, 'config', opts, {});
    const config = await readImageConfig(store.layout, manifest.config.digest, name);
    await lease.add({ layers: config.rootfs.diff_ids });
    await inParallel(manifest.layers.map((l, i) => ({ l, diffId: config.rootfs.diff_ids[i] })), opts.parallel ?? 3, async ({ l, diffId }) => {
      const layer = shortId(l.digest);
      if (diffId && store.hasLayer(diffId)) return progress({ action: 'pull', layer, status: 'Already exists' });
      progress({ action: 'pull', layer, status: 'Waiting' });
      if (!diffId) return; // commitImage reports the count mismatch
      const stored = { ...l, diffId };
      // Unpack while downloading; when that cannot be (a resumed transfer, a layer
      // busy elsewhere, any failure), unpack from the stored blob afterwards.
      let streamed: Promise<boolean> = Promise.resolve(false);
      const downloaded = fetchBlob(store, client, l, 'layer', opts, {
        onBytes: (current, total) => progress({ action: 'pull', layer, status: 'Downloading', current, total }),
        onStream: (bytes) => {
          streamed = unpackLayer(store, stored, { stream: { bytes, ready: downloaded } }).then(() => true, () => false);
        },
      });
      await downloaded;
      progress({ action: 'pull', layer, status: 'Download complete' });
      progress({ action: 'pull', layer, status: 'Extracting' });
      if (!(await streamed)) await unpackLayer(store, stored);
      progress({ action: 'pull', layer, status: 'Pull complete' });
    });
    const reference = formatReference(ref);
    const repoDigest = `${repositoryName(ref)}@${top.descriptor.digest}`;
    const record = await commitImage(store, {
      manifest,
      manifestDescriptor,
      refs: [reference],
      repoDigests: [repoDigest],
      what: name,
      now: new Date(),
    });
    progress({ action: 'pull', status: `Digest: ${top.descriptor.digest}` });
    return { record, reference, digest: top.descriptor.digest };
  } finally {
    await lease.release();
  }
}

interface Fetched {
  bytes: Buffer;
  doc: ReturnType<typeof parseManifest>;
  descriptor: { digest: string; mediaType: string; size: number };
}

async function fetchManifest(client: RegistryClient, ref: ImageReference, reference: string, expected: string | undefined, name: string): Promise<Fetched> {
  const got = await client.getManifest(reference);
  const digest = `sha256:${createHash('sha256').update(got.bytes).digest('hex')}`;
  const want = expected ?? got.digest;
  if (want && want !== digest) throw digestMismatch(`manifest of ${name}`, { digest: want, size: got.bytes.length }, digest, got.bytes.length);
  const doc = parseManifest(got.bytes.toString('utf8'), `${name} (${repositoryName(ref)})`, got.mediaType);
  return { bytes: got.bytes, doc, descriptor: { digest, mediaType: doc.mediaType, size: got.bytes.length } };
}

/** One blob into the store, resuming after a broken transfer; a digest mismatch is final. */
async function fetchBlob(store: ImageStore, client: RegistryClient, d: Descriptor, what: string, opts: PullOptions, ingest: Pick<IngestOptions, 'onBytes' | 'onStream'>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Only the first attempt streams: a retry resumes, and resumed bytes cannot be unpacked as they come.
      await ingestBlob(store.layout, d, (offset) => client.blob(d.digest, offset), { what, ...ingest, ...(attempt > 1 && { onStream: undefined }) });
      return;
    } catch (err) {
      const final = err instanceof TugError && err.code !== 'image.blob-incomplete';
      if (final || attempt >= BLOB_ATTEMPTS || opts.signal?.aborted) {
        if (err instanceof TugError) throw err;
        throw new TugError({ code: 'image.download-failed', message: `${what} ${d.digest} of ${client.repository}: the download failed ${attempt} times: ${(err as Error).message}`, hint: 'pull again: it resumes where it stopped' });
      }
      await sleep((opts.retryDelayMs ?? 1000) * attempt, opts.signal);
    }
  }
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
