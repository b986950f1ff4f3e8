// `tug watch` into container replicas of the native runtime, through the built
// CLI: an image service (rooted in its image, in tug's store) and a service
// rooted in the host's read-only file system (`--isolation container`, no
// image). An edit is served by the container (and an exec hook after it sees
// it, its output captured), a deletion is gone from it, a
// symlink the container made to /etc leads the write to the container's own
// /etc and never to the host's, a deletion does not reach across a volume
// mounted below the target, and a target on the host root's read-only
// part is refused once, clearly, while the rest of watching goes on.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { containerProject, httpGet, leftovers } from '../helpers/container-cli.js';
import { buildImage, busyboxEntries, storeFixtureImage } from '../helpers/image-fixtures.js';
import { describeIsolation } from '../helpers/isolation.js';
import { freePort, until } from '../helpers/native-env.js';
import { startWatch, stopWatches } from '../helpers/watch-cli.js';

afterEach(async () => {
  await stopWatches();
});

const IMAGE = 'docker.io/library/tug-watch-web:1';

function compose(webPort: number, hostPort: number): string {
  return `services:
  web:
    image: ${IMAGE}
    pull_policy: never
    ports: ["127.0.0.1:${webPort}:8080"]
    volumes: ["keep:/srv/keep"]
    develop:
      watch:
        - { path: ./site, target: /srv, action: sync+exec, exec: { command: ["cat", "/srv/index.html"] } }
  hostroot:
    x-tug: { isolation: container }
    command: ["/bin/busybox", "sh", "-c", "mkdir -p /tmp/site && exec /bin/busybox httpd -f -p 8080 -h /tmp/site"]
    ports: ["127.0.0.1:${hostPort}:8080"]
    develop:
      watch:
        - { path: ./site, target: /tmp/site, action: sync }
        - { path: ./conf, target: /etc/tug-app, action: sync }
volumes:
  keep: {}
`;
}

async function setup() {
  const webPort = await freePort();
  const hostPort = await freePort();
  const p = containerProject(compose(webPort, hostPort), { 'site/index.html': 'v1\n', 'site/etc/.keep': '', 'conf/app.conf': 'a=1\n' });
  const image = await buildImage({
    layers: [{ entries: [...busyboxEntries(), { path: 'srv', type: 'directory', mode: 0o755 }, { path: 'srv/index.html', body: 'from the image\n' }] }],
    config: { Cmd: ['httpd', '-f', '-p', '8080', '-h', '/srv'], Env: ['PATH=/bin'] },
  });
  await storeFixtureImage(new ImageStore(p.home), image, IMAGE);
  const watch = () => startWatch(['-p', p.project, 'watch'], { cwd: p.dir, env: { TUG_HOME: p.home } });
  const write = (rel: string, text: string) => {
    mkdirSync(join(p.dir, rel, '..'), { recursive: true });
    writeFileSync(join(p.dir, rel), text);
  };
  return { ...p, webPort, hostPort, watch, write };
}

describeIsolation('tug watch into native containers', () => {
  it('syncs edits and deletions into an image root and a host-rooted container\'s private directory, never through a container\'s link to the host, and refuses a read-only target once', async () => {
    const p = await setup();
    const w = p.watch();
    const watching = await w.next('watching');
    expect(watching.services).toEqual(expect.arrayContaining(['web', 'hostroot']));
    // The rule whose target is on the host root's read-only part: said once, with the places that can be written.
    const refused = await w.next('error', (e) => e.service === 'hostroot');
    expect(refused.error).toMatchObject({ code: 'watch.sync-read-only-root' });
    expect(String((refused.error as { message: string }).message)).toContain('/tmp, /run, /var/tmp');

    await until(async () => (await httpGet(p.webPort).catch(() => '')) === 'from the image', 'the image\'s page');
    // An edit: served by both containers, from their own file systems.
    const before = w.events().length;
    p.write('site/index.html', 'v2\n');
    await w.next('sync', (e) => e.service === 'web', before);
    await w.next('sync', (e) => e.service === 'hostroot', before);
    await until(async () => (await httpGet(p.webPort).catch(() => '')) === 'v2', 'the edit served from the image root');
    await until(async () => (await httpGet(p.hostPort).catch(() => '')) === 'v2', 'the edit served from the host-rooted container');
    // The exec hook ran in the container after the sync, its output captured for the event (not on the terminal).
    const hook = await w.next('exec', (e) => e.service === 'web', before);
    expect(hook).toMatchObject({ exitCode: 0, output: 'v2\n' });
    // A new file in a new directory: the directory is made in the container.
    const beforeNew = w.events().length;
    p.write('site/deep/er/page.html', 'deep\n');
    await w.next('sync', (e) => e.service === 'web', beforeNew);
    await until(async () => (await httpGet(p.webPort, '/deep/er/page.html').catch(() => '')) === 'deep', 'a file in new directories');

    // A deletion: gone from the container.
    const beforeDelete = w.events().length;
    rmSync(join(p.dir, 'site/deep'), { recursive: true });
    const removal = await w.next('sync', (e) => e.service === 'web' && Number(e.removed) > 0, beforeDelete);
    expect(removal.removed).toBeGreaterThan(0);
    expect(p.ok(['exec', '-T', 'web', 'sh', '-c', 'test -e /srv/deep && echo there || echo gone']).trim()).toBe('gone');

    // A volume mounted below the target: a file synced into it, one the container wrote there. Removing the whole
    // directory on the host removes the synced file (it was deleted), but the removal of the directory does not
    // reach across the mount: the volume keeps what the container wrote, and tug says why.
    p.write('site/keep/x.txt', 'in the volume\n');
    const inVolume = () => p.run(['exec', '-T', 'web', 'cat', '/srv/keep/x.txt']).stdout.trim() === 'in the volume';
    await until(inVolume, 'the file synced into the volume');
    p.ok(['exec', '-T', 'web', 'sh', '-c', 'echo mine > /srv/keep/own.txt']);
    const beforeKeep = w.events().length;
    rmSync(join(p.dir, 'site/keep'), { recursive: true });
    const kept = await w.next('error', (e) => e.replica?.endsWith('web-1') === true, beforeKeep);
    expect(kept.error).toMatchObject({ code: 'sync.mount-kept' });
    expect(p.ok(['exec', '-T', 'web', 'cat', '/srv/keep/own.txt']).trim()).toBe('mine');

    // The container makes /srv/etc a link to /etc (site/etc is there from the start, so only the file changes):
    // a file synced below it lands in the container's own /etc, never the host's.
    p.ok(['exec', '-T', 'web', 'busybox', 'ln', '-s', '/etc', '/srv/etc']);
    const probe = `tug-sync-probe-${p.project}`;
    const beforeLink = w.events().length;
    p.write(`site/etc/${probe}`, 'probe\n');
    await w.next('sync', (e) => e.service === 'web', beforeLink);
    expect(existsSync(`/etc/${probe}`)).toBe(false);
    expect(p.ok(['exec', '-T', 'web', 'cat', `/etc/${probe}`]).trim()).toBe('probe');

    expect(await w.interrupt()).toBe(130);
    expect(p.rows().map((r) => r.State)).toEqual(['running', 'running']);
    const recorded = p.recorded();
    p.ok(['down', '-t', '1']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 120_000);
});
