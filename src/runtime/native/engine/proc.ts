// The engine's view of the process table. A replica is a process group whose
// leader we spawned; these helpers signal whole groups, tell when a group is
// really empty (zombies waiting for a reaper do not count), and read /proc
// start times, which is how a pid we recorded is told apart from a recycled one.
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { sleep } from '../../../timers.js';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22: clock ticks after boot; constant for the life of a process, across execve. */
  startTime: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) may hold spaces and parentheses; what follows the last ')' is fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3, so field N is fields[N - 3].
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

export function selfStartTime(): number {
  return readProcStat(process.pid)?.startTime ?? 0;
}

function isGone(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/** True when `pid` runs (not a zombie) and, if given, started at `startTime`. */
export function processAlive(pid: number, startTime?: number): boolean {
  const stat = readProcStat(pid);
  if (!stat || isGone(stat)) return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Live (non-zombie) members of a process group, from a /proc scan. */
export function groupMembers(pgid: number): ProcStat[] {
  const members: ProcStat[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgrp === pgid && !isGone(stat)) members.push(stat);
  }
  return members;
}

/**
 * Whether any live process is left in the group. kill(-pgid, 0) answers the
 * common case cheaply; a /proc scan follows only when it succeeds, because
 * zombies (reparented to an init that reaps late) still count for kill(2).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return groupMembers(pgid).length > 0;
}

/** Signals a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const SIGNALS = constants.signals as Readonly<Record<string, number>>;

/** "TERM", "SIGTERM", "sigterm", "15" → "SIGTERM"; undefined when unknown. */
export function parseSignal(input: string | number | undefined | null): NodeJS.Signals | undefined {
  if (input === undefined || input === null || input === '') return undefined;
  const text = String(input).trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return Object.keys(SIGNALS).find((name) => SIGNALS[name] === n) as NodeJS.Signals | undefined;
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  return name in SIGNALS ? (name as NodeJS.Signals) : undefined;
}

/** Exit status the way a shell (and Docker) reports it: 128 + signal number when killed. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (SIGNALS[signal] ?? 0);
  return 255;
}

/** Polls `done` until it holds or `timeoutMs` passes; resolves to whether it held. */
export async function waitUntil(done: () => boolean, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(everyMs, Math.max(1, deadline - Date.now())));
  }
}

/**
 * SIGKILLs what is left of a recorded group: only members that started no
 * earlier than its leader, and nothing when the leader's pid now names a
 * process with another start time. Resolves to whether anything was found.
 */
export async function reapGroup(pgid: number, leaderStart: number | undefined): Promise<boolean> {
  const owned = (): ReturnType<typeof groupMembers> => {
    const members = groupMembers(pgid);
    const leader = readProcStat(pgid);
    if (leaderStart === undefined) return [];
    // The pid names a different process now: the group we recorded is gone.
    if (leader && leader.startTime !== leaderStart && leader.state !== 'Z') return [];
    return members.filter((m) => m.startTime >= leaderStart);
  };
  const first = owned();
  if (first.length === 0) return false;
  for (const member of first) signalProcess(member.pid, 'SIGKILL');
  // New members can appear only from a member forking between scan and kill; repeat until empty.
  await waitUntil(() => {
    const rest = owned();
    for (const member of rest) signalProcess(member.pid, 'SIGKILL');
    return rest.length === 0;
  }, 3_000, 20);
  return true;
}
