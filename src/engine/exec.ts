// `exec SVC CMD…`: run a command in one running replica of a service, in its
// environment and working directory; the result is the command's exit code.
// `-e KEY` without a value passes the caller's own value through.
import { TugError, usageError } from '../core/errors.js';
import { dict, own } from '../core/dict.js';
import type { EngineContext } from './context.js';

export interface ExecOptions {
  /** Replica number (default 1). */
  index?: number;
  /** KEY=VALUE, or KEY to pass the caller's value of KEY through. */
  env?: string[];
  user?: string;
  workdir?: string;
  /** Allocate a terminal (when the caller has one). */
  tty?: boolean;
  /** Pass the caller's stdin through. */
  stdin?: boolean;
}

export async function exec(ctx: EngineContext, project: string, service: string, command: string[], opts: ExecOptions = {}): Promise<number> {
  if (command.length === 0) throw usageError('exec needs a command to run', 'e.g. tug exec web sh');
  const index = opts.index ?? 1;
  const env = envPairs(opts.env ?? [], ctx.env);
  const observed = await ctx.backend.replicas.observe(project);
  const replicas = observed.replicas.filter((r) => r.service === service && !r.oneoff);
  if (replicas.length === 0) throw new TugError({ code: 'exec.no-service', message: `service "${service}" has no replicas in project ${project}`, hint: 'start it with tug up' });
  const replica = replicas.find((r) => r.number === index);
  if (!replica) throw new TugError({ code: 'exec.no-replica', message: `service "${service}" has no replica number ${index}`, hint: `replicas: ${replicas.map((r) => r.number).join(', ')}` });
  if (replica.state !== 'running') throw new TugError({ code: 'exec.not-running', message: `replica ${replica.name} is not running (${replica.state})`, hint: 'start it with tug start' });
  return ctx.backend.io.exec(project, replica.id, { command, env, user: opts.user, workdir: opts.workdir, tty: opts.tty === true, stdin: opts.stdin === true });
}

/** `-e KEY=VALUE` and `-e KEY` (the caller's value, when it has one), into an environment map. */
export function envPairs(pairs: readonly string[], callerEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out = dict<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0) throw usageError(`invalid -e "${pair}"`, 'write KEY=VALUE, or KEY to pass your value through');
    if (eq < 0) {
      const value = own(callerEnv, pair);
      if (value !== undefined) out[pair] = value;
    } else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
