// From registry to a running process, as root: a project's two services on one
// image pull it once; each replica gets an overlay root filesystem, and the
// image's ENV, WORKDIR, USER (from the image's passwd), CMD, HEALTHCHECK,
// EXPOSE and VOLUME are honoured when its command runs there (under chroot,
// standing in for the container runtime that comes next).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prepareStoreImages } from '../../src/runtime/images/prepare.js';
import { prepareReplicaImage } from '../../src/runtime/images/replica-image.js';
import { isMountPoint } from '../../src/runtime/images/rootfs/overlay.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { buildImage, busyboxEntries, type FixtureImage } from '../helpers/image-fixtures.js';
import { describeRegistry, pushImage, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { isRoot } from '../helpers/root.js';
import { projectLiteral } from '../helpers/project-literal.js';

// The replica's environment has the image's PATH, so the host's chroot is named in full.
const CHROOT = spawnSync('sh', ['-c', 'command -v chroot'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/chroot';

let reg: TestRegistry;
let home: string;
let img: FixtureImage;

describeRegistry('an image from the registry, run in its own root filesystem', () => {
  beforeAll(async () => {
    if (!isRoot) return;
    home = mkdtempSync(join(tmpdir(), 'tug-run-'));
    reg = await startRegistry();
    img = await buildImage({
      layers: [
        { entries: [...busyboxEntries('app:x:1000:1000:App:/home/app:/bin/sh\n', 'staff:x:50:app\napp:x:1000:\n'), { path: 'etc/gone', body: 'old' }] },
        {
          entries: [
            { path: 'etc', type: 'directory' },
            { path: 'etc/.wh.gone', body: '' },
            { path: 'app', type: 'directory', uid: 1000, gid: 1000 },
            { path: 'app/ready', body: 'yes' },
            { path: 'data', type: 'directory', uid: 1000, gid: 1000 },
            { path: 'data/seed.txt', body: 'seeded', uid: 1000, gid: 1000 },
          ],
          compression: 'zstd',
        },
      ],
      config: {
        Env: ['PATH=/bin', 'GREETING=hello'],
        WorkingDir: '/app',
        User: 'app',
        Cmd: ['sh', '-c', 'echo "$GREETING $EXTRA from $(pwd) as $(id -u):$(id -g) groups $(id -G) home $HOME"'],
        Healthcheck: { Test: ['CMD', 'test', '-f', '/app/ready'], Interval: 1_000_000_000 },
        ExposedPorts: { '8080/tcp': {} },
        Volumes: { '/data': {} },
        StopSignal: 'SIGINT',
      },
    });
    await pushImage(reg, 'tug/run', '1', img.manifest, img.blobs);
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it.skipIf(!isRoot)('pulls once for two services and runs the image as its config says', async () => {
    const store = new ImageStore(home);
    const image = `${reg.host}/tug/run:1`;
    const project = projectLiteral({
      name: 'runp',
      workingDir: home,
      services: { web: { image, environment: { EXTRA: 'there' } }, worker: { image, command: ['sh', '-c', 'echo worker'] } },
    });
    const events: string[] = [];
    const { ids, failures } = await prepareStoreImages(store, project, ['web', 'worker'], { env: { DOCKER_CONFIG: join(home, 'none') }, onProgress: (p) => events.push(p.status) });
    expect(failures).toEqual({});
    expect(ids.web).toBe(img.config.digest);
    expect(ids.worker).toBe(img.config.digest);
    expect(events.filter((s) => s === 'Pulling').length).toBe(1);
    expect(readdirSync(store.layout.layersDir).filter((n) => !n.startsWith('.')).length).toBe(2);

    const volume = join(home, 'volumes', 'anon-data');
    mkdirSync(volume, { recursive: true });
    const replica = await prepareReplicaImage({
      store,
      imageId: ids.web!,
      service: 'web',
      spec: project.services.web!,
      replicaDir: join(home, 'replicas', 'runp-web-1'),
      leaseId: 'runp.runp-web-1',
      hostname: 'runp-web-1',
      volumeDirFor: () => volume,
    });
    try {
      const { config, root } = replica;
      expect(config.exposedPorts).toEqual(['8080/tcp']);
      expect(config.stopSignal).toBe('SIGINT');
      expect(config.imageVolumes).toEqual(['/data']);
      expect(readFileSync(join(volume, 'seed.txt'), 'utf8')).toBe('seeded');
      const inRoot = (argv: string[]) =>
        spawnSync(CHROOT, [`--userspec=${config.user.uid}:${config.user.gid}`, `--groups=${[config.user.gid, ...config.user.additionalGids].join(',')}`, root, '/bin/sh', '-c', 'cd "$0" && exec "$@"', config.workingDir, ...argv], { env: config.env, encoding: 'utf8' });
      const run = inRoot(config.argv);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('hello there from /app as 1000:1000 groups 1000 50 home /home/app\n');
      expect(inRoot(config.healthcheck!.test!.slice(1)).status).toBe(0);
      expect(inRoot(['test', '-e', '/etc/gone']).status).toBe(1);
    } finally {
      await replica.rootfs.cleanup();
    }
    expect(await isMountPoint(replica.root)).toBe(false);
  });
});
