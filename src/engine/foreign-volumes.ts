// Declared volumes that exist already without this project's label: made by
// hand, or by another project that names the same volume (`name: shared`).
// Compose warns and uses them, and so does tug: the planner is told about
// them, because observe lists only the project's own volumes and would have
// it plan their creation again every round (and give up after three).
import { LABEL } from '../core/model/labels.js';
import type { Project } from '../core/model/types.js';
import { declaredVolumeNames } from '../core/reconcile/resources.js';
import { emit, type EngineContext } from './context.js';

/** Engine names of the project's declared volumes that exist but are not its own, each warned about (unless `warn` is false: a watch rebuild, after its up warned). */
export async function foreignVolumes(ctx: EngineContext, project: Project, warn = true): Promise<string[]> {
  const names = declaredVolumeNames(project, Object.keys(project.services));
  if (names.length === 0) return [];
  const foreign = (await ctx.backend.resources.findVolumes(names)).filter((v) => v.labels[LABEL.project] !== project.name);
  for (const v of warn ? foreign : []) {
    const owner = v.labels[LABEL.project];
    const made = owner ? `was created for project "${owner}" (expected "${project.name}")` : 'was not created by tug or Compose';
    emit(ctx, { type: 'warning', message: `volume "${v.name}" already exists but ${made}; it is used as it is (declare it with \`external: true\` to say so)` });
  }
  return foreign.map((v) => v.name);
}
