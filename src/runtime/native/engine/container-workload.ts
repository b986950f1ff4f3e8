// One run of a container replica, in the Run shape the state machine in
// replica.ts drives (the process kind is run.ts): started through the
// ContainerDriver, its stdout/stderr streamed into the replica's log, its exit
// status and OOM kill read when it ends, signals delivered to its init (PID 1
// of its own pid namespace, so a SIGKILL ends everything in it, `exec`s and
// probes included), health probes run inside it. Its names resolve while it
// runs, and its published ports send it traffic while it is healthy.
import { after } from '../../../timers.js';
import type { ContainerRun } from '../container/container-run.js';
import type { ContainerHost, ContainerSlot } from './container-host.js';
import { execProber } from './health.js';
import type { LogWriter } from './log-writer.js';
import type { ExitListener, Run } from './run.js';

export interface ContainerRunContext {
  containers: ContainerHost;
  logs: LogWriter;
  onExit: ExitListener;
  note(message: string): void;
}

/** Starts the slot's container; rejects with a TugError when the runtime cannot start it. */
export async function startContainerRun(slot: ContainerSlot, ctx: ContainerRunContext): Promise<Run> {
  const { driver } = ctx.containers;
  const started: ContainerRun = await driver.start(slot.bundle);
  ctx.containers.started(slot, started.pid);
  let ended = false;
  const prober = execProber((argv) => driver.exec(slot.bundle, { args: [...argv] }));
  const exitedOnce = started.exited.then(async (exit) => {
    ended = true;
    ctx.containers.stopped(slot);
    // A lost supervisor may leave the container running: remove it now, not at the next start.
    if (exit.lost) {
      ctx.note(`${slot.spec.name}: its supervisor vanished; removing the container`);
      return driver.finish(slot.bundle, exit).catch((err: Error) => {
        ctx.note(`${slot.spec.name}: ${err.message}`);
        return { exitCode: exit.code, oomKilled: false };
      });
    }
    return driver.outcome(slot.bundle, exit);
  });
  const run: Run = {
    pid: started.pid,
    startedMs: Date.now(),
    exited: exitedOnce.then((f) => ctx.onExit(run, f.exitCode, f.oomKilled)),
    prober,
    signalLeader: (signal) => started.signal(signal),
    signalAll: (signal) => {
      if (!ended) started.signal(signal);
    },
    terminate: async (signal, graceMs) => {
      run.health?.stop();
      if (!ended) started.signal(signal);
      if (!(await within(exitedOnce, graceMs)) && !ended) started.signal('SIGKILL');
      await run.exited;
    },
    awaitKilled: async (timeoutMs) => void (await within(exitedOnce, timeoutMs)),
  };
  void ctx.logs.attach(started.stdout, 'stdout');
  void ctx.logs.attach(started.stderr, 'stderr');
  return run;
}

/** Whether `p` settles within `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = after(ms, () => resolve(false));
    void p.then(() => {
      timer.cancel();
      resolve(true);
    });
  });
}
