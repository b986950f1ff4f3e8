// `tug --backend docker watch` through the built CLI against the real Docker
// Engine: busybox httpd serving files synced into its container (edit, add,
// delete), ignored paths, the exec hook, a rebuild from a Dockerfile (classic
// builder, FROM the local test image) that recreates the service with the new
// image and keeps its volume, and a compose.yaml reload that rescales one
// service without touching the other's container.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';
import { docker, dockerProject, lines, requireTestImage, teardownDockerProjects } from '../helpers/docker-project.js';
import { freePort, uniqueProject, until } from '../helpers/native-env.js';
import { startWatch, stopWatches } from '../helpers/watch-cli.js';

const BASE = 'tug-test/busybox:latest';
const slow = { timeout: 180_000 };

function compose(project: string, port: number, extra = ''): string {
  return `services:
  web:
    build: .
    stop_signal: SIGKILL
    ports: ["127.0.0.1:${port}:8080"]
    volumes: [data:/data]
    develop:
      watch:
        - path: ./html
          target: /www
          action: sync+exec
          ignore: [drafts/]
          exec:
            command: ["sh", "-c", "echo $$HOOK_WORD > /www/hook.txt"]
            environment: { HOOK_WORD: hooked }
        - path: ./version.txt
          action: rebuild
  idle:
    image: ${BASE}
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    develop:
      watch:
        - { path: ./idle.conf, action: restart }
${extra}volumes:
  data:
    labels: { org.tug.test-project: ${project} }
`;
}

const DOCKERFILE = (project: string) =>
  [`FROM ${BASE}`, `LABEL org.tug.test-project=${project}`, 'COPY version.txt /version.txt', 'COPY html /www', 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]', ''].join('\n');

async function setup() {
  const project = uniqueProject('dw');
  const port = await freePort();
  const p = dockerProject(
    { 'compose.yaml': compose(project, port), Dockerfile: DOCKERFILE(project), 'version.txt': 'one\n', 'html/index.html': 'v1\n', 'html/drafts/.keep': '', 'idle.conf': 'a=1\n' },
    'dw',
    project,
  );
  p.onTeardown(() => {
    const images = lines(docker(['image', 'ls', '-a', '-q', '--filter', `label=org.tug.test-project=${project}`]).stdout);
    if (images.length) docker(['image', 'rm', '-f', ...new Set(images)]);
  });
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, text: await res.text() };
    } catch {
      return { status: 0, text: '' };
    }
  };
  const watch = (args: string[] = []) => startWatch(['--backend', 'docker', '-p', project, 'watch', ...args], { cwd: p.dir, env: p.env });
  const containerId = (name: string) => docker(['inspect', '-f', '{{.Id}}', `${project}-${name}`]).stdout.trim();
  return { ...p, port, get, watch, containerId };
}

