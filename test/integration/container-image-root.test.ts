// The image root-filesystem source with real runc: an image pulled from a real
// registry on 127.0.0.1 runs in a real container with its ENV, WORKDIR, USER
// (a name from the image's own /etc/passwd) and CMD honoured; what the
// replica writes survives a restart of its container; removing the replica
// leaves no overlay mount, no upper directory and no lease behind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NativeBackend } from '../../src/runtime/native/backend.js';
import type { ContainerBundle } from '../../src/runtime/native/container/container-bundle.js';
import { ContainerDriver } from '../../src/runtime/native/container/container-driver.js';
import { imageRootDir, imageRootDiskUsage, imageRootSource, removeImageRoots } from '../../src/runtime/native/container/rootfs/image-root.js';
import { pullImage } from '../../src/runtime/images/registry/pull.js';
import { isMountPoint } from '../../src/runtime/images/rootfs/overlay.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { ContainerLab, collect } from '../helpers/containers.js';
import { buildImage, busyboxEntries } from '../helpers/image-fixtures.js';
import { describeIsolation } from '../helpers/isolation.js';
import { describeRegistry, pushImage, startRegistry, type TestRegistry } from '../helpers/registry.js';

/** Starts the container and waits for its exit (which must be 0); its output. `whileRunning` is called once it started. */
async function runToExit(driver: ContainerDriver, bundle: ContainerBundle, whileRunning?: () => void): Promise<string> {
  const run = await driver.start(bundle);
  const out = collect(run.stdout);
  const err = collect(run.stderr);
  whileRunning?.();
  const exit = await run.exited;
  await Promise.all([out.ended, err.ended]);
  await driver.finish(bundle, exit);
  expect(exit.code, err()).toBe(0);
  return out().trim();
}

let reg: TestRegistry | undefined;
const ref = () => `${reg!.host}/tug/image-root:1`;

