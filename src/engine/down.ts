// `down`: stop and remove the project's replicas and networks, and with
// `volumes` the named volumes the file declares plus the removed replicas'
// anonymous ones. Works from what runs (labels), so it still works when the
// Compose file has changed or is gone; the volumes it keeps under `volumes`
// are named, with the reason, as warnings.
import type { Project } from '../core/model/types.js';
import type { ObservedState } from '../core/reconcile/observed.js';
import { downVolumes, planDown, type KeptVolumeReason } from '../core/reconcile/down.js';
import { findOrphans } from '../core/reconcile/reconcile.js';
import type { RmiMode } from '../core/images/down-images.js';
import type { ImageRemoval } from '../runtime/backend.js';
import { applyPlans } from './apply.js';
import { emit, type EngineContext } from './context.js';

/** The `down` flags in camelCase; the timeout in seconds. */
export interface DownOptions {
  /** Only these services' replicas (networks and volumes stay). */
  services?: string[];
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: number;
  /** Also remove the services' images: `all` of them, or only the `local` ones (built, with no name of their own). */
  rmi?: RmiMode;
}

export interface DownResult {
  /** Nothing was there to remove. */
  upToDate: boolean;
  /** Volumes `volumes: true` left in place, and why. */
  keptVolumes: { name: string; reason: KeptVolumeReason }[];
  /** With `rmi`: what became of each image name. */
  images: ImageRemoval[];
}

/** `project` is the loaded file, when it loads; without it `down` works from labels alone. */
export async function down(ctx: EngineContext, name: string, project: Project | undefined, opts: DownOptions = {}): Promise<DownResult> {
  const observed = await ctx.backend.replicas.observe(name);
  if (project && !opts.removeOrphans) {
    const orphans = findOrphans(project, observed);
    if (orphans.length > 0) {
      emit(ctx, { type: 'warning', message: `found orphan replicas (${orphans.map((o) => o.name).join(', ')}); run with --remove-orphans to remove them` });
    }
  }
  const services = opts.services && opts.services.length > 0 ? opts.services : undefined;
  const outcome = await applyPlans(ctx, {
    project: name,
    maxRounds: 2,
    planFor: (state) =>
      planDown(state, {
        project,
        services,
        removeVolumes: opts.volumes === true,
        removeOrphans: opts.removeOrphans === true,
        timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
      }),
  });
  const keptVolumes = opts.volumes && !services ? downVolumes(observed, project).kept : [];
  for (const message of keptVolumeMessages(keptVolumes, (names) => ctx.backend.resources.volumeRemovalHint(names))) emit(ctx, { type: 'warning', message });
  const images = opts.rmi && !services ? await removeProjectImages(ctx, name, project, observed, opts.rmi) : [];
  return { upToDate: outcome.upToDate && !images.some((i) => i.outcome === 'removed'), keptVolumes, images };
}

/** After the replicas are gone, so only other projects' replicas can still hold an image. */
async function removeProjectImages(ctx: EngineContext, name: string, project: Project | undefined, observed: ObservedState, mode: RmiMode): Promise<ImageRemoval[]> {
  const [{ imagesToRemove }, { removeImages }] = await Promise.all([import('../core/images/down-images.js'), import('./images.js')]);
  return removeImages(ctx, imagesToRemove(name, project, observed, mode));
}

const WHY: Record<KeptVolumeReason, (hint: string, them: string) => string> = {
  external: (_, them) => `the Compose file declares ${them} external, and tug never removes external volumes`,
  undeclared: (hint, them) => `the Compose file does not declare ${them} (any more); if the data is not needed, remove ${them} by hand (${hint})`,
  'no-file': (hint, them) =>
    `the Compose file could not be loaded, so tug cannot tell whether it still declares ${them}; run \`tug down -v\` where the file loads, or remove ${them} by hand (${hint})`,
};

/** One line per reason: "kept volume(s) a, b: why". */
export function keptVolumeMessages(kept: { name: string; reason: KeptVolumeReason }[], removeHint: (names: string[]) => string): string[] {
  const byReason = new Map<KeptVolumeReason, string[]>();
  for (const { name, reason } of kept) byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  return [...byReason].map(([reason, names]) => {
    const one = names.length === 1;
    return `kept ${one ? 'volume' : 'volumes'} ${names.join(', ')}: ${WHY[reason](removeHint(names), one ? 'it' : 'them')}`;
  });
}
