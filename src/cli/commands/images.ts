// `tug images [SERVICE...]`: the images the project's services use, as their
// backend has them (native: tug's image store), in the columns `docker
// compose images` prints.
import type { CliContext } from '../context.js';
import { loadProjectFor } from '../project-loading.js';
import { humanSize, shortImageId, table } from '../render/image-table.js';
import { withProject } from '../session.js';

export async function imagesCommand(ctx: CliContext, services: string[], flags: { format: 'table' | 'json'; quiet?: boolean }): Promise<number> {
  const project = loadProjectFor(ctx, services);
  const rows = await withProject(ctx, {}, project, (tug) => tug.images({ services }));
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