describeIsolation('container root filesystem from an image', () => describeRegistry('pulled from a registry', () => {
  beforeAll(async () => {
    reg = await startRegistry();
    const img = await buildImage({
      layers: [
        { entries: busyboxEntries('app:x:1000:1000:App:/home/app:/bin/sh\n', 'staff:x:50:app\napp:x:1000:\n') },
        {
          entries: [
            { path: 'app', type: 'directory', uid: 1000, gid: 1000 },
            { path: 'home', type: 'directory' },
            { path: 'data', type: 'directory', uid: 1000, gid: 1000 },
            { path: 'data/seed.txt', body: 'seeded', uid: 1000, gid: 1000 },
          ],
        },
      ],
      config: {
        Env: ['PATH=/bin', 'GREETING=hello'],
        WorkingDir: '/app',
        User: 'app',
        // Each run appends a line to a file in the replica's own root filesystem and prints the count.
        Volumes: { '/data': {} },
        Cmd: ['sh', '-c', 'echo run >> /app/runs; echo w >> /data/written; echo "$GREETING $EXTRA in $(pwd) as $(id -u):$(id -g) home $HOME runs $(wc -l < /app/runs) $(cat /data/seed.txt)"'],
      },
    });
    await pushImage(reg, 'tug/image-root', '1', img.manifest, img.blobs);
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('runs the image as its config says, keeps the upper directory across a restart and removes it with the replica', async () => {
    const lab = new ContainerLab();
    try {
      const store = new ImageStore(lab.home);
      const { record } = await pullImage(store, ref(), { env: {} });
      const spec = { ...lab.spec('web', { image: ref(), environment: { EXTRA: 'there' } }), image: { id: record.id } };
      // Where the container runtime keeps a replica's anonymous volumes (container-bundle.ts).
      const volumeDir = (target: string) => join(lab.home, 'projects', lab.project, 'anon', spec.name, target.slice(1));
      const source = await imageRootSource({ store, home: lab.home, spec, volumeDirFor: volumeDir });
      expect(source.spec.service_spec.user).toBe('app');
      const driver = new ContainerDriver({ ...lab.driver().opts, rootfs: source });
      const bundle = await driver.create(source.spec, { network: { kind: 'new' }, etc: { kind: 'generated', addresses: [], nameservers: [] } });

      const once = () => runToExit(driver, bundle);
      expect(await once()).toBe('hello there in /app as 1000:1000 home /home/app runs 1 seeded');
      // The container restarts in the same root filesystem: what it wrote is still there.
      expect(await once()).toBe('hello there in /app as 1000:1000 home /home/app runs 2 seeded');
      // The image's VOLUME is an anonymous volume, seeded from the image: writes there miss the upper directory.
      expect(readFileSync(join(volumeDir('/data'), 'written'), 'utf8')).toBe('w\nw\n');
      expect(existsSync(join(imageRootDir(lab.home, lab.project, spec.name), 'upper', 'data', 'written'))).toBe(false);
      // An engine that restarts prepares the replica again: the same mount, and what it wrote, are still there.
      const again = await imageRootSource({ store, home: lab.home, spec, volumeDirFor: volumeDir });
      expect(again.root).toBe(source.root);
      expect(readFileSync(join(again.root, 'app', 'runs'), 'utf8')).toBe('run\nrun\n');
      expect(await imageRootDiskUsage(lab.home, lab.project, spec.name)).toBeGreaterThan(0);
      // What `tug ps --size` shows for it on the native backend.
      const backend = new NativeBackend({ home: lab.home });
      const sizes = await backend.replicas.diskUsage!(lab.project, [spec.name, `${lab.project}-host-1`]);
      await backend.close();
      expect(sizes[spec.name]).toBe(await imageRootDiskUsage(lab.home, lab.project, spec.name));
      expect(sizes[`${lab.project}-host-1`]).toBeUndefined();
      expect(Object.keys(await store.listLeases())).toEqual([`${lab.project}.${spec.name}`]);

      expect(await driver.remove(spec.name)).toEqual([]);
      source.cleanup(bundle.dir, bundle.rootfs.hostMounts);
      expect(await isMountPoint(source.root)).toBe(false);
      expect(existsSync(imageRootDir(lab.home, lab.project, spec.name))).toBe(false);
      expect(await store.listLeases()).toEqual({});
      expect(await imageRootDiskUsage(lab.home, lab.project, spec.name)).toBeUndefined();
      await lab.removeProject();
      expect(await lab.leftovers()).toEqual([]);
    } finally {
      await lab.destroy();
    }
  }, 60_000);

  it('without a VOLUME to seed, the runtime mounts the root inside the container: the host never holds the mount', async () => {
    const lab = new ContainerLab();
    try {
      const store = new ImageStore(lab.home);
      const { record } = await pullImage(store, ref(), { env: {} });
      const command = ['sh', '-c', 'echo run >> /app/runs; echo "$(id -u):$(id -g) runs $(wc -l < /app/runs) root $(grep -c \'^overlay / overlay\' /proc/mounts)"'];
      const spec = { ...lab.spec('web', { image: ref(), command }), image: { id: record.id } };
      const source = await imageRootSource({ store, home: lab.home, spec });
      const prepared = source.prepare({ spec: source.spec, dir: lab.home, sharedDir: lab.home, targets: [] });
      expect(prepared.rootMount).toMatchObject({ destination: '/', type: 'overlay' });
      expect(prepared.hostMounts).toEqual([]);
      const driver = new ContainerDriver({ ...lab.driver().opts, rootfs: source });
      const bundle = await driver.create(source.spec, { network: { kind: 'new' }, etc: { kind: 'generated', addresses: [], nameservers: [] } });
      // While it runs, the host's mount table has nothing of it.
      const once = () => runToExit(driver, bundle, () => expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(lab.home));
      // USER app resolved from the image's layers; what it writes lands in its upper directory and stays across a restart.
      expect(await once()).toBe('1000:1000 runs 1 root 1');
      expect(await once()).toBe('1000:1000 runs 2 root 1');
      expect(readFileSync(join(imageRootDir(lab.home, lab.project, spec.name), 'upper', 'app', 'runs'), 'utf8')).toBe('run\nrun\n');
      expect(await driver.remove(spec.name)).toEqual([]);
      source.cleanup(bundle.dir, bundle.rootfs.hostMounts);
      expect(existsSync(imageRootDir(lab.home, lab.project, spec.name))).toBe(false);
      expect(await store.listLeases()).toEqual({});
      await lab.removeProject();
      expect(await lab.leftovers()).toEqual([]);
    } finally {
      await lab.destroy();
    }
  }, 60_000);

  it('refuses a USER the image does not know, before anything is mounted or written', async () => {
    const lab = new ContainerLab();
    try {
      const store = new ImageStore(lab.home);
      const { record } = await pullImage(store, ref(), { env: {} });
      const spec = { ...lab.spec('web', { image: ref(), user: 'nobody-here' }), image: { id: record.id } };
      await expect(imageRootSource({ store, home: lab.home, spec })).rejects.toThrow(/nobody-here/);
      expect(existsSync(imageRootDir(lab.home, lab.project, spec.name))).toBe(false);
      expect(await store.listLeases()).toEqual({});
    } finally {
      await lab.destroy();
    }
  }, 60_000);

  it('after a crash, the names alone are enough to unmount and remove every image root of the project', async () => {
    const lab = new ContainerLab();
    try {
      const store = new ImageStore(lab.home);
      const { record } = await pullImage(store, ref(), { env: {} });
      const roots = [];
      // Mounted on the host, as an image with a VOLUME to seed is (or an earlier engine's root was).
      for (const n of [1, 2]) roots.push(await imageRootSource({ store, home: lab.home, spec: { ...lab.spec('web', { image: ref() }, n), image: { id: record.id } }, mountInside: false }));
      for (const r of roots) expect(await isMountPoint(r.root)).toBe(true);
      // The engine that made them is gone: its successor knows only the home and the project.
      expect(removeImageRoots(lab.home, lab.project)).toEqual([]);
      for (const r of roots) expect(await isMountPoint(r.root)).toBe(false);
      expect(await store.listLeases()).toEqual({});
      expect(existsSync(join(lab.home, 'projects', lab.project, 'image-roots'))).toBe(false);
    } finally {
      await lab.destroy();
    }
  }, 60_000);
}));
