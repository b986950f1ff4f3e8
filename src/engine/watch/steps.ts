// Carries out one planned watch step against the running project: a rebuild
// (watch/rebuild.ts), a sync through the backend's files facet, a restart
// (lifecycle restart, with the dependents that declare `restart: true`, as
// Compose's sync+restart does), or a rule's exec hook in each replica with its
// output captured, never on the terminal. Each step reports one event per
// replica or service; a failure is an `error` event and the caller goes on
// watching. The watch's stop signal ends what can end cleanly at once (a
// build, an exec hook); a sync, a restart or a recreate in progress finishes,
// so the project is left running and whole.
import { ConfigErrors, TugError } from '../../core/errors.js';
import type { SyncPath } from '../../core/watch/changes.js';
import type { Project } from '../../core/model/types.js';
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { WatchExecHook } from '../../core/watch/rules.js';
import type { EngineContext } from '../context.js';
import { lifecycle } from '../lifecycle.js';
import { rebuildService } from './rebuild.js';
import type { WatchStep } from './plan-batch.js';
import type { WatchEventInit } from './events.js';

/** The tail of a hook's output kept for its event: enough to see why it failed. */
const EXEC_OUTPUT_BYTES = 4096;

export interface StepContext {
  /** The engine, its progress events quieted: watch reports one line per action. */
  ctx: EngineContext;
  project: Project;
  emit: (event: WatchEventInit) => void;
  /** After a rebuild, remove the image it replaced when nothing uses it (backends that can). */
  prune?: boolean;
  /** Aborted when watching stops. */
  signal?: AbortSignal;
}

export async function runStep(run: StepContext, step: WatchStep): Promise<void> {
  if (run.signal?.aborted) return;
  try {
    switch (step.kind) {
      case 'rebuild':
        return await rebuildService(run, step.service);
      case 'sync':
        return await sync(run, step.service, step.paths);
      case 'restart':
        return await restart(run, step.service);
      case 'exec':
        return await execHook(run, step.service, step.hook);
    }
  } catch (err) {
    run.emit({ type: 'error', service: step.service, error: asTugError(err, `${step.kind} of ${step.service} failed`) });
  }
}

async function sync({ ctx, project, emit }: StepContext, service: string, paths: readonly SyncPath[]): Promise<void> {
  const replicas = await runningReplicas(ctx, project.name, service);
  if (replicas.length === 0) return;
  const results = await ctx.backend.files!.sync(project.name, replicas.map((r) => ({ id: r.id, name: r.name })), { paths });
  for (const [i, result] of results.entries()) {
    const replica = replicas[i]!.name;
    if (result.error) emit({ type: 'error', service, replica, error: result.error });
    else emit({ type: 'sync', service, replica, files: result.copied, removed: result.removed, ms: result.ms });
  }
}

async function restart({ ctx, project, emit }: StepContext, service: string): Promise<void> {
  const started = performance.now();
  const services = [service, ...restartDependents(project, service)];
  await lifecycle(ctx, project.name, 'restart', { services });
  const observed = await ctx.backend.replicas.observe(project.name);
  const replicas = observed.replicas.filter((r) => services.includes(r.service) && !r.oneoff).map((r) => r.name);
  emit({ type: 'restart', service, replicas, ms: performance.now() - started });
}

/** Services that depend on `service` with `restart: true`, and theirs in turn. */
export function restartDependents(project: Project, service: string): string[] {
  const out: string[] = [];
  const queue = [service];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const [name, svc] of Object.entries(project.services)) {
      if (name === service || out.includes(name)) continue;
      if (svc.depends_on?.[current]?.restart) {
        out.push(name);
        queue.push(name);
      }
    }
  }
  return out;
}

async function execHook({ ctx, project, emit, signal }: StepContext, service: string, hook: WatchExecHook): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(hook.environment ?? {})) if (v !== null) env[k] = v;
  for (const replica of await runningReplicas(ctx, project.name, service)) {
    if (signal?.aborted) return;
    const started = performance.now();
    let output = '';
    const exitCode = await ctx.backend.io.exec(project.name, replica.id, {
      command: hook.command,
      env,
      user: hook.user,
      workdir: hook.working_dir,
      privileged: hook.privileged,
      signal,
      output: (_stream, chunk) => {
        output = (output + chunk.toString('utf8')).slice(-EXEC_OUTPUT_BYTES);
      },
    });
    emit({ type: 'exec', service, replica: replica.name, command: hook.command, exitCode, output, ms: performance.now() - started });
  }
}

async function runningReplicas(ctx: EngineContext, project: string, service: string): Promise<ObservedReplica[]> {
  const observed = await ctx.backend.replicas.observe(project);
  return observed.replicas.filter((r) => r.service === service && !r.oneoff && r.state === 'running').sort((a, b) => a.number - b.number);
}

export function asTugError(err: unknown, what: string): TugError {
  if (err instanceof TugError) return err;
  if (err instanceof ConfigErrors) return err.errors.length === 1 ? err.errors[0]! : new TugError({ code: 'watch.failed', message: err.message });
  return new TugError({ code: 'watch.failed', message: `${what}: ${(err as Error)?.message ?? String(err)}` });
}
