// Whether TUG_HOME can be trusted. The engine's socket, its pid file, the
// process groups in its state (which a new engine kills) and the logs all
// live there, so a directory another user can write to would let them plant
// links, fake state or a socket of their own. TUG_HOME, its projects/ and
// volumes/, and the project's directory must each be a real directory owned by us and writable
// by nobody else; anything else is refused with what to run to fix it.
import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { projectPaths, type ProjectPaths } from './home.js';

const checked = new Set<string>();

/** Throws a TugError when TUG_HOME (and, given a project, its directories) is unsafe; missing ones are fine. */
export function assertTrustedHome(home: string, project?: string): void {
  const key = `${home}\0${project ?? ''}`;
  if (checked.has(key)) return;
  const euid = process.geteuid?.() ?? 0;
  // TUG_HOME itself may be reached through a link the user made (e.g. a moved ~/.local/state).
  const root = statIfAny(home, statSync);
  if (!root) return;
  checkDir(home, 'TUG_HOME', root, euid);
  const projects = join(home, 'projects');
  const projectsStat = statIfAny(projects, lstatSync);
  if (projectsStat) checkDir(projects, 'the projects directory of TUG_HOME', projectsStat, euid);
  const volumes = join(home, 'volumes');
  const volumesStat = statIfAny(volumes, lstatSync);
  if (volumesStat) checkDir(volumes, 'the volumes directory of TUG_HOME', volumesStat, euid);
  if (project !== undefined && projectsStat) {
    const dir = projectPaths(home, project).dir;
    const dirStat = statIfAny(dir, lstatSync);
    if (dirStat) checkDir(dir, `the directory of project "${project}"`, dirStat, euid);
  }
  checked.add(key);
}

/** Creates the project's directory (0700) where missing and checks the chain up to TUG_HOME. */
export function ensureProjectDir(home: string, project: string): ProjectPaths {
  const paths = projectPaths(home, project);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  assertTrustedHome(home, project);
  return paths;
}

function statIfAny(path: string, stat: (p: string) => Stats): Stats | undefined {
  try {
    return stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function checkDir(path: string, what: string, st: Stats, euid: number): void {
  if (st.isSymbolicLink()) {
    throw untrusted(`${what} ${path} is a symbolic link`, `replace it with a real directory: rm ${path} && mkdir -m 700 ${path}`);
  }
  if (!st.isDirectory()) throw untrusted(`${what} ${path} is not a directory`, `remove it, or point TUG_HOME elsewhere`);
  if (st.uid !== euid) {
    throw untrusted(
      `${what} ${path} belongs to uid ${st.uid}, not to you (uid ${euid}); whoever owns it controls what tug runs and kills`,
      `chown -R ${euid} ${path}, or set TUG_HOME to a directory of your own`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o002) !== 0 ? 'other users' : 'its group';
    throw untrusted(
      `${what} ${path} is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); they could plant files tug trusts`,
      `chmod go-w ${path} (tug creates it with mode 700)`,
    );
  }
}

function untrusted(message: string, hint: string): TugError {
  return new TugError({ code: 'native.home-untrusted', message, hint });
}
