// `tug ps`: the project's replicas, from what runs (labels), as a table or
// as JSON lines with Compose's field names.
import type { CliContext } from '../context.js';
import { psJsonLine, psTable } from '../render/ps.js';
import { projectNameFor, withProject } from '../session.js';

export interface PsFlags {
  format: 'table' | 'json';
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  size?: boolean;
}

export async function psCommand(ctx: CliContext, services: string[], flags: PsFlags): Promise<number> {
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, async (tug) => {
    const rows = await tug.replicas({ services, all: flags.all, status: flags.status });
    const now = Date.now();
    if (flags.services) {
      ctx.out([...new Set(rows.map((r) => r.service))].map((s) => `${s}\n`).join(''));
      return 0;
    }
    if (flags.quiet) {
      ctx.out(rows.map((r) => `${r.id}\n`).join(''));
      return 0;
    }
    const sizes = flags.size ? await tug.diskUsage(rows) : undefined;
    if (flags.format === 'json') {
      ctx.out(rows.map((r) => psJsonLine(r, now, sizes) + '\n').join(''));
      return 0;
    }
    ctx.out(psTable(rows, now, ctx.color, sizes));
    return 0;
  });
}
