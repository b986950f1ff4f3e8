// Turns a HostReplicaSpec into what the supervisor spawns: argv, environment,
// working directory, credentials, directories to prepare and ports to forward.
// Everything a user can get wrong is checked here, at `create`, so a bad spec
// fails early with a message instead of leaving a replica that cannot start;
// what may change between create and start (files on disk) is re-checked by
// `checkStartable`.
import { accessSync, chownSync, constants, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { HostReplicaSpec } from '../host-env.js';
import { isDirectory, planMounts } from './mounts.js';
import { planPorts, type PortPlan } from './port-forward.js';
import { resolveUser } from '../../../core/model/user.js';
import { DEFAULT_PATH } from '../../../core/images/container-config.js';
import { replicaEnvironment } from '../replica-env.js';

export interface LaunchPlan {
  /** What is spawned (after the init wrapper, before setpriv). */
  argv: string[];
  /** The command as a user wrote it, for `ps`. */
  display: string;
  env: Record<string, string>;
  /** The TUG_VOLUME_* part of `env`, for commands run alongside (exec). */
  volumeEnv: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  ensureDirs: string[];
  freshDirs: string[];
  ports: PortPlan;
  /** Things the engine log should mention (e.g. `user` ignored when not root). */
  notes: string[];
}

export interface LaunchContext {
  home: string;
  runningAsRoot: boolean;
}

// `init: true`. A host process is not PID 1 of a namespace, so there is no
// orphan to reap and no default-ignored signals: what an init adds here is a
// parent that relays termination signals to the command and exits with its
// status. A shell does that in three lines. Stop signals the whole group
// anyway; the relay matters for `kill` sent to the leader only. (POSIX shells
// start background jobs with SIGINT ignored, so INT reaches only commands that
// install their own handler.)
const INIT_SCRIPT = [
  '"$@" & child=$!',
  'for sig in TERM INT HUP QUIT USR1 USR2; do trap "kill -$sig $child 2>/dev/null" $sig; done',
  'while :; do wait $child; status=$?; kill -0 $child 2>/dev/null || exit $status; done',
].join('\n');

/**
 * argv = entrypoint ++ command, never through a shell: a string `command:` was
 * split into words at load (shell-words rules), exactly as for the docker
 * backend, so an interpolated value such as `hi; touch x` stays one argument.
 * A user who wants a shell writes ["sh", "-c", "..."], as with Compose.
 */
export function replicaArgv(spec: HostReplicaSpec): string[] {
  const argv = [...(spec.service_spec.entrypoint ?? []), ...(spec.service_spec.command ?? [])];
  // A container rooted in its image runs the image's ENTRYPOINT/CMD when the service names none.
  if (argv.length === 0 && !rootedInImage(spec)) {
    throw new TugError({
      code: 'engine.no-command',
      message: `service ${spec.service} has no command to run`,
      hint: 'the native runtime runs host commands, not images: set `command:` (or `entrypoint:`) for the service',
    });
  }
  return argv;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** argv as a user would type it, for `ps`. */
export function displayCommand(argv: string[]): string {
  return argv.map(quoteArg).join(' ');
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const HOST_USER_HINT = 'the native runtime runs host processes: name a user from this machine\'s /etc/passwd or give numeric ids ("1000:1000")';

/** A replica's or an exec's `user:` as host ids, by Docker's rules against the host's own passwd and group files. */
export function hostUser(user: string, service: string): HostUser {
  const resolved = resolveUser(user, { passwd: readOrEmpty('/etc/passwd'), group: readOrEmpty('/etc/group') }, { service, hint: HOST_USER_HINT });
  // A uid no entry lists keeps the invoking user's HOME, as it always did here.
  return resolved.name === undefined ? { uid: resolved.uid, gid: resolved.gid } : { uid: resolved.uid, gid: resolved.gid, home: resolved.home };
}

export interface HostUser {
  uid: number;
  gid: number;
  home?: string;
}

/** `working_dir:` (or exec's -w), relative to the project directory; the project directory when unset. */
export function workingDirOf(spec: HostReplicaSpec, override?: string): string {
  const dir = override ?? spec.service_spec.working_dir;
  return dir ? resolve(spec.projectDir, dir) : spec.projectDir;
}

/** A container replica whose root filesystem is its service's image (not the host's). */
export function rootedInImage(spec: HostReplicaSpec): boolean {
  return spec.isolation === 'container' && spec.image !== undefined;
}

/** `anonymousVolumes`: the replica's anonymous volume names by target, as the engine recorded them. */
export function planLaunch(spec: HostReplicaSpec, ctx: LaunchContext, anonymousVolumes: Readonly<Record<string, string>>): LaunchPlan {
  const userArgv = replicaArgv(spec);
  const mounts = planMounts(spec, ctx.home, anonymousVolumes);
  const ports = planPorts(spec);
  const notes: string[] = [];
  let ids: HostUser | undefined;
  const user = spec.service_spec.user;
  // A user in an image-rooted container is resolved against the image's own /etc/passwd, by the container runtime.
  if (user && !rootedInImage(spec)) {
    if (ctx.runningAsRoot) ids = hostUser(user, spec.service);
    else notes.push(`${spec.name}: user "${user}" ignored: the engine does not run as root and cannot switch users`);
  }
  const cwd = workingDirOf(spec);
  const init = spec.service_spec.init === true;
  return {
    argv: init ? ['/bin/sh', '-c', INIT_SCRIPT, 'tug-init', ...userArgv] : userArgv,
    display: displayCommand(userArgv),
    env: replicaEnvironment(spec, { volumeEnv: mounts.env, home: ids?.home }),
    volumeEnv: mounts.env,
    cwd,
    uid: ids?.uid,
    gid: ids?.gid,
    ensureDirs: mounts.ensureDirs,
    freshDirs: mounts.freshDirs,
    ports,
    notes,
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return !isDirectory(path);
  } catch {
    return false;
  }
}

/** The checks that depend on the disk at start time, with Docker-like messages. */
export function checkStartable(plan: LaunchPlan): void {
  if (!isDirectory(plan.cwd)) {
    throw new TugError({ code: 'engine.working-dir', message: `working directory ${plan.cwd} does not exist` });
  }
  const file = plan.argv[0]!;
  const found = file.includes('/')
    ? isExecutable(isAbsolute(file) ? file : join(plan.cwd, file))
    : (plan.env.PATH ?? DEFAULT_PATH).split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, file)));
  if (!found) {
    throw new TugError({
      code: 'engine.exec-not-found',
      message: `exec: "${file}": ${file.includes('/') ? 'no such executable file' : 'executable file not found in $PATH'}`,
    });
  }
}

/** Creates volume directories; ones we create belong to the replica's user, so it can write them. */
export function prepareDirs(plan: LaunchPlan): void {
  const created: string[] = [];
  for (const dir of plan.ensureDirs) {
    if (mkdirSync(dir, { recursive: true }) !== undefined) created.push(dir);
  }
  for (const dir of plan.freshDirs) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    created.push(dir);
  }
  if (plan.uid !== undefined) {
    for (const dir of created) chownSync(dir, plan.uid, plan.gid ?? 0);
  }
}
