// `tug watch [SVC…]`: bring the project up (unless --no-up), then keep it in
// step with the files its develop.watch rules name and with its own files,
// one line per action on stderr (JSON lines with --progress json), until
// Ctrl-C, which ends watching and leaves the project running. Also the
// watching half of `up --watch` (startWatching).
import type { WatchHandle } from '../../api/watch-handle.js';
import type { Project } from '../../api/project.js';
import type { CliContext } from '../context.js';
import { watchRenderer, type WatchOutputMode } from '../render/watch.js';
import { onInterrupt, withProject } from '../session.js';
import { loadWithSource } from '../project-loading.js';

export interface WatchFlags {
  /** --no-up: false. */
  up: boolean;
  prune?: boolean;
  quiet?: boolean;
}

export async function watchCommand(ctx: CliContext, services: string[], flags: WatchFlags): Promise<number> {
  const { project, source } = loadWithSource(ctx, services);
  return withProject(
    ctx,
    { progress: true },
    project,
    async (tug) => {
      const handle = await startWatching(ctx, tug, services, { noUp: !flags.up, prune: flags.prune, quiet: flags.quiet });
      const stopInterrupts = onInterrupt(() => void handle.stop());
      try {
        await handle.done;
      } finally {
        stopInterrupts();
      }
      return 130;
    },
    source,
  );
}

/** Starts watching with the watch renderer on stderr; resolves once watching has begun. */
export function startWatching(ctx: CliContext, tug: Project, services: string[], opts: { noUp: boolean; prune?: boolean; quiet?: boolean }): Promise<WatchHandle> {
  const progress = ctx.globals.progress ?? ctx.env.COMPOSE_PROGRESS;
  const mode: WatchOutputMode = opts.quiet || progress === 'quiet' ? 'quiet' : progress === 'json' ? 'json' : 'plain';
  const render = watchRenderer(mode, { write: ctx.err, color: ctx.errColor, cwd: ctx.cwd });
  return tug.watch({ services, noUp: opts.noUp, prune: opts.prune, onEvent: render });
}
