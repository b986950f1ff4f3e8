// Loading archives into the store: docker save (legacy and Docker 25's OCI
// form), OCI layouts as directories and tars, compressed and from a stream,
// a real `docker save` when Docker is there; a broken archive names nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadImages } from '../../src/runtime/images/load/load-images.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { layerFsDir } from '../../src/runtime/images/store/layout.js';
import { describeDocker, ensureTestImage, TEST_IMAGE } from '../helpers/docker.js';
import { buildImage, buildIndex, busyboxEntries, dockerSaveTar, ociLayoutTar, writeOciLayout, type FixtureImage } from '../helpers/image-fixtures.js';

let home: string;
let store: ImageStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-load-'));
  store = new ImageStore(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

let img: FixtureImage;
beforeAll(async () => {
  img = await buildImage({
    layers: [{ entries: busyboxEntries() }, { entries: [{ path: 'etc', type: 'directory' }, { path: 'etc/motd', body: 'loaded\n' }], compression: 'zstd' }],
    config: { Cmd: ['sh'] },
  });
});

async function expectLoaded(names: string[]) {
  const refs = await store.readRefs();
  const rec = await store.getImage(img.config.digest);
  expect(rec?.layers.map((l) => l.diffId)).toEqual(img.layers.map((l) => l.diffId));
  expect(readFileSync(join(layerFsDir(store.layout, img.layers[1]!.diffId), 'etc/motd'), 'utf8')).toBe('loaded\n');
  for (const n of names) expect(refs[n]?.id).toBe(img.config.digest);
  expect(Object.keys(refs).sort()).toEqual([...names].sort());
  // Scratch space of the load is gone.
  expect(spawnSync('ls', [store.layout.tmpDir], { encoding: 'utf8' }).stdout.trim()).toBe('');
}

function write(name: string, bytes: Buffer): string {
  const file = join(home, name);
  writeFileSync(file, bytes);
  return file;
}

describe('image load', () => {
  it('reads a legacy docker save archive', async () => {
    const file = write('save.tar', await dockerSaveTar(img, ['t/app:1', 'reg.example:5000/t/app:2']));
    const loaded = await loadImages(store, { path: file });
    expect(loaded).toEqual([{ id: img.config.digest, names: ['t/app:1', 'reg.example:5000/t/app:2'] }]);
    await expectLoaded(['docker.io/t/app:1', 'reg.example:5000/t/app:2']);
  });

  it('reads a Docker 25 docker save archive (OCI layout inside), gzip-compressed from a stream', async () => {
    const tar = await dockerSaveTar(img, ['app:latest'], { oci: true });
    const loaded = await loadImages(store, { stream: Readable.from([gzipSync(tar)]) });
    expect(loaded[0]!.names).toEqual(['app:latest']);
    await expectLoaded(['docker.io/library/app:latest']);
  });

  it('reads an OCI layout directory and an OCI layout tar', async () => {
    const dir = join(home, 'layout');
    writeOciLayout(dir, [{ top: img.manifest, blobs: img.blobs, tag: 'ghcr.io/o/app:3' }]);
    await loadImages(store, { path: dir });
    await expectLoaded(['ghcr.io/o/app:3']);
    const tar = write('oci.tar', await ociLayoutTar([{ top: img.manifest, blobs: img.blobs, tag: '1' }]));
    const loaded = await loadImages(store, { path: tar });
    // A bare tag (skopeo's oci:dir:tag) names no repository: the image loads unnamed.
    expect(loaded).toEqual([{ id: img.config.digest, names: [] }]);
  });

  it('chooses the host platform from an index in a layout', async () => {
    const arm = await buildImage({ layers: [{ entries: [{ path: 'a', body: 'arm' }] }], architecture: 'arm64' });
    const index = buildIndex([arm, img]);
    const dir = join(home, 'multi');
    writeOciLayout(dir, [{ top: index.index, blobs: index.blobs, tag: 'localhost/multi:1' }]);
    const [loaded] = await loadImages(store, { path: dir });
    expect(loaded!.id).toBe(img.config.digest);
  });

  it('refuses an archive with a corrupted blob and names nothing', async () => {
    const dir = join(home, 'bad');
    writeOciLayout(dir, [{ top: img.manifest, blobs: img.blobs, tag: 'ghcr.io/o/bad:1' }]);
    writeFileSync(join(dir, 'blobs/sha256', img.layers[1]!.digest.slice(7)), Buffer.alloc(img.layers[1]!.bytes.length, 1));
    await expect(loadImages(store, { path: dir })).rejects.toThrow(/layer sha256:[0-9a-f]{64} failed verification/);
    expect(await store.readRefs()).toEqual({});
    expect(await store.listImages()).toEqual([]);
  });

  it('refuses what is not an image archive', async () => {
    const file = write('junk.tar', Buffer.from('not a tar at all, just text'));
    await expect(loadImages(store, { path: file })).rejects.toThrow(/not a readable tar|neither manifest.json/);
    const empty = await loadImages(store, { stream: Readable.from([]) }).catch((e: Error) => e);
    expect((empty as Error).message).toMatch(/neither manifest.json \(docker save\) nor index.json/);
  });
});

describeDocker('image load of a real docker save', () => {
  it('loads what Docker wrote', async () => {
    await ensureTestImage();
    const file = join(home, 'real.tar');
    const r = spawnSync('docker', ['save', '-o', file, TEST_IMAGE], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [loaded] = await loadImages(store, { path: file });
    expect(loaded!.names).toEqual([TEST_IMAGE]);
    const id = spawnSync('docker', ['image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE], { encoding: 'utf8' }).stdout.trim();
    expect(loaded!.id).toBe(id);
    const rec = await store.getImage(loaded!.id);
    expect(readFileSync(join(layerFsDir(store.layout, rec!.layers[0]!.diffId), 'bin/busybox')).length).toBeGreaterThan(100_000);
  });
});
