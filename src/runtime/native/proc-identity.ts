// Process identity for pid and lock files: "<pid> <start time>". A pid alone
// is not enough because the kernel reuses pids; the start time (field 22 of
// /proc/<pid>/stat, in clock ticks since boot) tells a reused pid apart.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Absent when /proc was unreadable when the file was written. */
  startTime?: string;
}

/** The start time of a live process, or undefined when it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: after pid, comm and 19 more
  } catch {
    return undefined;
  }
}

export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

export function currentIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

export function formatIdentity(id: ProcessIdentity): string {
  return id.startTime ? `${id.pid} ${id.startTime}` : `${id.pid}`;
}

export function parseIdentity(text: string): ProcessIdentity | undefined {
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime ? { pid, startTime } : { pid };
}

/** True when the process the identity was written by is still running. */
export function isAlive(id: ProcessIdentity): boolean {
  const now = processStartTime(id.pid);
  if (now !== undefined) return id.startTime === undefined || now === id.startTime;
  // No /proc entry: either gone, or /proc is unavailable; ask the kernel.
  try {
    process.kill(id.pid, 0);
    return !existsProc();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function existsProc(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

/** A process's command line, for messages ("node server.js"); best effort. */
export function processCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.split('\0').filter((s) => s !== '').join(' ');
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}
