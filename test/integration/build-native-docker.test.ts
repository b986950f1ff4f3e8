// One Dockerfile, two builders: the Docker Engine's classic builder (through
// tug's docker backend build path) and tug's native builder (runc RUN
// containers, the native image store), over the same base image (exported
// from the Engine and loaded into the store). The containers both images
// make print the same thing: command, user, working directory, environment
// and files, whiteouts included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServiceImage } from '../../src/runtime/build/native/build-service.js';
import { buildImage as dockerBuild } from '../../src/runtime/docker/images.js';
import { loadImages } from '../../src/runtime/images/load/load-images.js';
import { prepareReplicaImage } from '../../src/runtime/images/replica-image.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { tempProject } from '../helpers/cli.js';
import { describeDocker, ensureTestImage, TEST_IMAGE, testDocker, uniqueDockerProject } from '../helpers/docker.js';
import { isolationAvailable } from '../helpers/isolation.js';
import { projectLiteral } from '../helpers/project-literal.js';

const CHROOT = spawnSync('sh', ['-c', 'command -v chroot'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/chroot';

const DOCKERFILE = [
  `FROM ${TEST_IMAGE}`,
  'ARG GREETING=hi',
  'ENV GREETING=$GREETING APP_HOME=/home/app',
  "RUN busybox mkdir -p /etc /home/app && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' > /etc/group && busybox chown app:app /home/app",
  'COPY files/ /srv/',
  'RUN echo "$GREETING from build" > /srv/built.txt && busybox rm /srv/drop.txt',
  'WORKDIR /srv',
  'USER app',
  'RUN busybox id > /home/app/id.txt',
  'CMD ["sh", "-c", "echo cmd-ran; busybox id; busybox pwd; echo $GREETING $APP_HOME $HOME; cat built.txt keep.txt /home/app/id.txt; ls /srv"]',
  '',
].join('\n');

let dir: string;
let home: string;
let tag: string;

describeDocker('the same Dockerfile built by Docker and by tug natively', () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = tempProject({ Dockerfile: DOCKERFILE, 'files/keep.txt': 'kept\n', 'files/drop.txt': 'dropped\n' }, 'tug-build-both-');
    home = mkdtempSync(join(tmpdir(), 'tug-build-both-home-'));
    tag = `${uniqueDockerProject('tugboth')}:latest`;
  });
  afterAll(async () => {
    const docker = await testDocker();
    await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it.skipIf(!isolationAvailable)('gives containers that print the same command, user, directory, environment and files', async () => {
    const docker = await testDocker();
    const spec = { context: dir, args: { GREETING: 'hello' } };
    await dockerBuild(docker, 'tugboth', 'app', spec, tag, () => undefined);
    const container = await docker.createContainer({ Image: tag });
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    await container.remove({ force: true });
    const fromDocker = demux(logs);

    const store = new ImageStore(home);
    await loadImages(store, { stream: (await docker.getImage(TEST_IMAGE).get()) as unknown as Readable });
    const project = projectLiteral({ name: 'both', workingDir: dir, services: { app: { build: spec } } });
    const imageId = await buildServiceImage(store, project, 'app');
    const replica = await prepareReplicaImage({ store, imageId, service: 'app', spec: {}, replicaDir: join(home, 'replica'), leaseId: 'both.app-1', hostname: 'app-1', volumeDirFor: () => join(home, 'vol') });
    let fromTug: string;
    try {
      const { config, root } = replica;
      const run = spawnSync(CHROOT, [`--userspec=${config.user.uid}:${config.user.gid}`, `--groups=${[config.user.gid, ...config.user.additionalGids].join(',')}`, root, '/bin/sh', '-c', 'cd "$0" && exec "$@"', config.workingDir, ...config.argv], { env: config.env, encoding: 'utf8' });
      fromTug = run.stdout + run.stderr;
    } finally {
      await replica.rootfs.cleanup();
    }
    expect(fromDocker).toBe(['cmd-ran', 'uid=1000(app) gid=1000(app) groups=1000(app)', '/srv', 'hello /home/app /home/app', 'hello from build', 'kept', 'uid=1000(app) gid=1000(app) groups=1000(app)', 'built.txt', 'keep.txt', ''].join('\n'));
    expect(fromTug).toBe(fromDocker);
  }, 120_000);
});

/** The Engine's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}
