// One run of a container, supervised so that tug knows its exit status, owns
// its stdout/stderr and can signal it. Two supervisors, chosen by
// supervision.ts with the memory figures measured on these machines:
//   shim        tug-shim (shim/shim-source.ts), a child subreaper that runs
//               `runc run -d`: ~0.7 MB RSS per container; the container writes
//               straight into our pipes. It SIGKILLs the container when the
//               engine dies (its stdin closes), even if the engine was SIGKILLed.
//               Shims of containers starting together are forked by one
//               launcher process (shim/shim-launcher.ts), so it is not the
//               engine's child: its exit is the end of its status pipe.
//   foreground  `runc run` stays the container's parent: no compiler needed,
//               but ~10 MB RSS per container, and a SIGKILLed engine leaves the
//               container running until the next engine removes it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { TugError } from '../../../core/errors.js';
import { after } from '../../../timers.js';
import { streamLines } from '../../stream-lines.js';
import { watchDir } from '../fs-wait.js';
import { lastRuntimeError, signalNumber, type OciRuntime } from './oci-runtime.js';
import { exitStatus } from '../../../core/model/signals.js';
import { ShimLauncher } from './shim/shim-launcher.js';

/** A pid file write the watcher missed is still seen this soon. */
const PID_FILE_SAFETY_NET_MS = 250;

export type Supervision = { kind: 'shim'; path: string } | { kind: 'foreground' };

export interface ContainerExit {
  /** The init's exit code, or 128 + the signal that killed it. */
  code: number;
  /** The supervisor vanished without reporting: the container may still run and must be removed. */
  lost?: boolean;
}

export interface ContainerRun {
  readonly id: string;
  /** The container's init, as the host sees it. */
  readonly pid: number;
  /** The process supervising it (the shim, or the foreground runc), when known. */
  readonly supervisorPid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ContainerExit>;
  /** Delivers a signal to the container's init (never to a recycled pid). */
  signal(signal: NodeJS.Signals | number): void;
}

export interface StartOptions {
  runtime: OciRuntime;
  supervision: Supervision;
  id: string;
  bundle: string;
  /** Give up on a container that has not started after this long (default 30 s). */
  timeoutMs?: number;
  /** Starts shims for the containers starting together from one process (a launcher of its own otherwise). */
  launcher?: ShimLauncher;
  /** The bundle's first run: no pid file or runtime log of a previous one to remove first. */
  fresh?: boolean;
}

/** The status of a run whose shim vanished without reporting one (it was killed). */
const LOST_STATUS = 137;

export function bundleFiles(bundle: string): { pidFile: string; runtimeLog: string } {
  return { pidFile: join(bundle, 'init.pid'), runtimeLog: join(bundle, 'runtime.log') };
}

function startFailure(id: string, why: string): TugError {
  return new TugError({ code: 'container.start-failed', message: `cannot start container ${id}: ${why}` });
}

export async function startContainer(opts: StartOptions): Promise<ContainerRun> {
  const { pidFile, runtimeLog } = bundleFiles(opts.bundle);
  // What a previous run left; off the event loop, which 100 starting replicas keep busy.
  if (!opts.fresh) await Promise.all([rm(pidFile, { force: true }), rm(runtimeLog, { force: true })]);
  const logArgs = ['--log', runtimeLog, '--log-format', 'json', ...opts.runtime.globalArgs];
  return opts.supervision.kind === 'shim'
    ? startWithShim(opts, opts.supervision.path, logArgs, pidFile, runtimeLog)
    : startInForeground(opts, logArgs, pidFile, runtimeLog);
}

