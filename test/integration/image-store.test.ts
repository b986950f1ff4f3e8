// The image store on a real filesystem: blobs verified on arrival and resumed,
// one download for concurrent ingests, layers unpacked with what real images
// contain (whiteouts and opaque directories in overlay form, hard links,
// symlinks, devices, owners, setuid, xattrs, long names) and nothing outside
// the layer directory.
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAttributeSync } from '@napi-rs/xattr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestBlob, putBlob } from '../../src/runtime/images/store/blobs.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { layerFsDir } from '../../src/runtime/images/store/layout.js';
import { buildImage, sha256, storeFixtureImage, type FixtureEntry, type FixtureImage } from '../helpers/image-fixtures.js';
import { describeRoot } from '../helpers/root.js';

let home: string;
let store: ImageStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-store-'));
  store = new ImageStore(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const storeFixture = (img: FixtureImage, ref?: string) => storeFixtureImage(store, img, ref);

const leftovers = () => [...readdirSync(store.layout.ingestDir), ...readdirSync(store.layout.blobsDir)];

describe('blobs', () => {
  it('refuses content whose digest does not match and keeps nothing of it', async () => {
    const bytes = Buffer.from('hello');
    const err = await putBlob(store.layout, { digest: sha256('other'), size: 5 }, bytes).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/failed verification: its content hashes to sha256:2cf24d/);
    expect(leftovers()).toEqual([]);
  });

  it('refuses content of the wrong size', async () => {
    const err = await putBlob(store.layout, { digest: sha256('hello'), size: 4 }, Buffer.from('hello')).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/5 bytes arrived where 4 were announced/);
    expect(leftovers()).toEqual([]);
  });

  it('resumes an interrupted transfer from where it stopped', async () => {
    const data = Buffer.alloc(100_000, 7);
    const target = { digest: sha256(data), size: data.length };
    const offsets: number[] = [];
    const failing = async (offset: number) => {
      offsets.push(offset);
      return {
        start: offset,
        chunks: (async function* () {
          yield data.subarray(offset, offset + 30_000);
          throw new Error('connection reset');
        })(),
      };
    };
    await expect(ingestBlob(store.layout, target, failing)).rejects.toThrow(/connection reset/);
    await expect(ingestBlob(store.layout, target, failing)).rejects.toThrow(/connection reset/);
    await ingestBlob(store.layout, target, async (offset) => {
      offsets.push(offset);
      return { start: offset, chunks: [data.subarray(offset)] };
    });
    expect(offsets).toEqual([0, 30_000, 60_000]);
    expect(readFileSync(join(store.layout.blobsDir, target.digest.slice(7)))).toEqual(data);
    expect(readdirSync(store.layout.ingestDir)).toEqual([]);
  });

  it('starts over when the source ignores the range', async () => {
    const data = Buffer.alloc(1000, 3);
    const target = { digest: sha256(data), size: data.length };
    await ingestBlob(store.layout, target, async () => ({ start: 0, chunks: (async function* () { yield data.subarray(0, 400); throw new Error('cut'); })() })).catch(() => undefined);
    await ingestBlob(store.layout, target, async () => ({ start: 0, chunks: [data] }));
    expect(readFileSync(join(store.layout.blobsDir, target.digest.slice(7)))).toEqual(data);
  });

  it('downloads a blob once when two ingests race', async () => {
    const data = Buffer.alloc(50_000, 9);
    const target = { digest: sha256(data), size: data.length };
    let calls = 0;
    const slow = async () => {
      calls++;
      return { start: 0, chunks: (async function* () { await new Promise((r) => setTimeout(r, 200)); yield data; })() };
    };
    await Promise.all([ingestBlob(store.layout, target, slow), ingestBlob(store.layout, target, slow)]);
    expect(calls).toBe(1);
  });
});

