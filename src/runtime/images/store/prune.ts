// Garbage collection by references, containerd style. What is used: every
// image a reference or a lease names, with its manifest, config, layer blobs
// and unpacked layers, plus whatever a lease lists directly (a pull in
// progress lists what it is fetching). Everything else goes. Prune and the
// start of a pull both take the "gc" lock, so a pull either registers its
// lease before prune looks or starts after it finished; a pull's lease whose
// process died is void.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { familiarReference, parseReference } from '../../../core/images/reference.js';
import { isAlive, parseIdentity } from '../../native/proc-identity.js';
import type { ImageRecord, ImageStore, Lease } from './image-store.js';
import { SHORT_ID_LENGTH, leasePath } from './layout.js';
import { withStoreLock } from './store-lock.js';

export interface PruneReport {
  images: string[];
  blobs: number;
  layers: number;
  /** Bytes freed on disk (blobs plus unpacked layers). */
  bytes: number;
}

/**
 * What a pull or load in progress holds against prune: it names each blob,
 * layer and image before fetching or committing it. Written under the "gc"
 * lock, so prune either sees an addition or runs entirely before it.
 */
export class TransientLease {
  private readonly held: Lease = { images: [], layers: [], blobs: [] };
  private readonly id = `pull-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(private readonly store: ImageStore) {}

  async add(part: Partial<Lease>): Promise<void> {
    for (const key of ['images', 'layers', 'blobs'] as const) for (const v of part[key] ?? []) if (!this.held[key].includes(v)) this.held[key].push(v);
    await withStoreLock(this.store.layout, 'gc', () => this.store.putLease(this.id, this.held, { transient: true }));
  }

  release(): Promise<void> {
    return this.store.removeLease(this.id);
  }
}

export async function pruneStore(store: ImageStore, only?: ReadonlySet<string>): Promise<PruneReport> {
  store.ensureDirs();
  return withStoreLock(store.layout, 'gc', async () => {
    const refs = await store.readRefs();
    const leases = await liveLeases(store);
    const usedImages = new Set([...Object.values(refs).map((r) => r.id), ...leases.flatMap((l) => l.images)]);
    const report: PruneReport = { images: [], blobs: 0, layers: 0, bytes: 0 };
    const kept: ImageRecord[] = [];
    for (const rec of await store.listImages()) {
      if (usedImages.has(rec.id) || (only && !only.has(rec.id))) kept.push(rec);
      else {
        await store.removeImageRecord(rec.id);
        report.images.push(rec.id);
      }
    }
    const blobs = new Set(leases.flatMap((l) => l.blobs));
    const layers = new Set(leases.flatMap((l) => l.layers));
    for (const rec of kept) {
      blobs.add(rec.manifest.digest).add(rec.config.digest);
      for (const rd of rec.repoDigests) blobs.add(rd.slice(rd.indexOf('@') + 1));
      for (const l of rec.layers) {
        blobs.add(l.digest);
        layers.add(l.diffId);
      }
    }
    const keepHex = (set: Set<string>) => new Set([...set].map((d) => d.slice(7)));
    const blobHex = keepHex(blobs);
    for (const name of listDir(store.layout.blobsDir)) {
      if (blobHex.has(name)) continue;
      report.bytes += sizeOf(join(store.layout.blobsDir, name));
      await unlink(join(store.layout.blobsDir, name)).catch(() => undefined);
      report.blobs++;
    }
    for (const name of listDir(store.layout.ingestDir)) {
      if (!blobHex.has(name.replace(/\.partial$/, ''))) await unlink(join(store.layout.ingestDir, name)).catch(() => undefined);
    }
    const layerHex = keepHex(layers);
    for (const name of listDir(store.layout.layersDir)) {
      if (layerHex.has(name) || name.startsWith('.tmp-')) continue;
      report.bytes += await store.layerSize(`sha256:${name}`);
      await rm(join(store.layout.shortLinksDir, name.slice(0, SHORT_ID_LENGTH)), { force: true });
      await rm(join(store.layout.layersDir, name), { recursive: true, force: true });
      report.layers++;
    }
    return report;
  });
}

/** Leases in force; a pull's lease whose process is gone is deleted. */
async function liveLeases(store: ImageStore): Promise<Lease[]> {
  const out: Lease[] = [];
  for (const [id, lease] of Object.entries(await store.listLeases())) {
    const holder = lease.holder ? parseIdentity(lease.holder) : undefined;
    if (lease.holder && (!holder || !isAlive(holder))) {
      await rm(leasePath(store.layout, id), { force: true });
      continue;
    }
    out.push(lease);
  }
  return out;
}

/**
 * `tug image rm`: removes the references; with no reference left, the image
 * itself goes and its content is collected. An image a replica holds is kept
 * (and with `force`, only untagged).
 */
export async function removeImage(store: ImageStore, text: string, opts: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted?: string }> {
  const found = await store.findImage(text);
  if (!found) throw new TugError({ code: 'image.not-found', message: `no such image: ${text}`, hint: 'tug image ls lists the images in the store' });
  const refs = await store.readRefs();
  const names = found.ref ? [found.ref] : Object.keys(refs).filter((k) => refs[k]!.id === found.record.id);
  const holders = Object.entries(await store.listLeases()).filter(([, l]) => !l.holder && l.images.includes(found.record.id)).map(([id]) => id);
  const remaining = Object.entries(refs).filter(([k, e]) => e.id === found.record.id && !names.includes(k));
  if (holders.length > 0 && remaining.length === 0 && !opts.force) {
    throw new TugError({
      code: 'image.in-use',
      message: `image ${text} is used by ${holders.length === 1 ? 'replica' : 'replicas'} ${holders.join(', ')}`,
      hint: 'remove those replicas first (tug down), or use --force to remove only the name',
    });
  }
  await store.updateRefs(Object.fromEntries(names.map((n) => [n, null])));
  const untagged = names.filter((n) => !n.includes('@')).map((n) => familiarReference(parseReference(n)));
  if (remaining.length > 0 || holders.length > 0) return { untagged };
  await pruneStore(store, new Set([found.record.id]));
  return { untagged, deleted: found.record.id };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
