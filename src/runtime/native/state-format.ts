// The format of an engine's state, shared by the engine (which writes it) and
// the engine-less reader behind `ps`, `ls` and `logs`. Pure: texts in, records
// and problems out.
//
// Two files. state.json is a snapshot: every replica's record (its spec and
// status) and the sequence number of the last change it includes. state.journal
// holds the changes since, one JSON line each, so a change costs a line
// proportional to that change, not a rewrite of every replica:
//   {"n": 7, "t": ISO, "put": <record>}             a new replica
//   {"n": 8, "t": ISO, "set": <name>, "s": <status>} its status now (no spec)
//   {"n": 9, "t": ISO, "del": <name>}                removed
// Replay applies lines with n above the snapshot's seq, in order; a line that
// does not parse (the tail torn by a crash mid-write) is skipped, so at most
// that one change is lost.
//
// Everything read is validated: a record that is not one (`null`, a spec
// without a name, a state we do not know) is dropped with a problem saying
// where, and whatever process group it names is kept for reaping.
import type { HealthState, ReplicaState } from '../../core/reconcile/observed.js';
import type { HostReplicaSpec } from './host-env.js';

export interface ProcessGroupRecord {
  pgid: number;
  /** The group leader's /proc start time, which tells a recycled pid apart. */
  procStart: number;
}

export interface ReplicaRecord {
  spec: HostReplicaSpec;
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
  /** It was running when its engine died, so it died too, at a time nobody recorded. */
  killedWithEngine?: boolean;
  /** Container mode: the kernel's OOM killer ended its last run. */
  oomKilled?: boolean;
  /** `tug exec` commands run in it: ended with the replica. */
  execGroups?: ProcessGroupRecord[];
  /** The replica's anonymous volumes (names under TUG_HOME/volumes/) by target. */
  anonymousVolumes?: Record<string, string>;
}

/** What changes over a replica's life: the record without its spec and creation time. */
export type ReplicaStatus = Omit<ReplicaRecord, 'spec' | 'createdAt'>;

export interface EngineIdentity {
  pid: number;
  procStart: number;
  startedAt: string;
}

export interface EngineState {
  version: 2;
  project: string;
  engine: EngineIdentity;
  /** Last write: for a crashed engine, the last moment it was known alive and consistent. */
  savedAt: string;
  /** True only when the engine exited on purpose (shutdown, idle). */
  cleanShutdown: boolean;
  /** The last journal entry this snapshot includes. */
  seq: number;
  replicas: ReplicaRecord[];
}

export type JournalEntry =
  | { n: number; t: string; put: ReplicaRecord }
  | { n: number; t: string; set: string; s: ReplicaStatus }
  | { n: number; t: string; del: string };

export interface ParsedState {
  /** Undefined when there was no state at all. */
  state?: EngineState;
  /** What was wrong with the files, for the log and the user's notice; empty when all was well. */
  problems: string[];
  /** Process groups named by records that had to be dropped: still to be reaped. */
  orphanGroups: ProcessGroupRecord[];
  /** Journal lines skipped as unreadable (a torn tail after a crash is one). */
  skippedLines: number;
}

const STATES: readonly string[] = ['created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing'];
const HEALTH: readonly string[] = ['starting', 'healthy', 'unhealthy'];
/** The note `ps` shows for a replica that died with its engine. */
/** The note `ps` shows for a replica the kernel killed for lack of memory. */
export const OOM_KILLED = 'OOM killed';

export const KILLED_WITH_ENGINE = 'killed with its engine, which stopped unexpectedly; exit time unknown';

