// Overlay root filesystems from stored images (root only): the merged view
// honours whiteouts, opaque directories and hard links across layers; writes
// land in the replica's upper directory and survive a remount; many layers
// mount despite the one-page option limit; cleanup leaves no mount behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isMountPoint, overlayMount } from '../../src/runtime/images/rootfs/overlay.js';
import { ImageStore, type ImageRecord } from '../../src/runtime/images/store/image-store.js';
import { pruneStore, removeImage } from '../../src/runtime/images/store/prune.js';
import { buildImage, storeFixtureImage, type ImageSpec } from '../helpers/image-fixtures.js';
import { describeRoot } from '../helpers/root.js';

let home: string;
let store: ImageStore;
const mounted: string[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-overlay-'));
  store = new ImageStore(home);
});
afterEach(async () => {
  for (const m of mounted.splice(0)) if (await isMountPoint(m)) spawnUmount(m);
  rmSync(home, { recursive: true, force: true });
});

function spawnUmount(path: string): void {
  // Safety net only: each test unmounts through cleanup().
  void import('node:child_process').then(({ spawnSync }) => spawnSync('umount', ['-l', path]));
}

async function stored(spec: ImageSpec): Promise<{ rec: ImageRecord }> {
  return { rec: await storeFixtureImage(store, await buildImage(spec), 'docker.io/library/ov:1') };
}

describeRoot('overlay root filesystems', () => {
  it('shows the layers merged: deletions, opaque directories and hard links across layers', async () => {
    const { rec } = await stored({
      layers: [
        {
          entries: [
            { path: 'data', type: 'directory' },
            { path: 'data/gone.txt', body: 'bye' },
            { path: 'data/stays.txt', body: 'here' },
            { path: 'data/keep', type: 'directory' },
            { path: 'data/keep/old', body: 'old' },
            { path: 'bin', type: 'directory' },
            { path: 'bin/tool', body: 'tool v1' },
          ],
        },
        {
          entries: [
            { path: 'data/.wh.gone.txt', body: '' },
            { path: 'data/keep/.wh..wh..opq', body: '' },
            { path: 'data/keep/new', body: 'new' },
            // Docker copies a lower file up beside a new hard link to it.
            { path: 'bin/tool', body: 'tool v2' },
            { path: 'bin/tool-link', type: 'link', linkname: 'bin/tool' },
          ],
        },
      ],
    });
    const dir = join(home, 'replicas', 'web-1');
    const rootfs = overlayMount({ store, image: rec, dir, leaseId: 'p.web-1' });
    const { path, readonly } = await rootfs.prepare();
    mounted.push(path);
    expect(readonly).toBe(false);
    expect(readdirSync(join(path, 'data')).sort()).toEqual(['keep', 'stays.txt']);
    expect(readdirSync(join(path, 'data/keep'))).toEqual(['new']);
    expect(readFileSync(join(path, 'bin/tool-link'), 'utf8')).toBe('tool v2');
    expect(statSync(join(path, 'bin/tool-link')).ino).toBe(statSync(join(path, 'bin/tool')).ino);
    // Writes go to the replica's upper directory only, and survive a remount.
    writeFileSync(join(path, 'data/written'), 'mine');
    expect(readFileSync(join(dir, 'upper/data/written'), 'utf8')).toBe('mine');
    expect(await rootfs.diskUsage()).toBeGreaterThanOrEqual(4);
    await rootfs.unmount();
    expect(await isMountPoint(path)).toBe(false);
    await rootfs.prepare();
    expect(readFileSync(join(path, 'data/written'), 'utf8')).toBe('mine');
    // Preparing again while mounted reuses the mount: one mount at the path, not two stacked.
    await rootfs.prepare();
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === path)).toHaveLength(1);
    // rm refuses an image a replica uses (with --force it only drops the name), and prune keeps it.
    await expect(removeImage(store, 'ov:1')).rejects.toThrow(/image ov:1 is used by replica p\.web-1/);
    expect(await removeImage(store, 'ov:1', { force: true })).toEqual({ untagged: ['ov:1'] });
    expect(await store.getImage(rec.id)).toBeDefined();
    await pruneStore(store);
    expect(store.hasLayer(rec.layers[0]!.diffId)).toBe(true);
    await rootfs.cleanup();
    expect(await isMountPoint(path)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await store.listLeases()).toEqual({});
    const report = await pruneStore(store);
    expect(report.layers).toBe(2);
    expect(store.hasLayer(rec.layers[0]!.diffId)).toBe(false);
  });

  it('mounts an image of 200 layers (the options would not fit a page with full paths)', async () => {
    const layers = Array.from({ length: 200 }, (_, i) => ({ entries: [{ path: `f${i}`, body: String(i) }], compression: 'none' as const }));
    const { rec } = await stored({ layers });
    const rootfs = overlayMount({ store, image: rec, dir: join(home, 'replicas', 'many-1'), leaseId: 'p.many-1' });
    const { path } = await rootfs.prepare();
    mounted.push(path);
    expect(readdirSync(path).length).toBe(200);
    expect(readFileSync(join(path, 'f0'), 'utf8')).toBe('0');
    expect(readFileSync(join(path, 'f199'), 'utf8')).toBe('199');
    await rootfs.cleanup();
    expect(await isMountPoint(path)).toBe(false);
  }, 60_000);

  it('gives two replicas of one image their own upper directories over shared layers', async () => {
    const { rec } = await stored({ layers: [{ entries: [{ path: 'shared', body: 'base' }] }] });
    const a = overlayMount({ store, image: rec, dir: join(home, 'replicas', 'a'), leaseId: 'p.a' });
    const b = overlayMount({ store, image: rec, dir: join(home, 'replicas', 'b'), leaseId: 'p.b' });
    const pa = (await a.prepare()).path;
    const pb = (await b.prepare()).path;
    mounted.push(pa, pb);
    writeFileSync(join(pa, 'shared'), 'changed by a');
    expect(readFileSync(join(pb, 'shared'), 'utf8')).toBe('base');
    await a.cleanup();
    await b.cleanup();
    expect(readdirSync(store.layout.layersDir).filter((n) => !n.startsWith('.')).length).toBe(1);
  });
});
