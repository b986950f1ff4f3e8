// Building one service's image with tug's own builder on the native store:
// the Compose `build:` section mapped to a request (request.ts), the builder
// driven over the store's layers and images and runc RUN containers, the
// image tagged `<project>-<service>` (or `image:`) plus `build.tags`. This is
// the one function the native images facet and `tug build` call.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { BuildEvent } from '../../../core/build/events.js';
import type { Project } from '../../../core/model/types.js';
import type { PullOptions } from '../../images/registry/pull.js';
import type { ImageStore } from '../../images/store/image-store.js';
import { TransientLease } from '../../images/store/prune.js';
import { writeJsonAtomic } from '../../images/store/store-lock.js';
import { build, type BuildResult } from '../builder.js';
import type { DigestCache } from '../digest.js';
import type { RunRequest, StepExecutor } from '../interfaces.js';
import { hostPlatform } from '../../../core/images/platform.js';
import { buildRequestFor, type BuildInvocation } from '../request.js';
import { buildCacheDir } from './build-dirs.js';
import { StoreImageWriter } from './store-images.js';
import { StoreLayerStore } from './store-layers.js';

export interface ServiceBuildOptions extends Partial<Omit<BuildInvocation, 'platform'>> {
  /** The environment registry pulls of base images read (proxy, credentials). */
  env?: PullOptions['env'];
  onEvent?: (event: BuildEvent) => void;
  /** Runs RUN steps; tug's runc executor by default. */
  executor?: StepExecutor;
}

export async function buildServiceImage(store: ImageStore, project: Project, service: string, opts: ServiceBuildOptions = {}): Promise<string> {
  return (await buildServiceImageResult(store, project, service, opts)).imageId;
}

export async function buildServiceImageResult(store: ImageStore, project: Project, service: string, opts: ServiceBuildOptions = {}): Promise<BuildResult> {
  const svc = project.services[service] ?? project.disabledServices[service];
  if (!svc) throw new TugError({ code: 'build.no-service', message: `no such service: ${service}` });
  const request = await buildRequestFor(project.name, service, svc, { ...opts, platform: hostPlatform(process.platform, process.arch, (process.config.variables as { arm_version?: string }).arm_version) });
  store.ensureDirs();
  const lease = new TransientLease(store);
  const digests = await DigestFile.open(store);
  try {
    const layers = new StoreLayerStore(store, lease);
    const images = new StoreImageWriter(store, lease, layers.committed, opts.env ?? process.env, opts.signal);
    return await build(request, { executor: opts.executor ?? lazyRunExecutor(store), layers, images, digestCache: digests }, opts.onEvent);
  } finally {
    await lease.release();
    await digests.save();
  }
}

/** The runc executor, loaded (and runc looked for) only when a RUN step misses the cache. */
function lazyRunExecutor(store: ImageStore): StepExecutor {
  let executor: Promise<StepExecutor> | undefined;
  return {
    async run(request: RunRequest) {
      executor ??= import('./run-executor.js').then(({ RunExecutor }) => new RunExecutor(store));
      return (await executor).run(request);
    },
  };
}

const MAX_DIGESTS = 100_000;

/** Context file digests kept between builds, so an unchanged context is not read again. */
class DigestFile implements DigestCache {
  private changed = false;

  private constructor(
    private readonly store: ImageStore,
    private readonly entries: Record<string, string>,
  ) {}

  static async open(store: ImageStore): Promise<DigestFile> {
    let entries: Record<string, string> = {};
    try {
      entries = JSON.parse(await readFile(DigestFile.path(store), 'utf8')) as Record<string, string>;
    } catch {
      // None yet, or unreadable: every file is hashed again.
    }
    return new DigestFile(store, entries);
  }

  private static path(store: ImageStore): string {
    return join(buildCacheDir(store), 'digests.json');
  }

  get(statKey: string): string | undefined {
    return this.entries[statKey];
  }

  set(statKey: string, digest: string): void {
    delete this.entries[statKey];
    this.entries[statKey] = digest;
    this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    // Oldest first: past the cap, entries of files long gone (or changed) drop out.
    const keys = Object.keys(this.entries);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_DIGESTS))) delete this.entries[k];
    mkdirSync(buildCacheDir(this.store), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(this.store.layout, DigestFile.path(this.store), this.entries);
  }
}
