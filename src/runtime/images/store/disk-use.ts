// Disk use per image, as `docker system df -v` splits it: the unpacked size,
// the part no other image shares (what removing the image would free), the
// part shared with other images, and how many replicas use it (their leases).
import type { ImageRecord, ImageStore } from './image-store.js';

export interface ImageDiskUse {
  size: number;
  unique: number;
  shared: number;
  replicas: number;
}

export async function imageDiskUse(store: ImageStore, records: readonly ImageRecord[]): Promise<Map<string, ImageDiskUse>> {
  const users = new Map<string, number>();
  for (const r of records) for (const l of new Set(r.layers.map((x) => x.diffId))) users.set(l, (users.get(l) ?? 0) + 1);
  const leases = Object.values(await store.listLeases()).filter((l) => !l.holder);
  const out = new Map<string, ImageDiskUse>();
  for (const r of records) {
    let size = 0;
    let unique = 0;
    for (const l of new Set(r.layers.map((x) => x.diffId))) {
      const bytes = await store.layerSize(l);
      size += bytes;
      if (users.get(l) === 1) unique += bytes;
    }
    out.set(r.id, { size, unique, shared: size - unique, replicas: leases.filter((l) => l.images.includes(r.id)).length });
  }
  return out;
}
