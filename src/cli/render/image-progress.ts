// Pull and build progress. On a terminal: one listr2 task whose output keeps a
// line per layer being pulled (with its percentage) and the last build lines
// per service. Elsewhere: plain lines, build output as it comes and a pull's
// layer steps once each; with --progress json, one JSON line per event
// (byte counts included) on stderr.
import type { ImageProgress } from '../../runtime/backend.js';
import type { CliContext } from '../context.js';
import { resolveMode } from './progress.js';

const BUILD_LINES_SHOWN = 4;

export async function withImageProgress<T>(ctx: CliContext, run: (onProgress: (p: ImageProgress) => void) => Promise<T>): Promise<T> {
  const mode = resolveMode(ctx.globals.progress ?? 'auto', Boolean(process.stderr.isTTY));
  if (mode === 'quiet') return run(() => {});
  if (mode === 'json') return run((p) => ctx.err(JSON.stringify({ type: 'image', time: new Date().toISOString(), ...p }) + '\n'));
  if (mode !== 'tty') return run(plainPrinter(ctx));
  const { Listr } = await import('listr2');
  let result: T | undefined;
  let seen = false;
  await new Listr(
    [
      {
        title: 'Images',
        task: async (_ctx: unknown, task: { output: string; title: string }) => {
          const view = new ProgressView();
          result = await run((p) => {
            seen = true;
            task.output = view.update(p);
          });
          task.title = seen ? 'Images ready' : 'Images present';
        },
      },
    ],
    { rendererOptions: { outputBar: Infinity } } as never,
  ).run();
  return result as T;
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
