// The image store's metadata: image records (keyed by image ID, the config
// digest), references (`docker.io/library/redis:7` or `name@sha256:…` → image
// ID, kept apart from the images so a tag moves without touching content),
// and leases (what replicas and pulls in progress hold against prune). Blobs
// and unpacked layers live beside them (blobs.ts, the unpacker).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { Platform } from '../../../core/images/platform.js';
import { familiarReference, formatReference, parseReference } from '../../../core/images/reference.js';
import { tugHome } from '../../native/home.js';
import { hexOf, imageRecordPath, layerDir, leasePath, storeLayout, type StoreLayout } from './layout.js';
import { withStoreLock, writeJsonAtomic } from './store-lock.js';
import { currentIdentity, formatIdentity } from '../../native/proc-identity.js';

export interface StoredDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

export interface StoredLayer extends StoredDescriptor {
  diffId: string;
}

export interface ImageRecord {
  /** The config digest: what Docker calls the image ID. */
  id: string;
  manifest: StoredDescriptor;
  config: StoredDescriptor;
  layers: StoredLayer[];
  platform: Platform;
  /** `repo@digest` as registries name it (the digest of what was pulled: an index or a manifest). */
  repoDigests: string[];
  created?: string;
  /** ISO time the record was first written. */
  added: string;
}

export interface RefEntry {
  id: string;
  /** ISO time the reference was last pulled from (or checked against) a registry, or loaded. */
  updated: string;
}

export interface Lease {
  images: string[];
  layers: string[];
  blobs: string[];
  /** "<pid> <start time>" for a pull in progress: a dead holder's lease is void. */
  holder?: string;
}

export class ImageStore {
  readonly layout: StoreLayout;

  constructor(readonly home: string) {
    this.layout = storeLayout(home);
  }

  static forEnv(env: Readonly<Record<string, string | undefined>> = process.env): ImageStore {
    return new ImageStore(tugHome(env));
  }

  ensureDirs(): void {
    const l = this.layout;
    for (const d of [l.blobsDir, l.ingestDir, l.layersDir, l.shortLinksDir, l.imagesDir, l.leasesDir, l.locksDir, l.tmpDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
  }

  async getImage(id: string): Promise<ImageRecord | undefined> {
    try {
      return JSON.parse(await readFile(imageRecordPath(this.layout, id), 'utf8')) as ImageRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Writes the record, keeping the repo digests and first-added time of an existing one (two pulls may race). */
  async putImage(record: ImageRecord): Promise<void> {
    this.ensureDirs();
    await withStoreLock(this.layout, `image-${hexOf(record.id)}`, async () => {
      const old = await this.getImage(record.id);
      const merged: ImageRecord = old ? { ...record, added: old.added, repoDigests: [...new Set([...old.repoDigests, ...record.repoDigests])] } : record;
      await writeJsonAtomic(this.layout, imageRecordPath(this.layout, record.id), merged);
    });
  }

  async removeImageRecord(id: string): Promise<void> {
    await rm(imageRecordPath(this.layout, id), { force: true });
  }

  async listImages(): Promise<ImageRecord[]> {
    const files = safeReaddir(this.layout.imagesDir).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
    const out: ImageRecord[] = [];
    for (const f of files) {
      const rec = await this.getImage(`sha256:${f.slice(0, 64)}`);
      if (rec) out.push(rec);
    }
    return out;
  }

  async readRefs(): Promise<Record<string, RefEntry>> {
    try {
      return JSON.parse(await readFile(this.layout.refsFile, 'utf8')) as Record<string, RefEntry>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  /** Sets (or with `null` removes) references, under the refs lock. */
  async updateRefs(changes: Record<string, RefEntry | null>): Promise<void> {
    this.ensureDirs();
    await withStoreLock(this.layout, 'refs', async () => {
      const refs = await this.readRefs();
      for (const [name, entry] of Object.entries(changes)) {
        if (entry) refs[name] = entry;
        else delete refs[name];
      }
      await writeJsonAtomic(this.layout, this.layout.refsFile, refs);
    });
  }

  /**
   * The image a user means: a reference (`redis`, `reg:5000/a:1`, `a@sha256:…`),
   * an image ID, or a unique ID prefix of at least 4 hex digits.
   */
  async findImage(text: string): Promise<{ record: ImageRecord; ref?: string } | undefined> {
    const refs = await this.readRefs();
    const idText = text.startsWith('sha256:') ? text.slice(7) : text;
    if (/^[0-9a-f]{4,64}$/.test(idText) && !refs[safeFormat(text) ?? '']) {
      const hits = (await this.listImages()).filter((r) => r.id.slice(7).startsWith(idText));
      if (hits.length > 1) throw new TugError({ code: 'image.ambiguous', message: `image ID prefix "${text}" matches ${hits.length} images`, hint: 'give more digits' });
      if (hits.length === 1) return { record: hits[0]! };
    }
    const key = formatReference(parseReference(text));
    const entry = refs[key];
    if (entry) {
      const record = await this.getImage(entry.id);
      if (record) return { record, ref: key };
    }
    // name@digest where the digest is a repo digest recorded on an image.
    if (key.includes('@')) {
      const hit = (await this.listImages()).find((r) => r.repoDigests.includes(key));
      if (hit) return { record: hit, ref: key };
    }
    return undefined;
  }

  hasLayer(diffId: string): boolean {
    return existsSync(join(layerDir(this.layout, diffId), 'layer.json'));
  }

  async layerSize(diffId: string): Promise<number> {
    try {
      return (JSON.parse(await readFile(join(layerDir(this.layout, diffId), 'layer.json'), 'utf8')) as { size: number }).size;
    } catch {
      return 0;
    }
  }

  /** Bytes the image's unpacked layers take (what `docker images` calls SIZE). */
  async imageSize(record: ImageRecord): Promise<number> {
    let total = 0;
    for (const l of new Set(record.layers.map((x) => x.diffId))) total += await this.layerSize(l);
    return total;
  }

  async putLease(id: string, lease: Partial<Lease>, opts: { transient?: boolean } = {}): Promise<void> {
    this.ensureDirs();
    const full: Lease = { images: lease.images ?? [], layers: lease.layers ?? [], blobs: lease.blobs ?? [] };
    if (opts.transient) full.holder = formatIdentity(currentIdentity());
    await writeJsonAtomic(this.layout, leasePath(this.layout, id), full);
  }

  async removeLease(id: string): Promise<void> {
    await rm(leasePath(this.layout, id), { force: true });
  }

  async listLeases(): Promise<Record<string, Lease>> {
    const out: Record<string, Lease> = {};
    for (const f of safeReaddir(this.layout.leasesDir)) {
      if (!f.endsWith('.json')) continue;
      try {
        out[f.slice(0, -5)] = JSON.parse(await readFile(join(this.layout.leasesDir, f), 'utf8')) as Lease;
      } catch {
        // Half-written or removed meanwhile: not a lease.
      }
    }
    return out;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeFormat(text: string): string | undefined {
  try {
    return formatReference(parseReference(text));
  } catch {
    return undefined;
  }
}

/** The names under which an image is known, familiar form (for `image ls`). */
export function refsOf(refs: Record<string, RefEntry>, id: string): string[] {
  return Object.entries(refs)
    .filter(([, e]) => e.id === id)
    .map(([name]) => familiarReference(parseReference(name)));
}
