// How the engine starts a process it supervises (replicas and health probes).
// Two guarantees that no orphan outlives the engine unnoticed:
//  - each process leads its own process group (detached), so one group signal
//    reaches every descendant that did not leave the group on purpose;
//  - when util-linux `setpriv` is present, it sets PR_SET_PDEATHSIG=SIGKILL and
//    then execs the command (no extra process: the pid we get is the command's),
//    so the kernel kills the leader if the engine dies, even by SIGKILL.
// Descendants do not inherit pdeathsig; the engine records each group's pgid and
// start time in state.json so the next engine can reap what is left.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'];

let setprivPath: string | null | undefined;

/** The setpriv binary when it exists and understands --pdeathsig (util-linux ≥ 2.33), else null. */
export function pdeathsigWrapper(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.env.TUG_NO_SETPRIV === '1') return setprivPath;
  for (const candidate of SETPRIV_CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // Probe once: an older setpriv rejects the option and exits non-zero.
    const probe = spawnSync(candidate, ['--pdeathsig', 'KILL', '--', 'true'], {
      stdio: 'ignore',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      timeout: 5_000,
    });
    if (probe.status === 0) {
      setprivPath = candidate;
      break;
    }
  }
  return setprivPath;
}

export interface SuperviseOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** 'pipe' to capture stdout/stderr; stdin is always /dev/null. */
  output: 'pipe' | 'ignore';
}

/**
 * Spawns `argv` as a process-group leader. The caller must listen for 'error':
 * when spawning fails, `pid` is undefined and 'error' follows asynchronously.
 */
export function spawnSupervised(opts: SuperviseOptions): ChildProcess {
  const wrapper = pdeathsigWrapper();
  const [file, args] = wrapper
    ? [wrapper, ['--pdeathsig', 'KILL', '--', ...opts.argv]]
    : [opts.argv[0]!, opts.argv.slice(1)];
  const stdio: StdioOptions = ['ignore', opts.output, opts.output];
  // uid/gid are applied by libuv in the child before exec, i.e. before setpriv
  // runs, so the credential change cannot clear the death signal.
  return spawn(file, args, {
    detached: true,
    env: opts.env,
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
    stdio,
  });
}

/** Resolves once the spawn attempt succeeded (pid known) or failed (the error). */
export function spawnOutcome(child: ChildProcess): Promise<Error | undefined> {
  if (child.pid !== undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => child.once('error', (err) => resolve(err)));
}
