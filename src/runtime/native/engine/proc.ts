// The engine's view of the process table. A replica is a process group whose
// leader we spawned; these helpers signal whole groups and tell when a group
// is really empty (zombies waiting for a reaper do not count).
//
// Why some waiting here still polls: the leader is the engine's child, so its
// exit is an event ('exit' on the ChildProcess), and callers wait for that
// first. Its descendants are not our children: Linux gives no event when the
// last member of a process group goes (no pidfd for groups, and Node can
// neither become a child subreaper nor hold a pidfd), so what follows the
// leader's exit is checked by polling, starting fast and backing off.
import { readdirSync } from 'node:fs';
import { readProcStat, type ProcStat } from '../proc-stat.js';
import { sleep } from '../../../timers.js';

function isGone(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
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

/** Whether the group exists at all for kill(2): zombies count, so true may still mean "nothing live". */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether any live process is left in the group. kill(-pgid, 0) answers the
 * common case cheaply; a /proc scan follows only when it succeeds, because
 * zombies (reparented to an init that reaps late) still count for kill(2).
 */
export function groupAlive(pgid: number): boolean {
  return groupExists(pgid) && groupMembers(pgid).length > 0;
}

/**
 * groupAlive for asking the same group again and again (a grace period): a
 * member found alive is looked at first next time (one stat read), and the
 * /proc scan runs again only once that member is gone.
 */
export function groupProbe(pgid: number): () => boolean {
  let seen: number | undefined;
  return () => {
    if (!groupExists(pgid)) return false;
    if (seen !== undefined) {
      const stat = readProcStat(seen);
      if (stat && stat.pgrp === pgid && !isGone(stat)) return true;
    }
    seen = groupMembers(pgid)[0]?.pid;
    return seen !== undefined;
  };
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

export interface PollOptions {
  /** The first wait (default 5 ms), doubled after each check up to `maxMs` (default 500 ms). */
  firstMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
}

/**
 * Checks `done` now and then with a growing interval until it holds or
 * `timeoutMs` passes; resolves to whether it held. For conditions no event
 * reports (see the header): quick when the condition comes soon, cheap when
 * it takes the whole timeout.
 */
export async function pollUntil(done: () => boolean, timeoutMs: number, opts: PollOptions = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let wait = opts.firstMs ?? 5;
  const maxMs = opts.maxMs ?? 500;
  for (;;) {
    if (done()) return true;
    const left = deadline - Date.now();
    if (left <= 0 || opts.signal?.aborted) return false;
    await sleep(Math.min(wait, left), opts.signal);
    wait = Math.min(wait * 2, maxMs);
  }
}

/**
 * SIGKILLs what is left of a recorded group: only members that started no
 * earlier than its leader, and nothing when the leader's pid now names a
 * process with another start time. Resolves to whether anything was found.
 */
export async function reapGroup(pgid: number, leaderStart: number | undefined): Promise<boolean> {
  const owned = (): ProcStat[] => {
    if (leaderStart === undefined || !groupExists(pgid)) return [];
    const leader = readProcStat(pgid);
    // The pid names a different process now: the group we recorded is gone.
    if (leader && leader.startTime !== leaderStart && leader.state !== 'Z') return [];
    return groupMembers(pgid).filter((m) => m.startTime >= leaderStart);
  };
  const first = owned();
  if (first.length === 0) return false;
  for (const member of first) signalProcess(member.pid, 'SIGKILL');
  // New members can appear only from a member forking between scan and kill; repeat until empty.
  await pollUntil(() => {
    const rest = owned();
    for (const member of rest) signalProcess(member.pid, 'SIGKILL');
    return rest.length === 0;
  }, 3_000);
  return true;
}
