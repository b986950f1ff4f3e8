// `tug exec SVC CMD…`: engine/exec.ts runs the command in a running replica;
// the exit status is the command's.
import { parseReplicaIndex } from '../args.js';
import type { CliContext } from '../context.js';
import { projectNameFor, withProject } from '../session.js';

export interface ExecFlags {
  index?: string;
  env?: string[];
  tty: boolean;
  user?: string;
  workdir?: string;
}

export async function execCommand(ctx: CliContext, service: string, command: string[], flags: ExecFlags): Promise<number> {
  const index = parseReplicaIndex(flags.index) ?? 1;
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, (tug) =>
    tug.exec(service, command, {
      index,
      env: flags.env,
      user: flags.user,
      workdir: flags.workdir,
      tty: flags.tty && Boolean(process.stdout.isTTY),
      stdin: true,
    }),
  );
}
