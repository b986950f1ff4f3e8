// Attached `up`: print the services' logs as they come, until Ctrl-C (stop
// gracefully; a second Ctrl-C kills), or, with --abort-on-container-exit /
// --exit-code-from, until a replica exits. Replicas that restart or appear
// later keep showing up, because logs follow the project, not a fixed list.
import type { Project } from '../core/model/types.js';
import { planKill, planStop } from '../core/reconcile/down.js';
import type { ObservedReplica } from '../core/reconcile/observed.js';
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

  /** True when attach is over: a replica exited under an abort flag, or nothing runs any more. */
  const settled = async (exited: ObservedReplica | undefined): Promise<boolean> => {
    if (exited && opts.abortOnExit && (!opts.exitCodeFrom || opts.exitCodeFrom === exited.service)) {
      exitCode = exited.exitCode ?? 0;
      ctx.err(`${exited.name} exited with code ${exitCode}; aborting\n`);
      stopping ??= stop(false);
      return true;
    }
    if (opts.abortOnExit) return false;
    const now = await backend.observe(project.name);
    const alive = now.replicas.some((x) => opts.services.includes(x.service) && !x.oneoff && (x.state === 'running' || x.state === 'restarting'));
    if (!alive) stopAll.abort();
    return !alive;
  };
  const relevantExit = (r: ObservedReplica) => !r.oneoff && opts.services.includes(r.service) && r.state === 'exited';

  const exits = (async () => {
    const events = backend.events(project.name, stopAll.signal)[Symbol.asyncIterator]();
    const firstEvent = events.next();
    // A replica may have exited before we subscribed (a quick one-shot): look once at what is there.
    const current = await backend.observe(project.name);
    const early = current.replicas.find((r) => relevantExit(r) && (!opts.since || (r.finishedAt ?? '') >= opts.since));
    if (early && (await settled(early))) return;
    if (!early && !opts.abortOnExit && (await settled(undefined))) return;
    for (let next = await firstEvent; !next.done; next = await events.next()) {
      const event = next.value;
      if (event.action !== 'die' || !relevantExit(event.replica)) continue;
      if (await settled(event.replica)) return;
    }
  })().catch((err) => {
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
