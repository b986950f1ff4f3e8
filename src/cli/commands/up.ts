// `tug up`: converge the project to the file (Project.up, engine/up.ts), then
// either return (-d, --wait) or stay attached (engine/attach.ts) until Ctrl-C
// or a replica exit ends it. Here: flags in, events rendered, an exit code out.
import type { Project } from '../../api/project.js';
import type { WatchHandle } from '../../api/watch-handle.js';
import { TugError, usageError } from '../../core/errors.js';
import type { UpOptions, UpResult } from '../../engine/up.js';
import { parseScaleArgs, parseTimeoutSeconds, parseWaitTimeout } from '../args.js';
import { warn, type CliContext } from '../context.js';
import { interruptController, onInterrupt, withProject } from '../session.js';
import { loadWithSource } from '../project-loading.js';

export interface UpFlags {
  detach?: boolean;
  scale?: string[];
  deps: boolean;
  forceRecreate?: boolean;
  recreate: boolean;
  alwaysRecreateDeps?: boolean;
  removeOrphans?: boolean;
  start: boolean;
  wait?: boolean;
  waitTimeout?: string;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  timeout?: string;
  dryRun?: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps?: boolean;
  /** --build: true, --no-build: false, neither: undefined. */
  build?: boolean;
  pull?: string;
  /** --watch: stay attached and watch (develop.watch rules, live reload). */
  watch?: boolean;
}

export async function upCommand(ctx: CliContext, services: string[], flags: UpFlags): Promise<number> {
  validateUpFlags(flags);
  // Every numeric flag is checked before anything is loaded or started.
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  const waitTimeoutMs = parseWaitTimeout(flags.waitTimeout);
  const { project, source } = loadWithSource(ctx, services);
  const scale = parseScaleArgs(flags.scale ?? [], Object.keys(project.services));
  if (flags.exitCodeFrom && !Object.hasOwn(project.services, flags.exitCodeFrom)) throw usageError(`no such service: ${flags.exitCodeFrom}`);
  const attached = { project: project.name, prefix: flags.logPrefix, timestamps: Boolean(flags.timestamps), color: flags.color };
  return withProject(ctx, { progress: true, attached }, project, async (tug) => {
    const interrupt = interruptController();
    let result: UpResult;
    try {
      result = await tug.up({
        services,
        noDeps: !flags.deps,
        forceRecreate: flags.forceRecreate,
        noRecreate: !flags.recreate,
        alwaysRecreateDeps: flags.alwaysRecreateDeps,
        removeOrphans: flags.removeOrphans,
        noStart: !flags.start,
        scale,
        wait: flags.wait,
        waitTimeout: waitTimeoutMs === undefined ? undefined : waitTimeoutMs / 1000,
        timeout: timeoutMs === undefined ? undefined : timeoutMs / 1000,
        build: flags.build,
        pull: flags.pull as UpOptions['pull'],
        dryRun: flags.dryRun,
        signal: interrupt.signal,
      });
    } finally {
      interrupt.dispose();
    }
    if (result.plan !== undefined) {
      ctx.out(result.plan + '\n');
      return 0;
    }
    if (result.upToDate) ctx.err(`${ctx.errColor.green('✔')} ${project.name} is up to date; nothing to do\n`);
    if (flags.wait || flags.detach) return 0;
    const attachment = await tug.attach({
      services,
      abortOnExit: Boolean(flags.abortOnContainerExit || flags.exitCodeFrom),
      exitCodeFrom: flags.exitCodeFrom,
      timeoutMs,
      since: result.startedAt,
    });
    // Watching starts once the logs are attached; Ctrl-C ends both (the services stop, as attached up does).
    const watching = flags.watch ? await startWatchingUnlessNoRules(ctx, tug, services) : undefined;
    const stopInterrupts = onInterrupt(() => {
      void watching?.stop();
      attachment.interrupt();
    });
    try {
      return await attachment.done;
    } finally {
      stopInterrupts();
      await watching?.stop();
    }
  }, source);
}

/** Flag combinations docker compose refuses, refused the same way (exit code 2). */
function validateUpFlags(f: UpFlags): void {
  const abort = f.abortOnContainerExit || f.exitCodeFrom;
  if (f.wait && abort) throw usageError('--wait cannot be combined with --abort-on-container-exit or --exit-code-from');
  if (f.detach && abort) throw usageError('-d cannot be combined with --abort-on-container-exit or --exit-code-from');
  if (f.watch && f.detach) throw usageError('--watch cannot be combined with -d/--detach', 'watching needs the command to stay; use tug watch to watch a detached project');
  if (f.watch && f.build === false) throw usageError('--watch cannot be combined with --no-build', 'rebuild rules build images');
  if (f.watch && f.wait) throw usageError('--watch cannot be combined with --wait');
  if (f.forceRecreate && !f.recreate) throw usageError('--force-recreate and --no-recreate cannot be combined');
  if (f.alwaysRecreateDeps && !f.recreate) throw usageError('--always-recreate-deps and --no-recreate cannot be combined');
  if (f.pull !== undefined && !['always', 'missing', 'never'].includes(f.pull)) {
    throw usageError(`invalid --pull "${f.pull}"`, 'choose always, missing or never');
  }
}

/** As Compose does, `up --watch` on a project without develop.watch rules warns and stays attached. */
async function startWatchingUnlessNoRules(ctx: CliContext, tug: Project, services: string[]): Promise<WatchHandle | undefined> {
  try {
    return await (await import('./watch.js')).startWatching(ctx, tug, services, { noUp: true });
  } catch (err) {
    if (!(err instanceof TugError) || err.code !== 'watch.no-rules') throw err;
    warn(ctx, `${err.message}; staying attached without watching`);
    return undefined;
  }
}
