// `ls`: the projects the backend runs on this machine, with their state.
import type { ProjectSummary } from '../runtime/backend.js';
import type { EngineContext } from './context.js';

export async function listProjects(ctx: EngineContext, opts: { all?: boolean } = {}): Promise<ProjectSummary[]> {
  return (await ctx.backend.listProjects()).filter((p) => opts.all || /running|restarting/.test(p.status));
}
