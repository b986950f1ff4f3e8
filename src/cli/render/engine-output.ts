// Engine events, shown: plan progress in the live view (terminal) or as plain
// or JSON lines, image progress likewise, warnings and notices on stderr,
// attached output on stdout with `web-1 | ` prefixes. One place decides how
// everything the engine reports looks on the command line.
import type { BuildEvent } from '../../core/build/events.js';
import type { EngineEvent, EngineHooks } from '../../engine/events.js';
import { buildPrinter as printerFor } from './build-progress.js';
import { warn, type CliContext } from '../context.js';
import { plainChalk } from './colors.js';
import { imageViewFactory, type ImageView } from './image-progress.js';
import { createLogFormatter } from './log-prefix.js';
import { progressFactory, resolveMode, type Progress, type ProgressMode } from './progress.js';

export interface AttachedOutput {
  project: string;
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  /** `run`: a replica's stderr goes to stderr; attached `up` prints everything on stdout, as Compose does. */
  splitStreams?: boolean;
}

export async function engineOutput(ctx: CliContext, attached?: AttachedOutput, opts: { buildIds?: boolean } = {}): Promise<EngineHooks> {
  const mode = resolveMode(ctx.globals.progress ?? (ctx.env.COMPOSE_PROGRESS as ProgressMode | undefined) ?? 'auto', Boolean(process.stderr.isTTY));
  const [makeProgress, makeImageView] = await Promise.all([progressFactory(mode), imageViewFactory(ctx)]);
  let steps: Progress | undefined;
  let images: ImageView | undefined;
  let format = attached && formatter(ctx, attached, []);
  let printBuild: ((event: BuildEvent) => void) | undefined;

  const event = (e: EngineEvent): void => {
    switch (e.type) {
      case 'plan':
        steps ??= makeProgress({ write: (t) => ctx.err(t), isTTY: Boolean(process.stderr.isTTY), color: ctx.errColor });
        steps.plan(e.plan);
        return;
      case 'step-start':
      case 'step-done':
      case 'step-failed':
      case 'step-skipped':
      case 'waiting':
      case 'converge-round':
      case 'up-to-date':
        steps?.event(e);
        return;
      case 'warning':
        if (steps) steps.event(e);
        else warn(ctx, e.message);
        return;
      case 'notice':
        ctx.err(`${ctx.errColor.green('✔')} ${e.message}\n`);
        return;
      case 'build':
        printBuild ??= buildPrinter(ctx, opts.buildIds === true);
        printBuild(e.event);
        return;
      case 'image':
        images ??= makeImageView();
        images.update(e.progress);
        return;
      case 'attached':
        if (attached) format = formatter(ctx, attached, e.replicas);
        return;
      case 'log':
        if (!format) return;
        (attached?.splitStreams && e.line.stream === 'stderr' ? ctx.err : ctx.out)(format(e.line));
        return;
      case 'replica-exited':
        ctx.err(`${e.replica} exited with code ${e.exitCode}; aborting\n`);
        return;
      case 'stopping':
        if (e.reason === 'interrupt' && !e.force) ctx.err('Gracefully stopping... (press Ctrl+C again to force)\n');
        return;
    }
  };

  return {
    event,
    async settle() {
      const [s, i] = [steps, images];
      steps = undefined;
      images = undefined;
      await s?.close();
      await i?.close();
    },
  };
}

function formatter(ctx: CliContext, opts: AttachedOutput, names: string[]) {
  return createLogFormatter(names, opts.project, { prefix: opts.prefix, timestamps: opts.timestamps, color: opts.color ? ctx.color : plainChalk });
}

/** Build steps: plain lines on stderr, JSON lines with --progress json; when quiet, nothing, or only image IDs on stdout (`tug build -q`). */
function buildPrinter(ctx: CliContext, buildIds: boolean): (event: BuildEvent) => void {
  if (ctx.globals.progress === 'quiet' && !buildIds) return () => undefined;
  const mode = ctx.globals.progress === 'json' ? 'json' : ctx.globals.progress === 'quiet' ? 'quiet' : 'plain';
  return printerFor(mode, mode === 'quiet' ? ctx.out : ctx.err, { color: ctx.errColor, cwd: ctx.cwd });
}
