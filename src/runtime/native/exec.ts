// `exec` on the native runtime: replicas are host processes, so "inside a
// replica" means with its environment, working directory and user. The
// command runs as a child of the CLI with stdio attached, not of the engine.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { TugError } from '../../core/errors.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import type { ExecOptions } from '../backend.js';
import { planLaunch, type LaunchPlan } from './engine/launch.js';
import { dictOf } from '../../core/dict.js';

/** `anonymousVolumes`: the replica's, as the engine reports them, so TUG_VOLUME_* point where the replica's do. */
export function execInReplica(home: string, spec: ReplicaSpec, opts: ExecOptions, anonymousVolumes: Record<string, string>): Promise<number> {
  const [file, ...args] = opts.command;
  if (!file) throw new TugError({ code: 'native.exec-empty', message: 'exec needs a command to run', exitCode: 2 });
  const launch = launchOf(home, spec, anonymousVolumes);
  const env = { ...(launch?.env ?? replicaEnvironment(spec)), ...opts.env };
  const cwd = opts.workdir ? workingDir(spec, opts.workdir) : (launch?.cwd ?? workingDir(spec));
  const ids = opts.user || !launch ? userIds(opts.user ?? spec.service_spec.user, spec.name) : { uid: launch.uid, gid: launch.gid };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd,
      env,
      stdio: [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      ...(ids.uid === undefined ? {} : { uid: ids.uid }),
      ...(ids.gid === undefined ? {} : { gid: ids.gid }),
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new TugError({
          code: err.code === 'ENOENT' ? 'native.exec-not-found' : 'native.exec-failed',
          message:
            err.code === 'ENOENT'
              ? `cannot run "${file}" in ${spec.name}: not found (PATH=${env.PATH ?? ''}, working dir ${cwd})`
              : `cannot run "${file}" in ${spec.name}: ${err.message}`,
          hint: err.code === 'ENOENT' ? 'check the command name, or give its full path' : undefined,
        }),
      );
    });
    child.once('exit', (code, signal) => resolvePromise(code ?? 128 + signalNumber(signal)));
  });
}

/** What the engine gave the replica (environment with TUG_* and volume paths, working dir, user), when it can be worked out again. */
function launchOf(home: string, spec: ReplicaSpec, anonymousVolumes: Record<string, string>): LaunchPlan | undefined {
  try {
    return planLaunch(spec, { home, runningAsRoot: process.getuid?.() === 0 }, anonymousVolumes);
  } catch {
    return undefined; // e.g. a bind source removed since: fall back to the spec alone
  }
}

/** The host variables the replica got, its Compose environment, then the exec's own -e values. */
export function replicaEnvironment(spec: ReplicaSpec, extra: Record<string, string> = {}): Record<string, string> {
  // No prototype: a variable named __proto__ must reach the process like any other.
  const env = dictOf<string>(spec.hostEnv);
  for (const [k, v] of Object.entries(spec.service_spec.environment ?? {})) if (v !== null && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) env[k] = v;
  return env;
}

export function workingDir(spec: ReplicaSpec, override?: string): string {
  const dir = override ?? spec.service_spec.working_dir;
  if (!dir) return spec.projectDir;
  return isAbsolute(dir) ? dir : resolve(spec.projectDir, dir);
}

/** `user: "1000"`, `"1000:1000"` or `"name[:group]"`; only root can switch, anyone can "switch" to themselves. */
function userIds(user: string | undefined, replica: string): { uid?: number; gid?: number } {
  if (!user) return {};
  const [u = '', g] = user.split(':');
  const uid = /^\d+$/.test(u) ? Number(u) : lookup('/etc/passwd', u, 2);
  const gid = g === undefined ? (uid === undefined ? undefined : primaryGroup(uid)) : /^\d+$/.test(g) ? Number(g) : lookup('/etc/group', g, 2);
  if (uid === undefined) {
    throw new TugError({ code: 'native.exec-user', message: `user "${u}" of ${replica} does not exist on this machine`, hint: 'use a user name or uid that exists here' });
  }
  if (process.getuid?.() !== 0 && uid !== process.getuid?.()) {
    throw new TugError({
      code: 'native.exec-user',
      message: `cannot run as user "${user}" in ${replica}: tug is not running as root`,
      hint: 'leave user: out, or run tug as root',
    });
  }
  return gid === undefined ? { uid } : { uid, gid };
}

function lookup(file: string, name: string, field: number): number | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const cols = line.split(':');
      if (cols[0] === name && cols[field] !== undefined) return Number(cols[field]);
    }
  } catch {
    // No such database: the name cannot be resolved.
  }
  return undefined;
}

function primaryGroup(uid: number): number | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const cols = line.split(':');
      if (cols[2] === String(uid) && cols[3] !== undefined) return Number(cols[3]);
    }
  } catch {
    // Unknown: keep the current group.
  }
  return undefined;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) || 1;
}
