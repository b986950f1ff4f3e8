// Making sure the images of a project's services are in the store, per
// pull_policy (or `--pull`): the piece the native backend's prepareImages
// calls, and what `tug pull` runs. Services naming one image share one pull.
// Resolves to the image ID per service, which becomes part of the recreate
// decision (the `com.docker.compose.image` label), as on the docker backend.
import { TugError } from '../../core/errors.js';
import { parsePlatform, type Platform } from '../../core/images/platform.js';
import { pullDecision } from '../../core/images/pull-policy.js';
import { formatReference, parseReference } from '../../core/images/reference.js';
import type { Project, ServiceSpec } from '../../core/model/types.js';
import type { ImageProgress } from '../backend.js';
import type { PullOptions } from './registry/pull.js';
import type { ImageStore } from './store/image-store.js';

export interface StoreImageOptions {
  env: PullOptions['env'];
  /** `up --pull` / `tug pull`: overrides each service's pull_policy. */
  pull?: string;
  onProgress?: (p: ImageProgress) => void;
  signal?: AbortSignal;
  now?: Date;
  retryDelayMs?: number;
  /** `up --build`: always; `--no-build`: never; default: build what is missing. */
  build?: 'always' | 'never' | 'missing';
  /** Builds a service's image and resolves to its ID; without one, a service that needs a build fails. */
  builder?: (service: string) => Promise<string>;
}

export interface StoreImageResult {
  /** Image ID per service that has one. */
  ids: Record<string, string>;
  /** Per service: why its image could not be made ready. */
  failures: Record<string, TugError>;
}

const PARALLEL_IMAGES = 3;

export async function prepareStoreImages(store: ImageStore, project: Project, services: string[], opts: StoreImageOptions): Promise<StoreImageResult> {
  const refs = await store.readRefs();
  const now = opts.now ?? new Date();
  const result: StoreImageResult = { ids: {}, failures: {} };
  const pulls = new Map<string, { services: string[]; platform?: Platform }>();
  const builds: string[] = [];
  for (const service of services) {
    const spec = project.services[service] ?? project.disabledServices[service];
    if (!spec) continue;
    try {
      // A service built without an image: name is tagged <project>-<service>, as Compose does.
      const name = spec.image ?? (spec.build ? `${project.name}-${service}` : undefined);
      const reference = name ? formatReference(parseReference(name)) : undefined;
      const stored = reference ? refs[reference] : undefined;
      const action = pullDecision({ service, spec, now, ...(stored && { storedAt: stored.updated }), ...(opts.pull !== undefined && { flag: opts.pull }), ...(opts.build && { build: opts.build }) });
      if (action === 'skip') continue;
      if (action === 'use') result.ids[service] = stored!.id;
      else if (action === 'build') builds.push(service);
      else {
        const platform = platformOf(spec);
        const key = `${reference}|${platform ? JSON.stringify(platform) : ''}`;
        const entry = pulls.get(key) ?? { services: [], ...(platform && { platform }) };
        entry.services.push(service);
        pulls.set(key, entry);
      }
    } catch (err) {
      if (!(err instanceof TugError)) throw err;
      result.failures[service] = err; // its message names the service
    }
  }
  if (pulls.size > 0) await pullAll(store, project, [...pulls.values()], opts, result);
  // Builds after pulls (a base image may be among them), one at a time: each RUN already uses the machine.
  for (const service of builds) {
    if (!opts.builder) {
      result.failures[service] = new TugError({ code: 'image.build-unsupported', message: `service "${service}" needs a build, and this command does not build`, hint: 'run tug build, or tug up' });
      continue;
    }
    try {
      result.ids[service] = await opts.builder(service);
    } catch (err) {
      if (!(err instanceof TugError)) throw err;
      result.failures[service] = err;
    }
  }
  return result;
}

/**
 * Pulls each distinct image once for the services naming it. The registry
 * client, the unpacker and tar-stream load only here: `tug build`, and an
 * `up` whose images are all in the store, never pay for them.
 */
async function pullAll(store: ImageStore, project: Project, pulls: { services: string[]; platform?: Platform }[], opts: StoreImageOptions, result: StoreImageResult): Promise<void> {
  const [{ pullImage }, { inParallel }] = await Promise.all([import('./registry/pull.js'), import('./store/commit-image.js')]);
  await inParallel(pulls, PARALLEL_IMAGES, async ({ services: names, platform }) => {
    const spec = (project.services[names[0]!] ?? project.disabledServices[names[0]!])!;
    try {
      const { record } = await pullImage(store, spec.image!, {
        env: opts.env,
        ...(platform && { platform }),
        ...(opts.signal && { signal: opts.signal }),
        ...(opts.retryDelayMs !== undefined && { retryDelayMs: opts.retryDelayMs }),
        onProgress: (p) => opts.onProgress?.({ service: names.join(','), image: spec.image!, ...p }),
      });
      for (const n of names) result.ids[n] = record.id;
    } catch (err) {
      if (!(err instanceof TugError)) throw err;
      for (const n of names) result.failures[n] = new TugError({ ...err.toInit(), message: `service "${n}": ${err.message}` });
    }
  });
}

function platformOf(spec: ServiceSpec): Platform | undefined {
  return typeof spec.platform === 'string' && spec.platform !== '' ? parsePlatform(spec.platform) : undefined;
}
