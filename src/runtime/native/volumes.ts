// Named volumes of the native runtime: a directory per volume under
// TUG_HOME/volumes/<name>/, its contents in data/ and its labels in
// volume.json. Volumes are shared by name across projects, as Docker's are;
// a project sees (observes) only the ones carrying its project label, so an
// external volume made by hand is never listed, and so never removed by `down`.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { VolumeSpec } from '../../core/model/types.js';
import type { ObservedVolume } from '../../core/reconcile/observed.js';
import { volumeDataDir, volumeDir } from './home.js';

export interface VolumeRecord {
  labels: Record<string, string>;
  spec: VolumeSpec;
  createdAt: string;
}

export async function createVolume(home: string, project: string, key: string, name: string, spec: VolumeSpec): Promise<void> {
  checkVolumeName(name);
  if ((await readVolumeRecord(home, name)) !== undefined) return; // exists: its data is the point, keep it
  const dir = volumeDir(home, name);
  await mkdir(join(home, 'volumes'), { recursive: true, mode: 0o700 });
  await mkdir(volumeDataDir(home, name), { recursive: true, mode: 0o755 });
  const record: VolumeRecord = {
    labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.volume]: key },
    spec,
    createdAt: new Date().toISOString(),
  };
  // Written last and atomically: a volume without volume.json is not one of ours yet.
  const tmp = join(dir, `.volume.json.${process.pid}.${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
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
    const record = await readVolumeRecord(home, name);
    if (!record || record.labels[LABEL.project] !== project) continue;
    out.push({ name, key: record.labels[LABEL.volume], labels: record.labels });
  }
  return out;
}

/** Deletes the volume and its data. Removing a volume that is not there is not an error. */
export async function removeVolume(home: string, _project: string, name: string): Promise<void> {
  checkVolumeName(name);
  await rm(volumeDir(home, name), { recursive: true, force: true });
}

export async function volumeExists(home: string, name: string): Promise<boolean> {
  try {
    await readdir(volumeDataDir(home, name));
    return true;
  } catch {
    return false;
  }
}

export async function readVolumeRecord(home: string, name: string): Promise<VolumeRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(volumeDir(home, name), 'volume.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<VolumeRecord>;
    return { labels: parsed.labels ?? {}, spec: parsed.spec ?? {}, createdAt: parsed.createdAt ?? '' };
  } catch {
    return undefined;
  }
}

/** The name becomes a directory: nothing that could climb out of volumes/. */
function checkVolumeName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new TugError({
      code: 'native.volume-name',
      message: `invalid volume name "${name}"`,
      hint: 'volume names use letters, digits, "_", "." and "-", and start with a letter or digit',
    });
  }
}
