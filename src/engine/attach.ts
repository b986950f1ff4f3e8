// Staying attached to the services after `up`: their output as `log` events,
// replicas that restart or appear later included (logs follow the project, not
// a fixed list), until the policy says it is over:
//  - without an abort flag, once none of the services runs any more;
//  - with --abort-on-container-exit / --exit-code-from, once a replica exits:
//    the rest are stopped and the exit code is that replica's (or, with
//    --exit-code-from, that service's);
//  - on interrupts: the first stops the services gracefully, the second
//    kills them; the exit code is then 130.
import type { ObservedReplica } from '../core/reconcile/observed.js';
import { planKill, planStop } from '../core/reconcile/down.js';
import { attachVerdict, type AttachPolicy } from '../core/reconcile/verdicts.js';
import { applyPlans } from './apply.js';
import { watchReplicas } from './conditions.js';
import { emit, type EngineContext } from './context.js';

export interface AttachOptions extends AttachPolicy {
  /** Grace period for the stop an exit or interrupt triggers (ms); else each service's own. */
  timeoutMs?: number;
  /** ISO time: output and exits from here on (the start of the `up` this follows). */
  since?: string;
}

export interface Attachment {
  /** The exit code: the exited replica's with an abort flag, 130 after an interrupt, else 0. */
  readonly done: Promise<number>;
  /** The user pressed Ctrl-C (or the process got SIGTERM). */
  interrupt(): void;
}

export function attach(ctx: EngineContext, project: string, opts: AttachOptions): Attachment {
  const stopAll = new AbortController();
  let interrupts = 0;
  let exitCode = 0;
  let stopping: Promise<unknown> | undefined;

  const stop = (force: boolean, reason: 'interrupt' | 'exit'): Promise<unknown> => {
    emit(ctx, { type: 'stopping', force, reason });
    return applyPlans(ctx, {
      project,
      oneShot: true,
      planFor: (state) =>
        force ? planKill(state, { services: [...opts.services], signal: 'SIGKILL' }) : planStop(state, { services: [...opts.services], timeoutMs: opts.timeoutMs }),
    }).finally(() => stopAll.abort());
  };

  const done = (async (): Promise<number> => {
    try {
      return await attached();
    } finally {
      // However it ends (an engine that died included), the log follow ends with it, or its watch keeps the process alive.
      stopAll.abort();
    }
  })();

  async function attached(): Promise<number> {
    const observed = await ctx.backend.replicas.observe(project);
    emit(ctx, { type: 'attached', replicas: observed.replicas.filter((r) => opts.services.includes(r.service)).map((r) => r.name) });
    const logs = (async () => {
      for await (const line of ctx.backend.io.logs(project, { services: [...opts.services], follow: true, since: opts.since, signal: stopAll.signal })) {
        emit(ctx, { type: 'log', line });
      }
    })().catch((err) => {
      if (!stopAll.signal.aborted) throw err;
    });

    // Exits are watched from the start of `up` (opts.since): a replica that
    // exited before this subscribed is seen even where the engine still lists
    // it as running, and the watch judges event snapshots, never a fresh listing.
    let exited: ObservedReplica | undefined;
    const exits = watchReplicas(ctx.backend, project, (all) => attachVerdict(all.map((w) => w.replica), opts, (r) => (exited = r)), {
      signal: stopAll.signal,
      since: opts.since,
    })
      .then(() => {
        if (!exited) return stopAll.abort(); // nothing runs any more
        exitCode = exited.exitCode ?? 0;
        emit(ctx, { type: 'replica-exited', replica: exited.name, service: exited.service, exitCode });
        stopping ??= stop(false, 'exit');
      })
      .catch((err) => {
        if (!stopAll.signal.aborted) throw err;
      });

    // A log stream that fails (its daemon gone) ends the attachment as a failed exit watch does.
    const logsFailed = new Promise<never>((_, reject) => void logs.catch(reject));
    await Promise.race([exits, logsFailed, new Promise((resolve) => stopAll.signal.addEventListener('abort', resolve, { once: true }))]);
    if (stopping) await stopping;
    stopAll.abort();
    await logs;
    if (opts.exitCodeFrom && interrupts === 0) {
      const final = await ctx.backend.replicas.observe(project);
      const from = final.replicas.find((r) => r.service === opts.exitCodeFrom && !r.oneoff);
      exitCode = from?.exitCode ?? exitCode;
    }
    return interrupts > 0 ? 130 : exitCode;
  }

  return {
    done,
    interrupt() {
      interrupts++;
      stopping = stop(interrupts > 1, 'interrupt');
    },
  };
}
