// `tug images [SERVICE...]`: the images the project's services use, as found
// in tug's image store, in the columns `docker compose images` prints.
import { formatReference, parseReference } from '../../core/images/reference.js';
import type { CliContext } from '../context.js';
import { loadProjectFor } from '../project-loading.js';
import { humanSize, shortImageId, table } from '../render/image-table.js';
import { storeFor } from './image.js';

export async function imagesCommand(ctx: CliContext, services: string[], flags: { format: 'table' | 'json'; quiet?: boolean }): Promise<number> {
  const project = loadProjectFor(ctx, services);
  const store = storeFor(ctx);
  const refs = await store.readRefs();
  const rows: { service: string; repository: string; tag: string; id: string; size: number; platform: string }[] = [];
  for (const service of (services.length > 0 ? services : Object.keys(project.services)).sort()) {
    const image = project.services[service]?.image;
    if (!image) continue;
    const ref = parseReference(image);
    const entry = refs[formatReference(ref)];
    const record = entry ? await store.getImage(entry.id) : undefined;
    if (!record) continue;
    const [repository, tag] = image.includes('@') ? [image.split('@')[0]!, '<none>'] : splitTag(image, ref.tag ?? 'latest');
    const p = record.platform;
    rows.push({ service, repository, tag, id: record.id, size: await store.imageSize(record), platform: [p.os, p.architecture, p.variant].filter(Boolean).join('/') });
  }
  if (flags.quiet) {
    ctx.out([...new Set(rows.map((r) => r.id))].map((id) => `${id}\n`).join(''));
    return 0;
  }
  if (flags.format === 'json') {
    ctx.out(JSON.stringify(rows.map((r) => ({ ID: r.id, Service: r.service, ContainerName: '', Repository: r.repository, Tag: r.tag, Platform: r.platform, Size: r.size }))) + '\n');
    return 0;
  }
  ctx.out(table([['SERVICE', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], ...rows.map((r) => [r.service, r.repository, r.tag, shortImageId(r.id), humanSize(r.size)])]));
  return 0;
}

/** The name as the file wrote it, split at its tag. */
function splitTag(image: string, tag: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, tag];
}
