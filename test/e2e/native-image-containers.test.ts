// An image service on tug's own runtime, through the built CLI: `up` pulls the
// image from a real registry on 127.0.0.1 and runs each replica in a container
// whose root is the image (an overlay with a private upper directory), with
// the image's CMD, ENV, WORKDIR, USER, HEALTHCHECK and VOLUME honoured; what a
// replica writes survives a restart; `down` leaves no mount, image root or
// other trace, and keeps the image's anonymous volume unless `-v`.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { containerProject, httpGet, leftovers } from '../helpers/container-cli.js';
import { buildImage, busyboxEntries } from '../helpers/image-fixtures.js';
import { describeIsolation } from '../helpers/isolation.js';
import { freePort } from '../helpers/native-env.js';
import { describeRegistry, pushImage, startRegistry, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;

describeIsolation('native backend: image services run in containers rooted in their image', () => {
  describeRegistry('with a registry', () => {
    beforeAll(async () => {
      reg = await startRegistry();
      const image = await buildImage({
        layers: [
          { entries: busyboxEntries('app:x:1000:1000:app:/home/app:/bin/sh\n', 'app:x:1000:\n') },
          { entries: [{ path: 'srv', type: 'directory', mode: 0o777 }, { path: 'srv/index.html', body: 'served from the image\n' }, { path: 'data', type: 'directory' }, { path: 'data/seed', body: 'seeded\n' }] },
        ],
        config: {
          Cmd: ['httpd', '-f', '-p', '8080', '-h', '/srv'],
          Env: ['GREETING=from-image', 'PATH=/bin'],
          WorkingDir: '/srv',
          User: 'app',
          ExposedPorts: { '8080/tcp': {} },
          Volumes: { '/data': {} },
          Healthcheck: { Test: ['CMD', 'test', '-f', '/srv/index.html'], Interval: 200_000_000, Retries: 3 },
        },
      });
      await pushImage(reg, 'tug/web', '1', image.manifest, image.blobs);
    }, 60_000);
    afterAll(async () => {
      await reg?.stop();
    });

    it('pulls, runs the image as its config says, keeps what a replica wrote across a restart, and leaves nothing after down', async () => {
      const port = await freePort();
      const p = containerProject(`services:\n  web:\n    image: ${reg.host}/tug/web:1\n    ports: ["127.0.0.1:${port}:8080"]\n`);
      p.ok(['up', '-d', '--wait', '--wait-timeout', '60']);
      const [row] = p.rows();
      expect(row).toMatchObject({ Service: 'web', State: 'running', Health: 'healthy' });
      expect(await httpGet(port)).toBe('served from the image');

      // ENV, WORKDIR and USER from the image config (the user named in the image's own /etc/passwd).
      expect(p.ok(['exec', '-T', 'web', 'sh', '-c', 'echo $GREETING; pwd; id -u; cat /data/seed']).trim().split('\n')).toEqual(['from-image', '/srv', '1000', 'seeded']);
      // The root is the image, not the host's: the host's /etc/os-release is not there.
      expect(p.run(['exec', '-T', 'web', 'test', '-e', '/etc/os-release']).code).toBe(1);

      p.ok(['exec', '-T', 'web', 'sh', '-c', 'echo kept > /srv/written']);
      p.ok(['restart', '-t', '1', 'web']); // httpd as PID 1 has no TERM handler: no need to wait out the default 10 s
      expect(p.ok(['exec', '-T', 'web', 'cat', '/srv/written']).trim()).toBe('kept');
      expect(p.ok(['ps', '--size', '--format', 'json'])).toMatch(/"Size":"[1-9][0-9.]*k?B"/);

      const recorded = p.recorded();
      p.ok(['down', '-t', '1']);
      expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
      const roots = join(p.home, 'projects', p.project, 'image-roots');
      expect(existsSync(roots) ? readdirSync(roots) : []).toEqual([]);
      // The image's VOLUME is an anonymous volume: kept by plain down, as Docker does.
      expect(readdirSync(join(p.home, 'volumes')).filter((v) => /^[0-9a-f]{64}$/.test(v))).toHaveLength(1);
    }, 120_000);
  });
});
