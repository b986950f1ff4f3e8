// Whether a service's image must be pulled, from its pull_policy (or `--pull`),
// whether the store has it, and when it was last pulled: `always`, `missing`
// (also `if_not_present`, the default), `never`, `build`, and the periodic
// `daily`, `weekly` and `every_<duration>` (pull when the last pull is older).
import { TugError } from '../errors.js';
import { parseDuration } from '../load/normalize/units.js';
import type { Project, ServiceSpec } from '../model/types.js';

export type StoreImageAction = 'use' | 'pull' | 'skip';

const DAY_MS = 24 * 3600_000;

/** The policy in force: the flag wins over the file; milliseconds for periodic ones. */
export function effectivePolicy(spec: ServiceSpec, flag?: string): { policy: 'always' | 'missing' | 'never' | 'build' | 'periodic'; periodMs?: number } {
  const text = flag ?? (typeof spec.pull_policy === 'string' ? spec.pull_policy : 'missing');
  if (text === 'if_not_present' || text === 'missing') return { policy: 'missing' };
  if (text === 'always' || text === 'never' || text === 'build') return { policy: text };
  if (text === 'daily') return { policy: 'periodic', periodMs: DAY_MS };
  if (text === 'weekly') return { policy: 'periodic', periodMs: 7 * DAY_MS };
  const every = /^every_(.+)$/.exec(text);
  if (every) {
    try {
      return { policy: 'periodic', periodMs: parseDuration(every[1]!) };
    } catch {
      // fall through to the error below
    }
  }
  throw new TugError({
    code: 'image.pull-policy-invalid',
    message: `invalid pull_policy "${text}"`,
    hint: 'use always, missing, never, build, daily, weekly or every_<duration> (e.g. every_12h)',
  });
}

export interface PullDecisionInput {
  service: string;
  spec: ServiceSpec;
  /** ISO time the store last pulled or loaded the reference, when it has it. */
  storedAt?: string;
  now: Date;
  flag?: string;
}

/**
 * 'use' the stored image, 'pull' it, or 'skip' (a service tug runs as a host
 * command). A service that must be built is an error on tug's own runtime,
 * which builds nothing yet.
 */
export function pullDecision(input: PullDecisionInput): StoreImageAction {
  const { spec, service } = input;
  if (!spec.image) {
    if (spec.build) throw cannotBuild(service, 'it has build: and no image: name');
    return 'skip';
  }
  const { policy, periodMs } = effectivePolicy(spec, input.flag);
  const present = input.storedAt !== undefined;
  if (policy === 'build') throw cannotBuild(service, 'its pull_policy is build');
  if (policy === 'always') return 'pull';
  if (policy === 'periodic') return !present || input.now.getTime() - Date.parse(input.storedAt!) >= periodMs! ? 'pull' : 'use';
  if (present) return 'use';
  if (spec.build) throw cannotBuild(service, `its image ${spec.image} is not in the store`);
  if (policy === 'never') {
    throw new TugError({
      code: 'image.missing',
      message: `service "${service}": image ${spec.image} is not in the image store and its pull_policy is never`,
      hint: 'pull it (tug image pull) or load it (tug image load -i FILE) first',
    });
  }
  return 'pull';
}

function cannotBuild(service: string, why: string): TugError {
  return new TugError({
    code: 'image.build-unsupported',
    message: `service "${service}" needs a build (${why}), and tug's own runtime cannot build images yet`,
    hint: 'build it with --backend docker, or load a built image with tug image load -i FILE',
  });
}

/**
 * The services `tug pull` pulls, as `docker compose pull` chooses them: those
 * with an image whose pull_policy is neither never nor build.
 */
export function pullableServices(project: Project, services: readonly string[]): string[] {
  return services.filter((s) => {
    const spec = project.services[s] ?? project.disabledServices[s];
    if (!spec?.image) return false;
    const { policy } = effectivePolicy(spec);
    return policy !== 'never' && policy !== 'build';
  });
}
