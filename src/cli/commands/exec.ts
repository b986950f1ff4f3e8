// `tug exec SVC CMD…`: run a command in a running replica's environment and
// working directory; the exit status is the command's.
import { TugError, usageError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { projectNameFor, withBackend } from '../session.js';
import { dict, own } from '../../core/dict.js';
import { parseReplicaIndex } from '../args.js';

export interface ExecFlags {
  index?: string;
  env?: string[];
  tty: boolean;
  user?: string;
  workdir?: string;
}

export async function execCommand(ctx: CliContext, service: string, command: string[], flags: ExecFlags): Promise<number> {
  if (command.length === 0) throw usageError('exec needs a command to run', 'e.g. tug exec web sh');
  const index = parseReplicaIndex(flags.index) ?? 1;
  const env = parseEnvPairs(flags.env ?? []);
  const name = projectNameFor(ctx);
  return withBackend(ctx, async (backend) => {
    const observed = await backend.observe(name);
    const replicas = observed.replicas.filter((r) => r.service === service && !r.oneoff);
    if (replicas.length === 0) throw new TugError({ code: 'exec.no-service', message: `service "${service}" has no replicas in project ${name}`, hint: 'start it with tug up' });
    const replica = replicas.find((r) => r.number === index);
    if (!replica) throw new TugError({ code: 'exec.no-replica', message: `service "${service}" has no replica number ${index}`, hint: `replicas: ${replicas.map((r) => r.number).join(', ')}` });
    if (replica.state !== 'running') throw new TugError({ code: 'exec.not-running', message: `replica ${replica.name} is not running (${replica.state})`, hint: 'start it with tug start' });
    return backend.exec(name, replica.id, { command, env, user: flags.user, workdir: flags.workdir, tty: flags.tty && Boolean(process.stdout.isTTY), stdin: true });
  });
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const out = dict<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0) throw usageError(`invalid -e "${pair}"`, 'write KEY=VALUE, or KEY to pass your value through');
    if (eq < 0) {
      const value = own(process.env, pair);
      if (value !== undefined) out[pair] = value;
    } else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
