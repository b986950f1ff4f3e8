// `tug logs`: the replicas' output merged in time order; -f keeps following,
// including replicas that appear later (after a scale) or restart.
import type { CliContext } from '../context.js';
import { parseReplicaIndex, parseTail, parseTimeArg } from '../args.js';
import { plainChalk } from '../render/colors.js';
import { createLogFormatter } from '../render/log-prefix.js';
import { interruptController, projectNameFor, withProject } from '../session.js';

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  color: boolean;
  logPrefix: boolean;
  index?: string;
}

export async function logsCommand(ctx: CliContext, services: string[], flags: LogsFlags): Promise<number> {
  const tail = parseTail(flags.tail);
  const index = parseReplicaIndex(flags.index);
  const now = Date.now();
  const since = parseTimeArg(flags.since, now, '--since');
  const until = parseTimeArg(flags.until, now, '--until');
  const name = projectNameFor(ctx);
  return withProject(ctx, {}, name, async (tug) => {
    const names = (await tug.replicas({ all: true })).map((r) => r.name);
    const format = createLogFormatter(names, name, {
      prefix: flags.logPrefix,
      timestamps: Boolean(flags.timestamps),
      color: flags.color ? ctx.color : plainChalk,
    });
    const interrupt = interruptController();
    try {
      for await (const line of tug.logs({
        services: services.length > 0 ? services : undefined,
        index,
        tail,
        follow: flags.follow,
        since,
        until,
        signal: interrupt.signal,
      })) {
        ctx.out(format(line));
      }
    } catch (err) {
      if (!interrupt.interrupted()) throw err;
    } finally {
      interrupt.dispose();
    }
    return interrupt.interrupted() ? 130 : 0;
  });
}