async function startWithShim(opts: StartOptions, shim: string, logArgs: string[], pidFile: string, runtimeLog: string): Promise<ContainerRun> {
  const argv = [pidFile, opts.runtime.binary.path, ...logArgs, 'run', '-d', '--pid-file', pidFile, '--bundle', opts.bundle, opts.id];
  const { control, stdout, stderr, status } = await (opts.launcher ?? new ShimLauncher(shim)).start(argv);
  let reportedExit: number | undefined;
  let shimPid: number | undefined;
  // The status pipe ends when the shim exits (the container never holds it: it is close-on-exec).
  const exited = new Promise<ContainerExit>((resolve) => {
    status.once('end', () => resolve(reportedExit !== undefined ? { code: reportedExit } : { code: LOST_STATUS, lost: true }));
  });
  return new Promise<ContainerRun>((resolve, reject) => {
    let started = false;
    const timer = after(opts.timeoutMs ?? 30_000, () => {
      if (started) return;
      if (shimPid !== undefined) killQuietly(shimPid);
      control.destroy();
      reject(startFailure(opts.id, 'the runtime did not start it in time'));
    });
    void streamLines(status, (line) => {
      const [word, value] = line.split(' ');
      const n = Number(value);
      if (word === 'shim') shimPid = n;
      else if (word === 'pid' && !started) {
        started = true;
        timer.cancel();
        resolve({
          id: opts.id,
          pid: n,
          supervisorPid: shimPid,
          stdout,
          stderr,
          exited,
          signal: (signal) => {
            if (reportedExit === undefined) control.write(`${signalNumber(signal)}\n`);
          },
        });
      } else if (word === 'exit') reportedExit = n;
      else if (word === 'failed' && !started) {
        timer.cancel();
        reject(startFailure(opts.id, lastRuntimeError(runtimeLog) ?? `the runtime exited with status ${n}`));
      }
    });
    void exited.then(() => {
      if (started) return;
      timer.cancel();
      reject(startFailure(opts.id, lastRuntimeError(runtimeLog) ?? 'its supervisor exited'));
    });
  });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

async function startInForeground(opts: StartOptions, logArgs: string[], pidFile: string, runtimeLog: string): Promise<ContainerRun> {
  const argv = [...logArgs, 'run', '--pid-file', pidFile, '--bundle', opts.bundle, opts.id];
  const child = spawn(opts.runtime.binary.path, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stdout = held(child.stdout!);
  const stderr = held(child.stderr!);
  let gone = false;
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('error', () => resolve({ code: 127, lost: true }));
    child.once('exit', (code, signal) => {
      gone = true;
      // runc exits with the container's status; a signal here hit runc itself.
      resolve(signal ? { code: exitStatus(null, signal), lost: true } : { code: code ?? 1 });
    });
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  // runc writes the pid file (by rename) once the container runs; the bundle's watcher reports it, the runtime's exit is an event.
  const waiter = watchDir(opts.bundle, [basename(pidFile)]);
  try {
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
      if (gone) throw startFailure(opts.id, lastRuntimeError(runtimeLog) ?? 'the runtime exited');
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await opts.runtime.remove(opts.id).catch(() => undefined);
        throw startFailure(opts.id, 'the runtime did not start it in time');
      }
      await Promise.race([waiter.next(Math.min(PID_FILE_SAFETY_NET_MS, Math.max(1, deadline - Date.now()))), exited]);
    }
  } finally {
    waiter.close();
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    id: opts.id,
    pid,
    supervisorPid: child.pid,
    stdout,
    stderr,
    exited,
    signal: (signal) => {
      if (gone) return;
      // runc forwards what it receives, except SIGKILL, which would kill runc itself.
      if (signalNumber(signal) === 9) void opts.runtime.kill(opts.id, 'KILL');
      else child.kill(signal);
    },
  };
}

/**
 * The stream, held until someone reads it. Node resumes (and so discards) a
 * child's unread output when the child exits, and a short-lived container
 * exits before the log writer attaches: a pipe into a PassThrough reads it at
 * once and keeps it, with backpressure, until it is consumed.
 */
export function held(stream: Readable): Readable {
  const keep = new PassThrough();
  stream.pipe(keep);
  return keep;
}
