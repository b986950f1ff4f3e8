// Pull and build progress. On a terminal: one listr2 task whose output keeps a
// line per layer being pulled (with its percentage) and the last build lines
// per service. Elsewhere: plain lines, build output as it comes and a pull's
// layer steps once each; with --progress json, one JSON line per event
// (byte counts included) on stderr.
import type { ImageProgress } from '../../runtime/backend.js';
import type { CliContext } from '../context.js';
import { resolveMode } from './progress.js';

const BUILD_LINES_SHOWN = 4;

/** Shows image progress as it comes; close() once the images are ready. */
export interface ImageView {
  update(progress: ImageProgress): void;
  close(): Promise<void>;
}

/** The view for this output mode; the live (listr2) one is loaded only on a terminal. */
export async function imageViewFactory(ctx: CliContext): Promise<() => ImageView> {
  const mode = resolveMode(ctx.globals.progress ?? 'auto', Boolean(process.stderr.isTTY));
  const closed = async () => {};
  if (mode === 'quiet') return () => ({ update() {}, close: closed });
  if (mode === 'json') return () => ({ update: (p) => ctx.err(JSON.stringify({ type: 'image', time: new Date().toISOString(), ...p }) + '\n'), close: closed });
  if (mode !== 'tty') return () => ({ update: plainPrinter(ctx), close: closed });
  const { Listr } = await import('listr2');
  return () => {
    const lines = new ProgressView();
    let output = '';
    let seen = false;
    let task: { output: string; title: string } | undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const run = new Listr(
      [
        {
          title: 'Images',
          task: async (_ctx: unknown, t: { output: string; title: string }) => {
            task = t;
            if (output !== '') t.output = output;
            await done;
            t.title = seen ? 'Images ready' : 'Images present';
          },
        },
      ],
      { rendererOptions: { outputBar: Infinity } } as never,
    ).run();
    return {
      update(p) {
        seen = true;
        output = lines.update(p);
        if (task) task.output = output;
      },
      async close() {
        finish();
        await run;
      },
    };
  };
}

/** Runs `run` with an image view open (the image commands, which show progress without the engine's events). */
export async function withImageProgress<T>(ctx: CliContext, run: (onProgress: (p: ImageProgress) => void) => Promise<T>): Promise<T> {
  const view = (await imageViewFactory(ctx))();
  try {
    return await run((p) => view.update(p));
  } finally {
    await view.close();
  }
}

/** The lines the live view shows: one per pulled layer, the last few per build. */
class ProgressView {
  private readonly layers = new Map<string, string>();
  private readonly builds = new Map<string, string[]>();

  update(p: ImageProgress): string {
    if (p.action === 'build') {
      const lines = [...(this.builds.get(p.service) ?? []), p.status].slice(-BUILD_LINES_SHOWN);
      this.builds.set(p.service, lines);
    } else {
      const pct = p.current !== undefined && p.total ? ` ${Math.floor((100 * p.current) / p.total)}%` : '';
      this.layers.set(`${p.image} ${p.layer ?? ''}`, `${p.service} pull ${p.layer ? `${p.layer}: ` : ''}${p.status}${pct}`);
    }
    const buildLines = [...this.builds].flatMap(([service, lines]) => lines.map((l) => `${service} build | ${l}`));
    return [...this.layers.values(), ...buildLines].join('\n');
  }
}

function plainPrinter(ctx: CliContext): (p: ImageProgress) => void {
  const seen = new Set<string>();
  return (p) => {
    if (p.action === 'build') {
      ctx.err(`${ctx.errColor.dim(`${p.service} build |`)} ${p.status}\n`);
      return;
    }
    const key = `${p.image}/${p.layer ?? ''}/${p.status}`;
    if (p.current !== undefined || seen.has(key)) return;
    seen.add(key);
    ctx.err(`${ctx.errColor.dim(`${p.service} pull |`)} ${p.layer ? `${p.layer}: ` : ''}${p.status}\n`);
  };
}
