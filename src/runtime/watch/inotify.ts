// How many inotify watches a process holds (this one by default): the sum of
// the `inotify wd:` lines of every inotify descriptor in /proc/<pid>/fdinfo
// (one line per watch). Linux only; elsewhere, or when /proc is not readable,
// undefined.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function inotifyWatchCount(pid: number | 'self' = 'self'): number | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  let count = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (const line of info.split('\n')) if (line.startsWith('inotify wd:')) count++;
    } catch {
      // closed between the listing and the read
    }
  }
  return count;
}