/** Replica names become file names (logs, anon dirs): no separators, no dot-dot. */
export const REPLICA_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function journalLine(entry: JournalEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

export function snapshotText(state: EngineState): string {
  return `${JSON.stringify(state)}\n`;
}

export function statusOf(record: ReplicaRecord): ReplicaStatus {
  const { spec: _spec, createdAt: _created, ...status } = record;
  return status;
}

/** Parses a snapshot (or undefined: none) and a journal (or undefined) into the state they describe. */
export function parseState(snapshot: string | undefined, journal: string | undefined, project: string): ParsedState {
  const out: ParsedState = { problems: [], orphanGroups: [], skippedLines: 0 };
  if (snapshot === undefined && (journal === undefined || journal.trim() === '')) return out;
  const records = new Map<string, ReplicaRecord>();
  const header = readSnapshot(snapshot, project, records, out);
  let seq = header.seq;
  let savedAt = header.savedAt;
  if (journal !== undefined) {
    const lines = journal.split('\n');
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      const entry = parseEntry(raw);
      if (!entry) {
        out.skippedLines++;
        // The last line being torn is what a crash mid-write leaves; anything else is damage.
        const last = lines.slice(i + 1).every((l) => l.trim() === '');
        if (!last) out.problems.push(`state.journal line ${i + 1} is not a state change`);
        return;
      }
      if (entry.n <= seq) return; // already in the snapshot
      apply(records, entry, `state.journal line ${i + 1}`, out);
      seq = entry.n;
      savedAt = entry.t;
    });
  }
  out.state = { ...header, seq, savedAt, replicas: [...records.values()] };
  return out;
}

interface SnapshotHeader extends Omit<EngineState, 'replicas'> {}

function readSnapshot(text: string | undefined, project: string, records: Map<string, ReplicaRecord>, out: ParsedState): SnapshotHeader {
  const header: SnapshotHeader = {
    version: 2,
    project,
    engine: { pid: 0, procStart: 0, startedAt: '' },
    savedAt: '',
    cleanShutdown: false,
    seq: 0,
  };
  if (text === undefined) return header;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    out.problems.push(`state.json is not JSON (${(err as Error).message})`);
    return header;
  }
  if (!isObject(parsed) || (parsed.version !== 1 && parsed.version !== 2) || !Array.isArray(parsed.replicas)) {
    out.problems.push('state.json is not an engine state (expected {"version": 2, "replicas": [...]})');
    salvageGroups(parsed, out);
    return header;
  }
  if (typeof parsed.savedAt === 'string') header.savedAt = parsed.savedAt;
  if (parsed.cleanShutdown === true) header.cleanShutdown = true;
  if (typeof parsed.seq === 'number' && Number.isInteger(parsed.seq)) header.seq = parsed.seq;
  if (isObject(parsed.engine) && typeof parsed.engine.pid === 'number') header.engine = parsed.engine as unknown as EngineIdentity;
  parsed.replicas.forEach((value, i) => add(records, value, `state.json replicas[${i}]`, out));
  return header;
}

function parseEntry(raw: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value.n !== 'number' || typeof value.t !== 'string') return undefined;
  if ('put' in value || ('set' in value && typeof value.set === 'string' && isObject(value.s)) || typeof value.del === 'string') {
    return value as unknown as JournalEntry;
  }
  return undefined;
}

function apply(records: Map<string, ReplicaRecord>, entry: JournalEntry, where: string, out: ParsedState): void {
  if ('put' in entry) {
    add(records, entry.put, where, out, true);
  } else if ('set' in entry) {
    const old = records.get(entry.set);
    if (!old) return; // a change to a replica whose creation was lost: nothing to apply it to
    add(records, { ...entry.s, spec: old.spec, createdAt: old.createdAt }, where, out, true);
  } else {
    records.delete(entry.del);
  }
}

function add(records: Map<string, ReplicaRecord>, value: unknown, where: string, out: ParsedState, replace = false): void {
  const problem = recordProblem(value);
  if (problem) {
    out.problems.push(`${where} is not a replica record: ${problem}`);
    salvageGroups(value, out);
    return;
  }
  const record = withDefaults(value as ReplicaRecord);
  if (!replace && records.has(record.spec.name)) {
    out.problems.push(`${where} repeats replica ${record.spec.name}`);
    salvageGroups(value, out);
    return;
  }
  records.set(record.spec.name, record);
}

