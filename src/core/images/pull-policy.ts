// Whether a service's image must be pulled, from its pull_policy (or `--pull`),
// whether the store has it, and when it was last pulled: `always`, `missing`
// (also `if_not_present`, the default), `never`, `build`, and the periodic
// `daily`, `weekly` and `every_<duration>` (pull when the last pull is older).
import { TugError } from '../errors.js';
import { parseDuration } from '../load/normalize/units.js';
import type { Project, ServiceSpec } from '../model/types.js';

export type StoreImageAction = 'use' | 'pull' | 'build' | 'skip';

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
  /** ISO time the store last pulled, loaded or built the reference, when it has it. */
  storedAt?: string;
  now: Date;
  flag?: string;
  /** `up --build`: always; `--no-build`: never; default: build what is missing. */
  build?: 'always' | 'never' | 'missing';
}

/**
 * 'use' the stored image, 'pull' it, 'build' it (a service with build:, as
 * Compose decides: --build, pull_policy build, or its image missing), or
 * 'skip' (a service without an image, which runs a host command).
 */
export function pullDecision(input: PullDecisionInput): StoreImageAction {
  const { spec, service } = input;
  const build = input.build ?? 'missing';
  const present = input.storedAt !== undefined;
  if (spec.build && build === 'always') return 'build';
  if (!spec.image && !spec.build) return 'skip';
  const { policy, periodMs } = effectivePolicy(spec, input.flag);
  if (spec.build && policy === 'build') return build === 'never' ? missingBuilt(service, spec, present) : 'build';
  if (!spec.image) return present ? 'use' : build === 'never' ? missingBuilt(service, spec, present) : 'build';
  if (policy === 'build') throw new TugError({ code: 'image.build-missing', message: `service "${service}": pull_policy is build, but it has no build: section`, path: ['services', service, 'pull_policy'] });
  if (policy === 'always') return 'pull';
  if (policy === 'periodic') return !present || input.now.getTime() - Date.parse(input.storedAt!) >= periodMs! ? 'pull' : 'use';
  if (present) return 'use';
  if (spec.build) return build === 'never' ? missingBuilt(service, spec, present) : 'build';
  if (policy === 'never') {
    throw new TugError({
      code: 'image.missing',
      message: `service "${service}": image ${spec.image} is not in the image store and its pull_policy is never`,
      hint: 'pull it (tug image pull) or load it (tug image load -i FILE) first',
    });
  }
  return 'pull';
}

/** --no-build: a built image that is there is used; one that is not is an error. */
function missingBuilt(service: string, spec: ServiceSpec, present: boolean): StoreImageAction {
  if (present) return 'use';
  throw new TugError({
    code: 'image.missing',
    message: `service "${service}": its image ${spec.image ?? ''} has not been built, and --no-build was given`.replace(' image  has', ' image has'),
    hint: 'run tug build, or up without --no-build',
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
