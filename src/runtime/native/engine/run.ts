// One run of a replica, as the state machine in replica.ts sees it (Run), and
// its process-mode kind: a process group whose leader the engine spawned, its
// output wired to the replica's log, and the group-wide termination that
// `stop` needs. The container kind is container-workload.ts.
import type { ChildProcess } from 'node:child_process';
import { TugError } from '../../../core/errors.js';
import { exitStatus } from '../../../core/model/signals.js';
import { processProber, type HealthMonitor, type Prober } from './health.js';
import { checkStartable, prepareDirs, type LaunchPlan } from './launch.js';
import type { LogWriter } from './log-writer.js';
import { readProcStat } from '../proc-stat.js';
import { groupProbe, pollUntil, signalGroup, signalProcess } from './proc.js';
import { spawnOutcome, spawnSupervised } from './spawn.js';
import { after } from '../../../timers.js';

export interface Run {
  /** The leader's pid (process mode: also the group id; container mode: the init as the host sees it). */
  readonly pid: number;
  /** Process mode: the leader's /proc start time, recorded so a later engine can tell a recycled pid. */
  readonly procStart?: number;
  readonly startedMs: number;
  /** Resolves after the run ended and `onExit` ran. */
  readonly exited: Promise<void>;
  health?: HealthMonitor;
  /** Health probes, run where the replica runs. */
  readonly prober: Prober;
  /** A signal for the main process only (Docker's `kill -s HUP` to PID 1). */
  signalLeader(signal: NodeJS.Signals): void;
  /** A signal that ends the replica, for everything in it. */
  signalAll(signal: NodeJS.Signals): void;
  /** `signal`, then SIGKILL after `graceMs`; resolves once nothing of the run is left. */
  terminate(signal: NodeJS.Signals, graceMs: number): Promise<void>;
  /** After a SIGKILL: waits (bounded) until the run is gone. */
  awaitKilled(timeoutMs: number): Promise<void>;
}

/** `status`: the exit code, or 128 + the signal; `oomKilled`: the kernel killed it for lack of memory (container mode). */
export type ExitListener = (run: Run, status: number, oomKilled: boolean) => void;

interface ProcessRun extends Run {
  child: ChildProcess;
  leaderExited: boolean;
  exited: Promise<void>;
}

function startError(name: string, why: string): TugError {
  return new TugError({ code: 'engine.start-failed', message: `cannot start ${name}: ${why}` });
}

/** Spawns one run; rejects with a TugError when the command cannot start at all. */
export async function spawnRun(name: string, plan: LaunchPlan, logs: LogWriter, onExit: ExitListener, note: (m: string) => void): Promise<Run> {
  checkStartable(plan);
  prepareDirs(plan);
  let child: ChildProcess;
  try {
    child = spawnSupervised({ argv: plan.argv, env: plan.env, cwd: plan.cwd, uid: plan.uid, gid: plan.gid, output: 'pipe' });
  } catch (err) {
    throw startError(name, (err as Error).message);
  }
  child.on('error', (err) => note(`${name}: ${err.message}`));
  const failure = await spawnOutcome(child);
  if (failure) throw startError(name, failure.message);
  const pid = child.pid!;
  const run: ProcessRun = {
    child,
    pid,
    procStart: readProcStat(pid)?.startTime,
    startedMs: Date.now(),
    leaderExited: false,
    exited: Promise.resolve(),
    prober: processProber(plan),
    signalLeader: (signal) => signalProcess(pid, signal),
    signalAll: (signal) => signalGroup(pid, signal),
    terminate: (signal, graceMs) => terminateRun(run, signal, graceMs),
    awaitKilled: (timeoutMs) => awaitKilled(run, timeoutMs),
  };
  // 'exit' is delivered from a later event-loop turn, so attaching here misses nothing.
  run.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      run.leaderExited = true;
      onExit(run, exitStatus(code, signal), false);
      resolve();
    });
  });
  void logs.attach(child.stdout!, 'stdout');
  void logs.attach(child.stderr!, 'stderr');
  return run;
}

/**
 * `signal` to the whole group; SIGKILL once `graceMs` passed without the
 * leader gone and the group empty. Resolves only when the group is empty.
 * The leader's exit is awaited as an event; only descendants that outlive it
 * are polled for (proc.ts says why), so a replica that ignores the signal
 * for the whole grace period costs the engine nothing until it ends.
 */
async function terminateRun(run: ProcessRun, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  run.health?.stop();
  const deadline = Date.now() + graceMs;
  signalGroup(run.pid, signal);
  const alive = groupProbe(run.pid);
  const graceful = (await leaderExitWithin(run, graceMs)) && (await pollUntil(() => !alive(), deadline - Date.now(), { maxMs: 1_000 }));
  if (!graceful) signalGroup(run.pid, 'SIGKILL');
  await run.exited;
  await killLeftovers(run, 5_000);
}

/** Resolves to true on the leader's exit, to false when `ms` pass first. */
function leaderExitWithin(run: ProcessRun, ms: number): Promise<boolean> {
  if (run.leaderExited) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = after(ms, () => resolve(false));
    void run.exited.then(() => {
      timer.cancel();
      resolve(true);
    });
  });
}

/**
 * SIGKILLs the group until it is empty: a descendant forked after one SIGKILL
 * was sent gets the next. Resolves to whether the group emptied in time.
 */
function killLeftovers(run: ProcessRun, timeoutMs: number): Promise<boolean> {
  const alive = groupProbe(run.pid);
  return pollUntil(() => {
    if (!alive()) return true;
    signalGroup(run.pid, 'SIGKILL');
    return false;
  }, timeoutMs);
}

/** After a SIGKILL to the group: wait (bounded) for the leader and the group to be gone. */
async function awaitKilled(run: ProcessRun, timeoutMs: number): Promise<void> {
  await leaderExitWithin(run, timeoutMs);
  await killLeftovers(run, timeoutMs);
}
