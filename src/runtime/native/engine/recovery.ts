// What a new engine does with its predecessor's state. If the predecessor did
// not shut down cleanly, replicas it recorded as running lost their supervisor:
// their leaders died with it (pdeathsig), but descendants may live on in the
// recorded process groups. Those are killed here — only processes that can be
// shown to belong to the group we started: a live leader must have the recorded
// start time, and every member must have started no earlier than the leader
// (a pid cannot be reused while it still names a live process group, so a
// group whose leader is gone is still ours). Replicas are then marked exited,
// killed with their engine at a time nobody recorded. Groups of `tug exec`
// commands, and groups named by records too damaged to keep, are reaped too.
import type { RecoveryReport } from '../protocol.js';
import type { EngineState, ProcessGroupRecord, ReplicaRecord } from '../state-format.js';
import { reapGroup } from './proc.js';

export interface Recovery {
  replicas: ReplicaRecord[];
  report: RecoveryReport;
}

export interface PreviousState {
  state?: EngineState;
  /** Groups named by records that could not be kept. */
  orphanGroups: ProcessGroupRecord[];
  /** What was wrong with the saved state, and where it was moved ("" when nothing was). */
  problem?: string;
}

export async function recover(previous: PreviousState, log: (message: string) => void): Promise<Recovery> {
  const report: RecoveryReport = { reaped: [] };
  if (previous.problem) report.stateProblem = previous.problem;
  for (const group of previous.orphanGroups) {
    if (await reapGroup(group.pgid, group.procStart)) {
      log(`recovery: killed process group ${group.pgid}, named by a damaged state record`);
      report.reapedGroups = (report.reapedGroups ?? 0) + 1;
    }
  }
  const state = previous.state;
  if (!state) return { replicas: [], report };
  if (!state.cleanShutdown) report.previousEngineCrashedAt = state.savedAt;
  const replicas: ReplicaRecord[] = [];
  for (const record of state.replicas) {
    const live = record.state === 'running' || record.state === 'restarting' || record.state === 'removing';
    // After a crash, exited replicas are checked too: the engine may have died
    // while a stopped replica's descendants were inside their grace period.
    const check = live || !state.cleanShutdown;
    const found = check && record.pgid !== undefined ? await reapGroup(record.pgid, record.procStart) : false;
    if (found) log(`recovery: killed leftovers of ${record.spec.name} (process group ${record.pgid})`);
    for (const group of record.execGroups ?? []) {
      if (await reapGroup(group.pgid, group.procStart)) log(`recovery: killed an exec of ${record.spec.name} (process group ${group.pgid})`);
    }
    const { pid: _pid, execGroups: _exec, ...rest } = record;
    if (!live && !found) {
      replicas.push(rest);
      continue;
    }
    // A replica that was running when its engine died was ended by that death
    // (pdeathsig on its leader) or is ended now: either way it is reported.
    // When exactly is not known, so no finishedAt is made up.
    report.reaped.push(record.spec.name);
    replicas.push(live ? { ...rest, state: 'exited', exitCode: 137, finishedAt: undefined, killedWithEngine: true } : rest);
  }
  return { replicas, report };
}
