// state.json: what the engine knows about its replicas, written after every
// change so that a crashed engine's successor can find (and reap) process
// groups it left behind and keep listing replicas that exited. Written
// atomically (tmp + rename): a crash mid-write leaves the previous version.
import { renameSync } from 'node:fs';
import { readText, writeAtomic } from '../safe-fs.js';
import { log } from './diagnostics.js';
import type { HealthState, ReplicaState } from '../../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';

export interface ReplicaRecord {
  spec: ReplicaSpec;
  state: ReplicaState;
  /** Leader pid and process group (equal: the leader created the group). */
  pid?: number;
  pgid?: number;
  /** The leader's /proc start time (clock ticks), to recognise a recycled pid. */
  procStart?: number;
  exitCode?: number;
  restartCount: number;
  health?: HealthState;
  /** ISO times. */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface EngineStateFile {
  version: 1;
  project: string;
  engine: { pid: number; procStart: number; startedAt: string };
  /** Last write: for a crashed engine, the last moment it was known alive and consistent. */
  savedAt: string;
  /** True only when the engine exited on purpose (shutdown, idle). */
  cleanShutdown: boolean;
  replicas: ReplicaRecord[];
}

export class StateStore {
  constructor(readonly path: string) {}

  /** The previous state, or undefined when there is none; a corrupt file is set aside, not fatal. */
  load(): EngineStateFile | undefined {
    const text = readText(this.path);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as EngineStateFile;
      if (parsed && parsed.version === 1 && Array.isArray(parsed.replicas)) return parsed;
      throw new Error('unknown format');
    } catch (err) {
      const aside = `${this.path}.corrupt-${Date.now()}`;
      renameSync(this.path, aside);
      log(`state.json unreadable (${(err as Error).message}); moved to ${aside}`);
      return undefined;
    }
  }

  save(state: EngineStateFile): void {
    writeAtomic(this.path, JSON.stringify(state, null, 2) + '\n');
  }
}
