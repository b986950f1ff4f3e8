// An image's EXPOSE on tug's own runtime, through the built CLI: an image
// (made here, pushed to a real registry on 127.0.0.1) exposes 8080/tcp and
// 5353/udp; `ps` shows them as Docker does (`8080/tcp` in PORTS, the
// exposed-only ones first as `docker ps` orders them; Publishers with
// PublishedPort 0, sorted by target), and `ports: ["8080"]` publishes 8080 on
// a free host port that answers, shown as `0.0.0.0:N->8080/tcp` only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { containerProject, httpGet, leftovers } from '../helpers/container-cli.js';
import { buildImage, busyboxEntries } from '../helpers/image-fixtures.js';
import { describeIsolation } from '../helpers/isolation.js';
import { describeRegistry, pushImage, startRegistry, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;

describeIsolation('native backend: an image\'s exposed ports', () => {
  describeRegistry('with a registry', () => {
    beforeAll(async () => {
      reg = await startRegistry();
      const image = await buildImage({
        layers: [{ entries: [...busyboxEntries(), { path: 'srv', type: 'directory' }, { path: 'srv/index.html', body: 'exposed\n' }] }],
        config: { Cmd: ['httpd', '-f', '-p', '8080', '-h', '/srv'], Env: ['PATH=/bin'], ExposedPorts: { '8080/tcp': {}, '5353/udp': {} } },
      });
      await pushImage(reg, 'tug/expose', '1', image.manifest, image.blobs);
    }, 60_000);
    afterAll(async () => {
      await reg?.stop();
    });

    it('shows exposed ports as Docker does, and publishes "8080" on a free port', async () => {
      const p = containerProject(`
services:
  quiet:
    image: ${reg.host}/tug/expose:1
  web:
    image: ${reg.host}/tug/expose:1
    ports: ["8080"]
`);
      p.ok(['up', '-d']);
      const table = p.ok(['ps']).split('\n');
      expect(table.find((l) => l.startsWith(`${p.project}-quiet-1`))).toMatch(/\s5353\/udp, 8080\/tcp$/);
      const port = Number(p.ok(['port', 'web', '8080']).trim().split(':')[1]);
      expect(port).toBeGreaterThan(0);
      expect(table.find((l) => l.startsWith(`${p.project}-web-1`))).toMatch(new RegExp(`\\s5353/udp, 0\\.0\\.0\\.0:${port}->8080/tcp$`));
      const rows = p.rows();
      expect(rows.find((r) => r.Service === 'quiet')!.Publishers).toEqual([
        { URL: '', TargetPort: 5353, PublishedPort: 0, Protocol: 'udp' },
        { URL: '', TargetPort: 8080, PublishedPort: 0, Protocol: 'tcp' },
      ]);
      expect(rows.find((r) => r.Service === 'web')!.Publishers).toEqual([
        { URL: '', TargetPort: 5353, PublishedPort: 0, Protocol: 'udp' },
        { URL: '0.0.0.0', TargetPort: 8080, PublishedPort: port, Protocol: 'tcp' },
      ]);
      expect(await httpGet(port)).toBe('exposed');
      // An exposed port is not published: `port` says so.
      expect(p.run(['port', 'quiet', '8080']).stderr).toContain('no port 8080/tcp is published for service quiet');

      const recorded = p.recorded();
      p.ok(['down', '-t', '1']);
      expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
    }, 120_000);
  });
});
