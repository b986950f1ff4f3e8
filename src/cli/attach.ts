// Attached `up`: print the services' logs as they come, until Ctrl-C (stop
// gracefully; a second Ctrl-C kills), or, with --abort-on-container-exit /
// --exit-code-from, until a replica exits. Replicas that restart or appear
// later keep showing up, because logs follow the project, not a fixed list.
import type { Project } from '../core/model/types.js';
import { planKill, planStop } from '../core/reconcile/down.js';
import type { ObservedReplica } from '../core/reconcile/observed.js';
import { watchReplicas, type Verdict } from '../engine/conditions.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { applyPlans } from './apply.js';
import type { CliContext } from './context.js';
import { plainChalk } from './render/colors.js';
import { createLogFormatter } from './render/log-prefix.js';

export interface AttachOptions {
  services: string[];
  abortOnExit: boolean;
  exitCodeFrom?: string;
  timeoutMs?: number;
  color: boolean;
  prefix: boolean;
  timestamps: boolean;
  /** ISO time: show log lines from here on (the start of this `up`). */
  since?: string;
}

export async function attach(ctx: CliContext, backend: RuntimeBackend, project: Project, opts: AttachOptions): Promise<number> {
  const observed = await backend.observe(project.name);
  const names = observed.replicas.filter((r) => opts.services.includes(r.service)).map((r) => r.name);
  const format = createLogFormatter(names, project.name, {
    prefix: opts.prefix,
    timestamps: opts.timestamps,
    color: opts.color ? ctx.color : plainChalk,
  });
  const stopAll = new AbortController();
  let exitCode = 0;
  let interrupts = 0;
  let stopping: Promise<unknown> | undefined;

  const stop = (kill: boolean) =>
    applyPlans(ctx, backend, {
      project: project.name,
      oneShot: true,
      planFor: (state) =>
        kill ? planKill(state, { services: opts.services, signal: 'SIGKILL' }) : planStop(state, { services: opts.services, timeoutMs: opts.timeoutMs }),
    }).finally(() => stopAll.abort());

  const onSignal = () => {
    interrupts++;
    exitCode = 130;
    if (interrupts === 1) {
      ctx.err('Gracefully stopping... (press Ctrl+C again to force)\n');
      stopping = stop(false);
    } else {
      stopping = stop(true);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const logs = (async () => {
    for await (const line of backend.logs(project.name, { services: opts.services, follow: true, since: opts.since, signal: stopAll.signal })) {
      ctx.out(format(line));
    }
  })().catch((err) => {
    if (!stopAll.signal.aborted) throw err;
  });

  // Exits are watched from the start of `up` (opts.since): a replica that
  // exited before this subscribed is seen even where the engine still lists it
  // as running, and the watch judges event snapshots, never a fresh listing.
  let exited: ObservedReplica | undefined;
  const exits = watchReplicas(backend, project.name, (all) => attachVerdict(all.map((w) => w.replica), opts, (r) => (exited = r)), {
    signal: stopAll.signal,
    since: opts.since,
  })
    .then(() => {
      if (!exited) return stopAll.abort(); // nothing runs any more
      exitCode = exited.exitCode ?? 0;
      ctx.err(`${exited.name} exited with code ${exitCode}; aborting\n`);
      stopping ??= stop(false);
    })
    .catch((err) => {
      if (!stopAll.signal.aborted) throw err;
    });

  try {
    await Promise.race([exits, new Promise((resolve) => stopAll.signal.addEventListener('abort', resolve, { once: true }))]);
    if (stopping) await stopping;
    stopAll.abort();
    await logs;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (opts.exitCodeFrom && exitCode !== 130) {
    const final = await backend.observe(project.name);
    const from = final.replicas.find((r) => r.service === opts.exitCodeFrom && !r.oneoff);
    exitCode = from?.exitCode ?? exitCode;
  }
  return exitCode;
}

/**
 * When attach is over: with an abort flag, once a replica of the services
 * (of --exit-code-from's service, when given) has exited (`onExit` learns
 * which); without, once none of them runs any more. `up` started every
 * replica it attaches to, so one found exited has exited since, or was
 * listed as running when `up` planned (a lagging engine list) and has
 * exited all the same.
 */
export function attachVerdict(
  replicas: readonly ObservedReplica[],
  opts: Pick<AttachOptions, 'services' | 'abortOnExit' | 'exitCodeFrom'>,
  onExit: (replica: ObservedReplica) => void,
): Verdict {
  const mine = replicas.filter((r) => !r.oneoff && opts.services.includes(r.service)).sort((a, b) => a.name.localeCompare(b.name));
  if (opts.abortOnExit) {
    const exited = mine.find((r) => r.state === 'exited' && (!opts.exitCodeFrom || opts.exitCodeFrom === r.service));
    if (!exited) return { met: false, pending: [] };
    onExit(exited);
    return { met: true };
  }
  return mine.some((r) => r.state === 'running' || r.state === 'restarting') ? { met: false, pending: [] } : { met: true };
}
