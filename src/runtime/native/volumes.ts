// Volumes of the native runtime: a directory per volume under
// TUG_HOME/volumes/<name>/, its contents in data/ and its record in
// volume.json. Named volumes are shared by name across projects, as Docker's
// are; a project sees (observes) only the ones carrying its project label, so
// an external volume made by hand is never listed, and so never removed by
// `down`. Anonymous volumes are volumes of their own too, named by 64 random
// hex digits, unlabelled and marked anonymous in their record (as Docker
// does): the engine makes them for a replica, records which it has, and
// removes them only when asked (`down -v`, `run --rm`).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { VolumeSpec } from '../../core/model/types.js';
import type { ObservedVolume } from '../../core/reconcile/observed.js';
import { isVolumeName, volumeDataDir, volumeDir } from './home.js';
import { isObject, stringLabels } from './record-shape.js';

export interface VolumeRecord {
  labels: Record<string, string>;
  spec: VolumeSpec;
  createdAt: string;
  /** Made for one replica's unnamed mount; never a project's named volume. */
  anonymous?: boolean;
}

export async function createVolume(home: string, project: string, key: string, name: string, spec: VolumeSpec): Promise<void> {
  const dir = volumeDir(home, name); // checks the name before anything touches the disk
  if ((await readVolumeRecord(home, name)) !== undefined) return; // exists: its data is the point, keep it
  await mkdir(join(home, 'volumes'), { recursive: true, mode: 0o700 });
  await mkdir(volumeDataDir(home, name), { recursive: true, mode: 0o755 });
  const record: VolumeRecord = {
    labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.volume]: key },
    spec,
    createdAt: new Date().toISOString(),
  };
  // Written last and atomically: a volume without volume.json is not one of ours yet.
  const tmp = join(dir, `.volume.json.${process.pid}.${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, recordText(record), { mode: 0o600 });
  await rename(tmp, join(dir, 'volume.json'));
}

/** The volumes carrying this project's label. */
export async function listVolumes(home: string, project: string): Promise<ObservedVolume[]> {
  let names: string[];
  try {
    names = await readdir(join(home, 'volumes'));
  } catch {
    return [];
  }
  const out: ObservedVolume[] = [];
  for (const name of names.sort()) {
    if (!isVolumeName(name)) continue; // not a volume tug could have made (e.g. a stray dot-file)
    const record = await readVolumeRecord(home, name);
    if (!record || record.labels[LABEL.project] !== project) continue;
    out.push({ name, key: record.labels[LABEL.volume], labels: record.labels });
  }
  return out;
}

/**
 * Those of `names` that exist, with their labels: a directory made by hand
 * (no record) counts, unlabelled, as Docker counts a volume made outside Compose.
 */
export async function findVolumes(home: string, names: readonly string[]): Promise<ObservedVolume[]> {
  const out: ObservedVolume[] = [];
  for (const name of names) {
    if (!isVolumeName(name)) continue;
    const record = await readVolumeRecord(home, name);
    if (record) out.push({ name, key: record.labels[LABEL.volume], labels: record.labels });
    else if (await isDirectory(volumeDataDir(home, name))) out.push({ name, labels: {} });
  }
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Deletes the volume and its data. Removing a volume that is not there is not
 * an error; removing one that a replica of another project mounts (it names
 * the same volume) is, as Docker refuses to remove a volume in use.
 */
export async function removeVolume(home: string, project: string, name: string): Promise<void> {
  const dir = volumeDir(home, name);
  const users = await volumeUsers(home, name, project);
  if (users.length > 0) {
    throw new TugError({
      code: 'native.volume-in-use',
      message: `volume ${name} is still in use by ${users.join(', ')}`,
      hint: 'remove the replicas that use it first (down of their project)',
    });
  }
  await rm(dir, { recursive: true, force: true });
}

/** Replicas of the other projects under this TUG_HOME whose named volumes include `name`, stopped ones too (as Docker counts them). */
async function volumeUsers(home: string, name: string, except: string): Promise<string[]> {
  let projects: string[];
  try {
    projects = await readdir(join(home, 'projects'));
  } catch {
    return [];
  }
  // The state reader is loaded only here: ps loads this module.
  const { readStateFile } = await import('./state-file.js');
  const users: string[] = [];
  for (const other of projects.sort()) {
    if (other === except || !isVolumeName(other)) continue;
    for (const { replica, spec } of await readStateFile(home, other)) {
      if (spec && Object.values(spec.volumeNames ?? {}).includes(name)) users.push(replica.name);
    }
  }
  return users;
}

export async function readVolumeRecord(home: string, name: string): Promise<VolumeRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(volumeDir(home, name), 'volume.json'), 'utf8');
  } catch {
    return undefined;
  }
  return parseRecord(text);
}

/**
 * The anonymous volume for each of `targets`: the inherited one when it still
 * exists and is anonymous (a name off the wire is never trusted to be one),
 * else a new one. The engine calls this when it creates a replica, so it is
 * synchronous like the engine's other bookkeeping.
 */
export function allocateAnonymousVolumes(home: string, targets: readonly string[], inherited: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const target of targets) {
    const wanted = inherited[target];
    out[target] = wanted !== undefined && isAnonymousVolume(home, wanted) ? wanted : createAnonymousVolume(home);
  }
  return out;
}

/** Removes anonymous volumes; a name that is not one (or is gone) is left alone. */
export function removeAnonymousVolumes(home: string, names: readonly string[]): void {
  for (const name of names) if (isAnonymousVolume(home, name)) rmSync(volumeDir(home, name), { recursive: true, force: true });
}

/** The data/ directory itself is made at start, so it belongs to the replica's user. */
function createAnonymousVolume(home: string): string {
  // The Web Crypto global loads node:crypto on first use, not with this module (which `ps` loads).
  const name = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('hex');
  const dir = volumeDir(home, name);
  mkdirSync(join(home, 'volumes'), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o755 });
  const tmp = join(dir, `.volume.json.${process.pid}`);
  writeFileSync(tmp, recordText({ labels: {}, spec: {}, createdAt: new Date().toISOString(), anonymous: true }), { mode: 0o600 });
  renameSync(tmp, join(dir, 'volume.json'));
  return name;
}

function isAnonymousVolume(home: string, name: string): boolean {
  if (!isVolumeName(name)) return false;
  try {
    return parseRecord(readFileSync(join(volumeDir(home, name), 'volume.json'), 'utf8'))?.anonymous === true;
  } catch {
    return false;
  }
}

function recordText(record: VolumeRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** A damaged record (not an object) is no record; damaged fields read as empty. */
function parseRecord(text: string): VolumeRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const record: VolumeRecord = {
    labels: stringLabels(parsed.labels),
    spec: isObject(parsed.spec) ? (parsed.spec as VolumeSpec) : {},
    createdAt: typeof parsed.createdAt === 'string' ? parsed.createdAt : '',
  };
  if (parsed.anonymous === true) record.anonymous = true;
  return record;
}
