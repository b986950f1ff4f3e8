// `tug scale web=3 worker=0`: engine/scale.ts converges exactly as `up -d`
// does for those services; here the pairs are parsed and events shown.
import { usageError } from '../../core/errors.js';
import { parseScaleArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { withProject } from '../session.js';
import { loadProjectFor } from '../project-loading.js';

export async function scaleCommand(ctx: CliContext, pairs: string[], flags: { deps: boolean }): Promise<number> {
  if (pairs.length === 0) throw usageError('scale needs at least one SERVICE=NUMBER', 'e.g. tug scale web=3');
  const project = loadProjectFor(ctx);
  const counts = parseScaleArgs(pairs, Object.keys(project.services));
  return withProject(ctx, { progress: true }, project, async (tug) => {
    await tug.scale(counts, { noDeps: !flags.deps });
    return 0;
  });
}
