// One run of a replica: a process group whose leader the engine spawned, its
// output wired to the replica's log, and the group-wide termination that
// `stop` needs. The state machine around runs (restarts, events) is replica.ts.
import type { ChildProcess } from 'node:child_process';
import { TugError } from '../../../core/errors.js';
import type { HealthMonitor } from './health.js';
import { checkStartable, prepareDirs, type LaunchPlan } from './launch.js';
import type { LogWriter } from './log-writer.js';
import { readProcStat } from '../proc-stat.js';
import { groupProbe, pollUntil, signalGroup } from './proc.js';
import { spawnOutcome, spawnSupervised } from './spawn.js';
import { after } from '../../../timers.js';

export interface Run {
  child: ChildProcess;
  /** The leader's pid, which is also the group id. */
  pid: number;
  /** The leader's /proc start time, recorded so a later engine can tell a recycled pid. */
  procStart?: number;
  startedMs: number;
  leaderExited: boolean;
  /** Resolves after the leader exited and `onExit` ran. */
  exited: Promise<void>;
  health?: HealthMonitor;
}

export type ExitListener = (run: Run, code: number | null, signal: NodeJS.Signals | null) => void;

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
  const run: Run = { child, pid, procStart: readProcStat(pid)?.startTime, startedMs: Date.now(), leaderExited: false, exited: Promise.resolve() };
  // 'exit' is delivered from a later event-loop turn, so attaching here misses nothing.
  run.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      run.leaderExited = true;
      onExit(run, code, signal);
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
export async function terminateRun(run: Run, signal: NodeJS.Signals, graceMs: number): Promise<void> {
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
function leaderExitWithin(run: Run, ms: number): Promise<boolean> {
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
export function killLeftovers(run: Run, timeoutMs: number): Promise<boolean> {
  const alive = groupProbe(run.pid);
  return pollUntil(() => {
    if (!alive()) return true;
    signalGroup(run.pid, 'SIGKILL');
    return false;
  }, timeoutMs);
}

/** After a SIGKILL to the group: wait (bounded) for the leader and the group to be gone. */
export async function awaitKilled(run: Run, timeoutMs: number): Promise<void> {
  await leaderExitWithin(run, timeoutMs);
  await killLeftovers(run, timeoutMs);
}