describe('unpacking layers', () => {
  it('refuses a layer whose content does not match the diff ID, storing no layer and no name', async () => {
    const img = await buildImage({ layers: [{ entries: [{ path: 'a', body: 'x' }] }] });
    // Rewrite the config with a wrong diff ID (and the manifest to match the new config).
    const cfg = JSON.parse(img.config.bytes.toString());
    cfg.rootfs.diff_ids = [sha256('not it')];
    const cfgBytes = Buffer.from(JSON.stringify(cfg));
    const m = JSON.parse(img.manifest.bytes.toString());
    m.config = { ...m.config, digest: sha256(cfgBytes), size: cfgBytes.length };
    const mBytes = Buffer.from(JSON.stringify(m));
    img.blobs.delete(img.config.digest);
    img.blobs.delete(img.manifest.digest);
    img.config = { ...img.config, digest: sha256(cfgBytes), bytes: cfgBytes };
    img.manifest = { ...img.manifest, digest: sha256(mBytes), bytes: mBytes };
    img.blobs.set(img.config.digest, img.config).set(img.manifest.digest, img.manifest);
    await expect(storeFixture(img)).rejects.toThrow(/unpacks to content sha256:[0-9a-f]+, but the image config says sha256:.*nothing was stored/);
    expect(readdirSync(store.layout.layersDir)).toEqual([]);
    expect(await store.readRefs()).toEqual({});
  });

  it('refuses entries that climb out of the layer', async () => {
    const img = await buildImage({ layers: [{ entries: [{ path: '../evil', body: 'x' }] }] });
    await expect(storeFixture(img)).rejects.toThrow(/points outside the layer/);
    expect(existsSync(join(home, 'images', 'evil'))).toBe(false);
  });

  it('follows symlinked parents inside the layer only', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'tug-outside-'));
    try {
      const img = await buildImage({
        layers: [{ entries: [{ path: 'etc', type: 'symlink', linkname: outside }, { path: 'etc/passwd', body: 'pwned' }, { path: 'up', type: 'symlink', linkname: '../../../..' }, { path: 'up/x', body: 'y' }] }],
      });
      const rec = await storeFixture(img);
      const fs = layerFsDir(store.layout, rec.layers[0]!.diffId);
      expect(readdirSync(outside)).toEqual([]);
      expect(readFileSync(join(fs, outside, 'passwd'), 'utf8')).toBe('pwned');
      expect(readFileSync(join(fs, 'x'), 'utf8')).toBe('y');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never follows a symlink that replaced a directory when it sets directory times', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'tug-outside-'));
    try {
      const before = statSync(outside).mtimeMs;
      const img = await buildImage({ layers: [{ entries: [{ path: 'a', type: 'directory', mtime: 1000 }, { path: 'a', type: 'symlink', linkname: outside }] }] });
      await storeFixture(img);
      expect(statSync(outside).mtimeMs).toBe(before);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a hard link to a file that is not in the layer', async () => {
    const img = await buildImage({ layers: [{ entries: [{ path: 'a', type: 'link', linkname: 'bin/busybox' }] }] });
    await expect(storeFixture(img)).rejects.toThrow(/hard link to "bin\/busybox", which is not a file earlier in the same layer/);
  });

  it('unpacks gzip, zstd and uncompressed layers, each once, with long names and symlinks', async () => {
    const long = 'd/' + 'n'.repeat(150) + '/' + 'f'.repeat(120);
    const entries = (tag: string): FixtureEntry[] => [{ path: 'd', type: 'directory' }, { path: long, body: tag }, { path: 'link', type: 'symlink', linkname: long }];
    const img = await buildImage({ layers: [{ entries: entries('g'), compression: 'gzip' }, { entries: entries('z'), compression: 'zstd' }, { entries: entries('n'), compression: 'none' }] });
    const rec = await storeFixture(img);
    const texts = rec.layers.map((l) => readFileSync(join(layerFsDir(store.layout, l.diffId), long), 'utf8'));
    expect(texts).toEqual(['g', 'z', 'n']);
    expect(readlinkSync(join(layerFsDir(store.layout, rec.layers[1]!.diffId), 'link'))).toBe(long);
    // A second image sharing the layers unpacks nothing again.
    const mtime = statSync(layerFsDir(store.layout, rec.layers[0]!.diffId)).mtimeMs;
    await storeFixture(img, 'docker.io/library/again:1');
    expect(statSync(layerFsDir(store.layout, rec.layers[0]!.diffId)).mtimeMs).toBe(mtime);
    expect(readdirSync(store.layout.layersDir).filter((n) => !n.startsWith('.')).length).toBe(3);
  });
});

describeRoot('unpacking layers as root', () => {
  it('writes whiteouts, opaque directories, hard links, devices, owners, setuid bits and xattrs as overlayfs reads them', async () => {
    const img = await buildImage({
      layers: [
        {
          entries: [
            { path: 'data', type: 'directory' },
            { path: 'data/gone.txt', body: 'bye' },
            { path: 'data/keep', type: 'directory' },
            { path: 'data/keep/old', body: 'old' },
            { path: 'bin', type: 'directory' },
            { path: 'bin/tool', body: 'tool', mode: 0o4755, uid: 1000, gid: 1000 },
            { path: 'bin/tool-link', type: 'link', linkname: 'bin/tool' },
            { path: 'dev', type: 'directory' },
            { path: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
            { path: 'dev/fifo', type: 'fifo', mode: 0o600 },
            { path: 'x', body: 'x', xattrs: { 'user.tug': 'yes', 'trusted.evil': '1' }, mtime: 1_000_000_000 },
          ],
        },
        {
          entries: [
            { path: 'data', type: 'directory' },
            { path: 'data/.wh.gone.txt', body: '', mode: 0o600, uid: 0, gid: 0 },
            { path: 'data/keep/.wh..wh..opq', body: '', mode: 0o600 },
            { path: 'data/keep', type: 'directory', mode: 0o750 },
            { path: 'data/keep/new', body: 'new' },
          ],
          compression: 'zstd',
        },
      ],
    });
    const rec = await storeFixture(img);
    const [lower, upper] = rec.layers.map((l) => layerFsDir(store.layout, l.diffId)) as [string, string];
    const tool = statSync(join(lower, 'bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect([tool.uid, tool.gid]).toEqual([1000, 1000]);
    expect(statSync(join(lower, 'bin/tool-link')).ino).toBe(tool.ino);
    const dev = lstatSync(join(lower, 'dev/null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe((1 << 8) | 3);
    expect(lstatSync(join(lower, 'dev/fifo')).isFIFO()).toBe(true);
    expect(getAttributeSync(join(lower, 'x'), 'user.tug')?.toString()).toBe('yes');
    expect(getAttributeSync(join(lower, 'x'), 'trusted.evil')).toBeNull();
    expect(statSync(join(lower, 'x')).mtimeMs).toBe(1_000_000_000_000);
    const whiteout = lstatSync(join(upper, 'data/gone.txt'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(existsSync(join(upper, 'data/.wh.gone.txt'))).toBe(false);
    expect(getAttributeSync(join(upper, 'data/keep'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(statSync(join(upper, 'data/keep')).mode & 0o777).toBe(0o750);
    expect(readdirSync(join(upper, 'data/keep'))).toEqual(['new']);
  });
});
