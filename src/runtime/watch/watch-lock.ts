// One `tug watch` per project at a time, whatever the backend: the lock is
// $TUG_HOME/projects/<project>/watch.lock, taken with the native runtime's
// exclusive-link lock (a holder that died leaves a stale lock that is taken
// over). A second watch does not wait: it is refused at once, naming the
// process that watches.
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { ensureProjectDir } from '../native/home-trust.js';
import { tugHome } from '../native/home.js';
import { acquireFileLock } from '../native/lock.js';
import type { ProcessIdentity } from '../native/proc-identity.js';

/** Takes the project's watch lock; resolves to its release. Throws `watch.already-running` when another watch holds it. */
export async function acquireWatchLock(env: Readonly<Record<string, string | undefined>>, project: string): Promise<() => void> {
  const dir = ensureProjectDir(tugHome(env), project).dir;
  const file = join(dir, 'watch.lock');
  let holder: ProcessIdentity | undefined;
  try {
    return await acquireFileLock(file, project, { timeoutMs: 0, onWait: (_message, who) => (holder = who) });
  } catch (err) {
    if (!(err instanceof TugError) || err.code !== 'native.project-locked') throw err;
    const who = holder ? ` (pid ${holder.pid})` : '';
    throw new TugError({
      code: 'watch.already-running',
      message: `project "${project}" is already being watched by another tug watch${who}`,
      hint: holder ? `stop that one first (Ctrl-C in its terminal, or kill ${holder.pid})` : `stop the other tug watch first; if none runs, remove ${file}`,
    });
  }
}