describeDocker('tug watch, docker backend', () => {
  beforeAll(() => requireTestImage(BASE));
  afterEach(async () => {
    await stopWatches();
    teardownDockerProjects();
  });

  it('syncs edits, deletions and renames into the container, skips ignored paths, runs the exec hook, restarts on a restart rule', slow, async () => {
    const p = await setup();
    const w = p.watch();
    await w.next('watching');
    await until(async () => (await p.get('/index.html')).text === 'v1\n', 'httpd serving the image\'s file', 30_000);

    let seen = w.events().length;
    p.write('html/index.html', 'v2\n');
    p.write('html/new.html', 'new\n');
    const synced = await w.next('sync', () => true, seen);
    expect(synced.files).toBeGreaterThanOrEqual(1);
    await until(async () => (await p.get('/index.html')).text === 'v2\n', 'the edited file served');
    await until(async () => (await p.get('/new.html')).text === 'new\n', 'the new file served');
    expect((await w.next('exec', () => true, seen)).exitCode).toBe(0);
    expect((await p.get('/hook.txt')).text).toBe('hooked\n');

    seen = w.events().length;
    rmSync(join(p.dir, 'html/new.html'));
    const removed = await w.next('sync', (e) => (e.removed as number) > 0, seen);
    expect(removed.removed).toBe(1);
    expect((await p.get('/new.html')).status).toBe(404);

    // A rename is a deletion and an addition: the old name goes, the new one is served.
    seen = w.events().length;
    renameSync(join(p.dir, 'html/index.html'), join(p.dir, 'html/moved.html'));
    await until(async () => (await p.get('/moved.html')).text === 'v2\n', 'the renamed file served');
    await until(async () => (await p.get('/index.html')).status === 404, 'the old name gone');
    await w.next('exec', () => true, seen);
    await quiet(w); // the rename's batches (and their exec hooks) are over

    seen = w.events().length;
    p.write('html/drafts/secret.html', 'draft\n');
    await new Promise((r) => setTimeout(r, 800));
    expect(w.events().slice(seen)).toEqual([]);
    expect((await p.get('/drafts/secret.html')).status).toBe(404);

    // restart: the container is restarted in place (same container, a new start).
    const started = () => docker(['inspect', '-f', '{{.State.StartedAt}}', `${p.project}-idle-1`]).stdout.trim();
    const idleId = p.containerId('idle-1');
    const startedBefore = started();
    p.write('idle.conf', 'a=2\n');
    expect((await w.next('restart', () => true, seen)).service).toBe('idle');
    expect(p.containerId('idle-1')).toBe(idleId);
    expect(started()).not.toBe(startedBefore);
  });

  it('rebuilds on a Dockerfile input change: the service is recreated from the new image, its volume kept, the other service untouched; --prune removes the old image', slow, async () => {
    const p = await setup();
    const w = p.watch(['--prune']);
    await w.next('watching');
    const idleBefore = p.containerId('idle-1');
    const webBefore = p.containerId('web-1');
    const oldImage = docker(['inspect', '-f', '{{.Image}}', `${p.project}-web-1`]).stdout.trim();
    docker(['exec', `${p.project}-web-1`, 'sh', '-c', 'echo kept > /data/marker']);

    p.write('version.txt', 'two\n');
    await w.next('rebuild', (e) => e.service === 'web');
    expect(p.containerId('web-1')).not.toBe(webBefore);
    expect(docker(['exec', `${p.project}-web-1`, 'cat', '/version.txt']).stdout).toBe('two\n');
    expect(docker(['exec', `${p.project}-web-1`, 'cat', '/data/marker']).stdout).toBe('kept\n');
    expect(p.containerId('idle-1')).toBe(idleBefore);
    await w.next('notice', (e) => String(e.message).includes('removed the image'));
    expect(docker(['image', 'inspect', oldImage]).code).not.toBe(0);
  });

  it('reloads compose.yaml: scaling one service leaves the other\'s container as it was', slow, async () => {
    const p = await setup();
    const w = p.watch();
    await w.next('watching');
    const webBefore = p.containerId('web-1');
    p.rewrite(compose(p.project, p.port).replace('    command: ["sleep", "100000"]\n', '    command: ["sleep", "100000"]\n    scale: 2\n'));
    const reload = await w.next('reload');
    expect(reload.services).toEqual([{ service: 'idle', change: 'scaled' }]);
    await until(() => p.containerId('idle-2') !== '', 'a second idle container');
    expect(p.containerId('web-1')).toBe(webBefore);
  });
});

/** Waits until the watch has printed nothing new for a second: every batch in flight is done. */
async function quiet(w: { events(): unknown[] }): Promise<void> {
  const deadline = Date.now() + 30_000;
  let count = w.events().length;
  let since = Date.now();
  while (Date.now() - since < 1000) {
    if (Date.now() > deadline) throw new Error('the watch never went quiet');
    await new Promise((r) => setTimeout(r, 100));
    if (w.events().length !== count) [count, since] = [w.events().length, Date.now()];
  }
}
