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
import { TugError } from '../../core/errors.js';
import { exitStatus } from '../../core/model/signals.js';
import type { HostReplicaSpec } from './host-env.js';
import type { ExecOptions } from '../backend.js';
import { hostUser, planLaunch, workingDirOf, type HostUser, type LaunchPlan } from './engine/launch.js';
import { processStartTime } from './proc-stat.js';
import { replicaEnvironment } from './replica-env.js';
import { sleep } from '../../timers.js';

/** Hands the exec's group to the engine; rejects (and the group is killed) when the replica is not running. */
export type AdoptExec = (pid: number, procStart: number) => Promise<void>;

/** How long captured output may still arrive after the command exited. */
const OUTPUT_DRAIN_MS = 200;

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
  // With -u, HOME is that user's, as runc sets it for `docker exec -u`; without, the replica's.
  const ids = opts.user || !launch ? execUser(opts.user ?? spec.service_spec.user, spec) : { uid: launch.uid, gid: launch.gid, home: launch.env.HOME };
  const env = replicaEnvironment(spec, { volumeEnv: launch?.volumeEnv, home: ids.home, extra: opts.env });
  const cwd = opts.workdir ? workingDirOf(spec, opts.workdir) : (launch?.cwd ?? workingDirOf(spec));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd,
      env,
      detached: true,
      // With `output` (watch's exec hooks) the caller takes what it prints, and the terminal stays out of it.
      stdio: opts.output ? ['ignore', 'pipe', 'pipe'] : [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
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
    const output = opts.output;
    if (output) {
      child.stdout?.on('data', (chunk: Buffer) => output('stdout', chunk));
      child.stderr?.on('data', (chunk: Buffer) => output('stderr', chunk));
    }
    const relay = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
    };
    for (const signal of RELAYED) process.on(signal, relay);
    const abort = (): void => relay('SIGTERM');
    opts.signal?.addEventListener('abort', abort, { once: true });
    if (opts.signal?.aborted) abort();
    // A start time is unknown only when the command is gone already: nothing to hand over.
    const start = processStartTime(pgid);
    const adopted = (start !== undefined ? adopt(pgid, start) : Promise.resolve()).then(
      () => undefined,
      (err: unknown) => {
        relay('SIGKILL');
        return err;
      },
    );
    // Captured output may still be in the pipes at exit; a child left running in the background may hold them open forever.
    const drained = output ? new Promise<void>((done) => child.once('close', () => done())) : Promise.resolve();
    child.once('exit', (code, signal) => {
      for (const s of RELAYED) process.off(s, relay);
      opts.signal?.removeEventListener('abort', abort);
      void Promise.race([drained, sleep(OUTPUT_DRAIN_MS)])
        .then(() => adopted)
        .then((refused) => (refused ? reject(refused) : resolvePromise(exitStatus(code, signal))));
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

/** `-u` (or the service's `user:` when the replica's plan is unknown); only root can switch, anyone can "switch" to themselves. */
function execUser(user: string | undefined, spec: HostReplicaSpec): Partial<HostUser> {
  if (!user) return {};
  const ids = hostUser(user, spec.service);
  if (process.getuid?.() !== 0 && ids.uid !== process.getuid?.()) {
    throw new TugError({
      code: 'native.exec-user',
      message: `cannot run as user "${user}" in ${spec.name}: tug is not running as root`,
      hint: 'leave user: out, or run tug as root',
    });
  }
  return ids;
}
