// `tug ls`: the projects tug runs on this machine, with their state.
import type { CliContext } from '../context.js';
import { listProjects } from '../../engine/ls.js';
import { withEngine } from '../session.js';

export async function lsCommand(ctx: CliContext, flags: { all?: boolean; format: 'table' | 'json'; quiet?: boolean }): Promise<number> {
  return withEngine(ctx, {}, async (engine) => {
    const projects = await listProjects(engine, { all: flags.all });
    if (flags.quiet) {
      ctx.out(projects.map((p) => `${p.name}\n`).join(''));
      return 0;
    }
    if (flags.format === 'json') {
      ctx.out(JSON.stringify(projects.map((p) => ({ Name: p.name, Status: p.status, ConfigFiles: p.configFiles.join(',') }))) + '\n');
      return 0;
    }
    const rows = [['NAME', 'STATUS', 'CONFIG FILES'], ...projects.map((p) => [p.name, p.status, p.configFiles.join(',')])];
    const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    ctx.out(rows.map((r) => `${r[0]!.padEnd(widths[0]!)}   ${r[1]!.padEnd(widths[1]!)}   ${r[2]}`.trimEnd()).join('\n') + '\n');
    return 0;
  });
}
