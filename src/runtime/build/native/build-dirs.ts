// Where native builds keep their things, beside the image store they feed:
//
//   $TUG_HOME/images/build-cache/<key hex>.json   step cache key -> diff ID + created
//   $TUG_HOME/images/build-cache/digests.json     context file digests by stat key
//   $TUG_HOME/images/build-runs/<run>/            one RUN container, rootfs view or layer being written:
//       owner                                     "<pid> <start time>" of the tug process
//       upper/ work/ root/ bundle/ runc/          its overlay, OCI bundle and runtime state
//       layer/                                    a COPY layer, renamed into layers/ once complete
//
// A run directory whose owner died (tug was SIGKILLed mid-step) is swept by
// the next build: its container deleted, its mount undone, the directory gone.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from '../../images/store/image-store.js';
import { currentIdentity, formatIdentity, isAlive, parseIdentity } from '../../native/proc-identity.js';

export function buildCacheDir(store: ImageStore): string {
  return join(store.layout.root, 'build-cache');
}

export function buildScratchDir(store: ImageStore): string {
  return join(store.layout.root, 'build-runs');
}

/** A fresh run directory owned by this process. */
export function newRunDir(store: ImageStore, kind: 'run' | 'view' | 'layer'): string {
  const dir = join(buildScratchDir(store), `${kind}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'owner'), formatIdentity(currentIdentity()));
  return dir;
}

/**
 * Removes what builds of dead tug processes left. `deleteContainer` removes a
 * leftover RUN container given its runtime state directory and id.
 */
export async function sweepDeadRuns(store: ImageStore, deleteContainer: (stateRoot: string, id: string) => Promise<void>): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(buildScratchDir(store));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(buildScratchDir(store), name);
    let owner;
    try {
      owner = parseIdentity(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      owner = undefined;
    }
    // No owner yet: another build is making it right now.
    if (!owner || isAlive(owner)) continue;
    await deleteContainer(join(dir, 'runc'), name).catch(() => undefined);
    // The overlay code (and the unpacker and tar reader it brings) loads only here: a build from the cache never sweeps.
    const { unmountLayers } = await import('../../images/rootfs/overlay.js');
    await unmountLayers(join(dir, 'root'));
    await rm(dir, { recursive: true, force: true });
  }
}
