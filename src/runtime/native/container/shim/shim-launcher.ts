// Starts tug-shims for the containers starting together from ONE process the
// engine spawns (tug-shim --launch, shim-source.ts), instead of one spawn per
// container. A spawn blocks the engine's event loop for the fork of a large
// process and the wait for the child's exec: 5-12 ms each on two busy cores,
// which for 100 replicas was the largest part of `up`. Each shim still gets
// its own four pipes (control, stdout, stderr, status), so nothing about one
// container's supervision changes: only who forked its shim.
import { spawn } from 'node:child_process';
import type { PassThrough, Readable, Writable } from 'node:stream';
import { Batcher } from '../../batcher.js';
import { held } from '../container-run.js';

/** The engine's ends of one shim's fds 0-3. */
export interface ShimStdio {
  /** Its fd 0: signal numbers in; closing it SIGKILLs the container. */
  control: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Its fd 3: the protocol lines out; ends when the shim exits. */
  status: Readable;
}

/** fds one launcher passes on: four per shim, far below the descriptor limit. */
const MOST_PER_LAUNCH = 32;
/**
 * How long a launch waits for other shims to start with: a spawn returns at
 * once, so without it every batch would be one shim. A lone container starts
 * this much later; 100 starting together cost a dozen spawns instead of 100.
 */
const GATHER_MS = 10;

export class ShimLauncher {
  private readonly batcher = new Batcher<readonly string[], ShimStdio>(async (argvs) => this.launch(argvs), { gatherMs: GATHER_MS });

  constructor(readonly shim: string) {}

  /** Starts a shim with `argv` (PIDFILE RUNTIME ARGS...), together with the others asked for meanwhile. */
  start(argv: readonly string[]): Promise<ShimStdio> {
    return this.batcher.submit(argv);
  }

  private launch(argvs: readonly (readonly string[])[]): ShimStdio[] {
    const out: ShimStdio[] = [];
    for (let i = 0; i < argvs.length; i += MOST_PER_LAUNCH) out.push(...this.launchSome(argvs.slice(i, i + MOST_PER_LAUNCH)));
    return out;
  }

  private launchSome(argvs: readonly (readonly string[])[]): ShimStdio[] {
    const args = ['--launch', String(argvs.length), ...argvs.flatMap((a) => [String(a.length), ...a])];
    const child = spawn(this.shim, args, { stdio: ['ignore', 'ignore', 'ignore', ...argvs.flatMap(() => ['pipe', 'pipe', 'pipe', 'pipe'] as const)], detached: true });
    // A launcher that cannot start leaves the pipes without a writer: each shim's status ends unstarted.
    child.once('error', () => undefined);
    child.unref();
    return argvs.map((_, i) => {
      const fd = (k: number) => child.stdio[3 + 4 * i + k]!;
      const control = fd(0) as Writable;
      control.on('error', () => undefined);
      // Read at once: Node resumes (so discards) unread child output when the launcher exits.
      // A pipe closed without an end (a launcher that never ran) still ends the status: the shim is gone.
      const status = held(fd(3) as Readable) as PassThrough;
      fd(3).once('close', () => {
        if (!status.writableEnded) status.end();
      });
      return { control, stdout: held(fd(1) as Readable), stderr: held(fd(2) as Readable), status };
    });
  }
}
