// `tug build [SERVICE...]`: builds the images of the named services, or of
// every service with a `build:` section, a bounded number at once. The
// command-line flags are applied to the model first (--no-cache, --pull and
// --build-arg are what build.no_cache, build.pull and build.args say), so
// whichever builder runs reads one model: the backend's own (docker's images
// facet, its classic builder) or tug's native builder, passed in by the caller.
import { TugError, throwIfAny, usageError } from '../core/errors.js';
import type { BuildEvent } from '../core/build/events.js';
import type { Project, ServiceSpec } from '../core/model/types.js';
import { emit, type EngineContext } from './context.js';

export interface BuildOptions {
  /** The services to build; all with a build section when empty. */
  services?: readonly string[];
  noCache?: boolean;
  pull?: boolean;
  /** `--build-arg K=V`: over each service's build.args. */
  buildArgs?: Record<string, string>;
  signal?: AbortSignal;
}

export interface BuildResult {
  /** Image ID per built service. */
  images: Record<string, string>;
}

/** Builds one service of a model whose build sections already carry the flags; resolves to the image ID. */
export type ServiceBuilder = (project: Project, service: string, opts: { signal?: AbortSignal; onEvent: (event: BuildEvent) => void }) => Promise<string>;

/** Services built at once: each build runs its own stages in parallel too. */
const PARALLEL_BUILDS = 2;

export async function build(ctx: EngineContext, project: Project, opts: BuildOptions, builder: ServiceBuilder): Promise<BuildResult> {
  const services = buildableServices(ctx, project, opts.services ?? []);
  const model = withFlags(project, services, opts);
  const images: Record<string, string> = {};
  const failures = await inParallelSettled(services, Math.max(1, Math.min(ctx.parallel, PARALLEL_BUILDS)), async (service) => {
    images[service] = await builder(model, service, { signal: opts.signal, onEvent: (event) => emit(ctx, { type: 'build', event }) });
  });
  await ctx.hooks.settle?.();
  throwIfAny(failures.filter((e): e is TugError => e instanceof TugError));
  const other = failures.find((e) => !(e instanceof TugError));
  if (other) throw other;
  return { images };
}

function buildableServices(ctx: EngineContext, project: Project, named: readonly string[]): string[] {
  for (const s of named) {
    if (!project.services[s]) throw usageError(`no such service: ${s}`, `services in this project: ${Object.keys(project.services).sort().join(', ')}`);
  }
  const chosen = named.length > 0 ? [...new Set(named)] : Object.keys(project.services).sort();
  const out: string[] = [];
  for (const s of chosen) {
    if (project.services[s]!.build) out.push(s);
    else if (named.length > 0) emit(ctx, { type: 'notice', message: `service ${s} has no build section: nothing to build` });
  }
  return out;
}

/** The model with the command line's --no-cache, --pull and --build-arg written into the build sections. */
function withFlags(project: Project, services: readonly string[], opts: BuildOptions): Project {
  const changed: Record<string, ServiceSpec> = { ...project.services };
  for (const s of services) {
    const spec = changed[s]!;
    const b = spec.build!;
    changed[s] = {
      ...spec,
      build: {
        ...b,
        ...(opts.noCache && { no_cache: true }),
        ...(opts.pull && { pull: true }),
        ...(opts.buildArgs && Object.keys(opts.buildArgs).length > 0 && { args: { ...(b.args ?? {}), ...opts.buildArgs } }),
      },
    };
  }
  return { ...project, services: changed };
}

/** Runs `fn` over `items`, `limit` at once, every item even after a failure; the failures, in item order. */
async function inParallelSettled<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  const failures: unknown[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!).catch((err: unknown) => (failures[i] = err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures.filter((f) => f !== undefined);
}
