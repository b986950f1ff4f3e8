// The process groups of `tug exec` commands run in one replica. As with a
// container, what was exec'd in a replica ends with its run: the groups are
// kept (and saved with the replica, for a successor engine to reap) until
// then, and killed when the run ends.
import type { ProcessGroupRecord } from '../state-format.js';
import { groupAlive, reapGroup } from './proc.js';

export class ExecGroups {
  private groups: ProcessGroupRecord[] = [];

  /** Takes a group; the ones that ended meanwhile are dropped. */
  adopt(group: ProcessGroupRecord): void {
    this.groups = [...this.groups.filter((g) => groupAlive(g.pgid)), group];
  }

  /** The run ended: every group goes with it. */
  endAll(): void {
    const groups = this.groups;
    this.groups = [];
    for (const group of groups) void reapGroup(group.pgid, group.procStart);
  }

  /** What the replica's record keeps: the groups, when there are any. */
  record(): { execGroups?: ProcessGroupRecord[] } {
    return this.groups.length > 0 ? { execGroups: this.groups } : {};
  }
}
