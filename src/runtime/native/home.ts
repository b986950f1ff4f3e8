// Where the native runtime keeps its state. One directory per project holds the
// engine's socket, pid file, lock and replica state; logs sit beside them so
// they outlive the engine; named volumes are shared across projects by name.
//
//   $TUG_HOME/                     (default $XDG_STATE_HOME/tug or ~/.local/state/tug), mode 0700
//     projects/<project>/          mode 0700
//       engine.sock                mode 0600
//       engine.lock                a link naming the engine that serves the project (its claim)
//       engine.pid                 "<pid> <start time>", written by the engine holding the claim
//       engine.log                 the engine's own stderr
//       cli.lock                   a link naming the CLI command that changes the project
//       state.json                 replicas and their specs: the engine's last snapshot
//       state.journal              changes since the snapshot, one JSON line each
//       networks.json              networks "created" for the project (bookkeeping in process mode)
//       logs/<replica>.jsonl       {"t": ISO time, "s": "stdout"|"stderr", "l": line}, rotated to .1
//     volumes/<name>/data/         a volume's contents (named, or anonymous: 64 random hex digits)
//     volumes/<name>/volume.json   its labels and spec, or that it is anonymous
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';

export function tugHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.TUG_HOME) return env.TUG_HOME;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'tug');
}

export interface ProjectPaths {
  dir: string;
  socket: string;
  pidFile: string;
  engineLock: string;
  engineLog: string;
  lock: string;
  state: string;
  journal: string;
  networks: string;
  /** Container mode's record of every kernel object it made (container/ledger.ts). */
  isolationLedger: string;
  logsDir: string;
}

export function projectPaths(home: string, project: string): ProjectPaths {
  // The CLI checks project names as Compose does; this is the last line before a path.
  if (!isVolumeName(project)) throw new TugError({ code: 'native.project-name', message: `invalid project name ${JSON.stringify(project)}` });
  const dir = join(home, 'projects', project);
  return {
    dir,
    socket: join(dir, 'engine.sock'),
    pidFile: join(dir, 'engine.pid'),
    engineLock: join(dir, 'engine.lock'),
    engineLog: join(dir, 'engine.log'),
    lock: join(dir, 'cli.lock'),
    state: join(dir, 'state.json'),
    journal: join(dir, 'state.journal'),
    networks: join(dir, 'networks.json'),
    isolationLedger: join(dir, 'isolation.jsonl'),
    logsDir: join(dir, 'logs'),
  };
}

export function replicaLogFile(home: string, project: string, replica: string): string {
  return join(projectPaths(home, project).logsDir, `${replica}.jsonl`);
}

/** Every volume path is made here, from a checked name: nothing may climb out of volumes/ ("../x", "a/b"). */
export function volumeDir(home: string, name: string): string {
  if (!isVolumeName(name)) {
    throw new TugError({
      code: 'native.volume-name',
      message: `invalid volume name ${JSON.stringify(name)}`,
      hint: 'volume names use letters, digits, "_", "." and "-", and start with a letter or digit',
    });
  }
  return join(home, 'volumes', name);
}

/** A name that is safe as one path component: no separator, no leading dot. */
export function isVolumeName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name);
}

export function volumeDataDir(home: string, name: string): string {
  return join(volumeDir(home, name), 'data');
}
