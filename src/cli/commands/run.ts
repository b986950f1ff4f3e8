// `tug run SVC [CMD…]`: engine/run.ts runs the one-off; here flags in, its
// output on stdout/stderr, and its exit code out.
import { envPairs } from '../../engine/exec.js';
import type { CliContext } from '../context.js';
import { onInterrupt, withProject } from '../session.js';
import { loadProjectFor } from '../project-loading.js';

export interface RunFlags {
  rm?: boolean;
  deps: boolean;
  env?: string[];
  entrypoint?: string;
  name?: string;
}

export async function runCommand(ctx: CliContext, service: string, command: string[], flags: RunFlags): Promise<number> {
  const env = envPairs(flags.env ?? [], ctx.env);
  const project = loadProjectFor(ctx, [service]);
  const attached = { project: project.name, prefix: false, timestamps: false, color: false, splitStreams: true };
  return withProject(ctx, { progress: true, attached }, project, async (tug) => {
    const handle = await tug.runHandle(service, { command, entrypoint: flags.entrypoint, env, rm: flags.rm, noDeps: !flags.deps, name: flags.name });
    const stopInterrupts = onInterrupt(() => handle.interrupt());
    try {
      return await handle.done;
    } finally {
      stopInterrupts();
    }
  });
}
