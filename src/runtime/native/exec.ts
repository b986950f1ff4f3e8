// `exec` on the native runtime: replicas are host processes, so "inside a
// replica" means with its environment, working directory and user. The
// command runs as a child of the CLI with stdio attached, in a process group
// of its own that the CLI hands to the engine (adopt), so that it ends with
// the replica, as an exec'd process ends with its container: on stop, on exit,
// on `down`, and when the engine dies (the next engine reaps it).
//
// Being in its own group (and session), it is not in the terminal's
// foreground group: the CLI relays the signals a terminal sends (Ctrl-C, ...).
// Like `docker exec` without -t it gets no terminal of its own, so a shell
// run this way has no job control.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { TugError } from '../../core/errors.js';
import type { HostReplicaSpec } from './host-env.js';
import type { ExecOptions } from '../backend.js';
import { planLaunch, type LaunchPlan } from './engine/launch.js';
import { dictOf } from '../../core/dict.js';
import { processStartTime } from './proc-identity.js';

/** Hands the exec's group to the engine; rejects (and the group is killed) when the replica is not running. */
export type AdoptExec = (pid: number, procStart: number) => Promise<void>;

/** What a terminal or a supervisor sends the CLI, passed on to the command. */
const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'];

/**
 * `anonymousVolumes`: the replica's, as the engine reports them, so TUG_VOLUME_* point where the replica's do;
 * `adopt`: hands the command's process group to the engine.
 */
export function execInReplica(
  home: string,
  spec: HostReplicaSpec,
  opts: ExecOptions,
  anonymousVolumes: Record<string, string>,
  adopt: AdoptExec,
): Promise<number> {
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
      detached: true,
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
    const pgid = child.pid;
    if (pgid === undefined) return; // 'error' follows
    const relay = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
    };
    for (const signal of RELAYED) process.on(signal, relay);
    // A start time is unknown only when the command is gone already: nothing to hand over.
    const start = Number(processStartTime(pgid));
    const adopted = (start > 0 ? adopt(pgid, start) : Promise.resolve()).then(
      () => undefined,
      (err: unknown) => {
        relay('SIGKILL');
        return err;
      },
    );
    child.once('exit', (code, signal) => {
      for (const s of RELAYED) process.off(s, relay);
      void adopted.then((refused) => (refused ? reject(refused) : resolvePromise(code ?? 128 + signalNumber(signal))));
    });
  });
}

/** What the engine gave the replica (environment with TUG_* and volume paths, working dir, user), when it can be worked out again. */
function launchOf(home: string, spec: HostReplicaSpec, anonymousVolumes: Record<string, string>): LaunchPlan | undefined {
  try {
    return planLaunch(spec, { home, runningAsRoot: process.getuid?.() === 0 }, anonymousVolumes);
  } catch {
    return undefined; // e.g. a bind source removed since: fall back to the spec alone
  }
}

/** The host variables the replica got, its Compose environment, then the exec's own -e values. */
export function replicaEnvironment(spec: HostReplicaSpec, extra: Record<string, string> = {}): Record<string, string> {
  // No prototype: a variable named __proto__ must reach the process like any other.
  const env = dictOf<string>(spec.hostEnv);
  for (const [k, v] of Object.entries(spec.service_spec.environment ?? {})) if (v !== null && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) env[k] = v;
  return env;
}

export function workingDir(spec: HostReplicaSpec, override?: string): string {
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