/** Why `value` cannot be a replica spec, or undefined when it can. */
export function specProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the spec must be an object';
  for (const key of ['project', 'service', 'name', 'projectDir'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '') return `spec.${key} must be a non-empty string`;
  }
  if (!REPLICA_NAME.test(value.name as string)) return `spec.name ${JSON.stringify(value.name)} is not a valid replica name`;
  if (typeof value.number !== 'number' || !Number.isInteger(value.number) || value.number < 0) return 'spec.number must be an integer ≥ 0';
  if (!isObject(value.service_spec)) return 'spec.service_spec must be an object';
  for (const key of ['labels', 'networkNames', 'volumeNames', 'hostEnv'] as const) {
    if (value[key] !== undefined && !isObject(value[key])) return `spec.${key} must be an object`;
  }
  if (value.image !== undefined && !(isObject(value.image) && typeof value.image.id === 'string' && /^sha256:[0-9a-f]{64}$/.test(value.image.id))) {
    return 'spec.image must be {id: "sha256:<64 hex>"}';
  }
  const inherited = value.inheritedVolumes;
  if (inherited !== undefined && (!isObject(inherited) || Object.values(inherited).some((v) => typeof v !== 'string'))) {
    return 'spec.inheritedVolumes must map targets to volume names';
  }
  return undefined;
}

/** The spec with its optional maps defaulted, so the engine can rely on them. */
export function specWithDefaults(spec: Partial<HostReplicaSpec>): HostReplicaSpec {
  return {
    ...spec,
    oneoff: spec.oneoff === true,
    labels: spec.labels ?? {},
    networkNames: spec.networkNames ?? {},
    volumeNames: spec.volumeNames ?? {},
    hostEnv: spec.hostEnv ?? {},
  } as HostReplicaSpec;
}

function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `${value === null ? 'null' : typeof value} is not an object`;
  const spec = specProblem(value.spec);
  if (spec) return spec;
  if (typeof value.state !== 'string' || !STATES.includes(value.state)) return `unknown state ${JSON.stringify(value.state)}`;
  if (typeof value.createdAt !== 'string') return 'createdAt must be a time';
  if (value.restartCount !== undefined && !isCount(value.restartCount)) return 'restartCount must be an integer ≥ 0';
  for (const key of ['pid', 'pgid', 'procStart', 'exitCode'] as const) {
    if (value[key] !== undefined && !Number.isInteger(value[key])) return `${key} must be an integer`;
  }
  for (const key of ['startedAt', 'finishedAt'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return `${key} must be a time`;
  }
  if (value.health !== undefined && !HEALTH.includes(value.health as string)) return `unknown health ${JSON.stringify(value.health)}`;
  if (value.execGroups !== undefined && !(Array.isArray(value.execGroups) && value.execGroups.every(isGroup))) {
    return 'execGroups must list {pgid, procStart}';
  }
  if (value.anonymousVolumes !== undefined && (!isObject(value.anonymousVolumes) || Object.values(value.anonymousVolumes).some((v) => typeof v !== 'string'))) {
    return 'anonymousVolumes must map targets to volume names';
  }
  return undefined;
}

function withDefaults(record: ReplicaRecord): ReplicaRecord {
  return { ...record, spec: specWithDefaults(record.spec), restartCount: record.restartCount ?? 0 };
}

/** Process groups a damaged record still names: a crashed engine's replicas may be alive in them. */
function salvageGroups(value: unknown, out: ParsedState): void {
  const visit = (v: unknown, depth: number): void => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    const o = v as Record<string, unknown>;
    if (isGroup(o) && !out.orphanGroups.some((g) => g.pgid === o.pgid)) out.orphanGroups.push({ pgid: o.pgid as number, procStart: o.procStart as number });
    for (const child of Object.values(o)) visit(child, depth + 1);
  };
  visit(value, 0);
}

function isGroup(v: unknown): boolean {
  return isObject(v) && isCount(v.pgid) && (v.pgid as number) > 1 && isCount(v.procStart);
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
