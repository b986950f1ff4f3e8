// `tug build [SERVICE...]` (Project.build, engine/build.ts) and `tug builder
// prune`. Build progress goes to stderr as plain step lines (or JSON lines
// with --progress json); -q prints only each built image's ID, on stdout.
import { usageError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { loadProjectFor } from '../project-loading.js';
import { interruptController, withProject } from '../session.js';

export interface BuildFlags {
  cache: boolean;
  pull?: boolean;
  buildArg?: string[];
  quiet?: boolean;
  progress?: string;
}

const PROGRESS = ['auto', 'tty', 'plain', 'json', 'quiet'] as const;

export async function buildCommand(ctx: CliContext, services: string[], flags: BuildFlags): Promise<number> {
  const buildArgs = parseBuildArgs(flags.buildArg ?? []);
  const progress = flags.quiet ? 'quiet' : (flags.progress ?? ctx.globals.progress);
  if (progress !== undefined && !(PROGRESS as readonly string[]).includes(progress)) throw usageError(`--progress ${progress} is not one of ${PROGRESS.join(', ')}`);
  const runCtx: CliContext = { ...ctx, globals: { ...ctx.globals, progress: progress as CliContext['globals']['progress'] } };
  const project = loadProjectFor(runCtx, services);
  return withProject(runCtx, { progress: true, buildIds: true }, project, async (tug) => {
    const interrupt = interruptController();
    try {
      await tug.build({ services, noCache: !flags.cache, pull: flags.pull, buildArgs, signal: interrupt.signal });
      return 0;
    } finally {
      interrupt.dispose();
    }
  });
}

/** `--build-arg K=V` (repeatable); `--build-arg K` takes K from the environment, as docker does. */
export function parseBuildArgs(values: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw usageError(`--build-arg ${v}: "${key}" is not a variable name`, 'write --build-arg NAME=value');
    if (eq >= 0) out[key] = v.slice(eq + 1);
    else if (env[key] !== undefined) out[key] = env[key]!;
  }
  return out;
}

export async function builderPruneCommand(ctx: CliContext, flags: { force?: boolean; all?: boolean }): Promise<number> {
  if (!flags.force) {
    if (!process.stdin.isTTY) throw usageError('tug builder prune asks before removing anything, and there is no terminal to ask on', 'add -f to remove without asking');
    // readline loads only to ask: `tug build` never needs it.
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const what = flags.all ? 'all build cache' : 'build cache no image uses';
    const answer = await rl.question(`This removes ${what}. Continue? [y/N] `).finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  // The image commands' module and the table renderer load only for prune: `tug build` does not need them.
  const [{ pruneBuildCache }, { storeFor }, { humanSize }] = await Promise.all([import('../../runtime/build/native/cache-prune.js'), import('./image.js'), import('../render/image-table.js')]);
  const report = await pruneBuildCache(storeFor(ctx), { all: flags.all });
  for (const id of report.images) ctx.out(`Deleted image: ${id}\n`);
  ctx.out(`Deleted ${report.entries} cache ${report.entries === 1 ? 'entry' : 'entries'} and ${report.layers} ${report.layers === 1 ? 'layer' : 'layers'}\nTotal reclaimed space: ${humanSize(report.bytes)}\n`);
  return 0;
}
