// tug's own builder on the native runtime, for real: base images in a real
// image store, RUN steps in runc containers over overlayfs, layers committed
// in the store's format, and the result read back through the path `up` uses
// (prepareReplicaImage: the image's overlay root and its config). Covers every
// instruction's effect, multi-stage COPY --from, ARG scope, .dockerignore,
// whiteouts, the cache (all hits, then a miss from the changed COPY on), a
// failing RUN and an interrupted one leaving nothing behind.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/core/build/events.js';
import { TugError } from '../../src/core/errors.js';
import { parseImageConfig } from '../../src/core/images/image-config.js';
import type { BuildSpec, Project } from '../../src/core/model/types.js';
import { buildScratchDir } from '../../src/runtime/build/native/build-dirs.js';
import { buildServiceImageResult, type ServiceBuildOptions } from '../../src/runtime/build/native/build-service.js';
import { prepareReplicaImage } from '../../src/runtime/images/replica-image.js';
import { readBlob } from '../../src/runtime/images/store/blobs.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { hierarchyRoots } from '../../src/runtime/native/container/cgroups/cgroup-files.js';
import { projectCgroup } from '../../src/runtime/native/container/names.js';
import { cgroupMounts } from '../helpers/containers.js';
import { buildImage, busyboxEntries, storeFixtureImage } from '../helpers/image-fixtures.js';
import { describeIsolation } from '../helpers/isolation.js';
import { projectLiteral } from '../helpers/project-literal.js';

const BASE = 'docker.io/library/tug-build-base:1';

let home: string;
let ctx: string;
let store: ImageStore;
const project = (build: Partial<BuildSpec> = {}): Project => projectLiteral({ name: 'bp', workingDir: ctx, services: { web: { build: { context: ctx, dockerfile: 'Dockerfile', ...build } } } });

function file(rel: string, content: string): void {
  mkdirSync(join(ctx, rel, '..'), { recursive: true });
  writeFileSync(join(ctx, rel), content);
}

async function buildWeb(opts: ServiceBuildOptions = {}, build: Partial<BuildSpec> = {}) {
  const events: BuildEvent[] = [];
  const result = await buildServiceImageResult(store, project(build), 'web', { ...opts, onEvent: (e) => events.push(e) });
  return { ...result, events };
}

/** The image as `up` would run it: its overlay root (mounted) and its config. */
async function openImage(imageId: string) {
  const dir = mkdtempSync(join(home, 'replica-'));
  const image = await prepareReplicaImage({ store, imageId, service: 'web', spec: {}, replicaDir: dir, leaseId: 'test.web-1', hostname: 'web-1', volumeDirFor: () => mkdtempSync(join(home, 'vol-')) });
  const record = (await store.getImage(imageId))!;
  const text = (await readBlob(store.layout, record.config.digest)).toString('utf8');
  const config = parseImageConfig(text, 'built');
  const history = (JSON.parse(text) as { history: { empty_layer?: boolean }[] }).history;
  const read = (path: string) => (existsSync(join(image.root, path)) ? readFileSync(join(image.root, path), 'utf8') : undefined);
  return { ...image, config, history, read, close: () => image.rootfs.cleanup() };
}

/** What a build may leave on the machine besides the image: mounts, cgroups, run directories. */
function leftovers(): string[] {
  const left: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(home)) left.push(`mount ${line.split(' ')[4]}`);
  for (const root of hierarchyRoots(cgroupMounts())) if (existsSync(`${root}${projectCgroup(home, 'build')}`)) left.push(`cgroup ${root}${projectCgroup(home, 'build')}`);
  for (const name of existsSync(buildScratchDir(store)) ? readdirSync(buildScratchDir(store)) : []) left.push(`run dir ${name}`);
  return left;
}

const stepTexts = (events: BuildEvent[], type: BuildEvent['type']) => events.flatMap((e) => (e.type === type && 'step' in e ? [e.step.text] : []));

describeIsolation('native builds with runc and the image store', () => {
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'tug-nbuild-'));
    ctx = mkdtempSync(join(tmpdir(), 'tug-nbuild-ctx-'));
    store = new ImageStore(home);
    const base = await buildImage({ layers: [{ entries: busyboxEntries('app:x:1000:1000:App:/home/app:/bin/sh\n', 'app:x:1000:\n') }], config: { Env: ['PATH=/bin'] } });
    await storeFixtureImage(store, base, BASE);
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  });

  it('honours every instruction: files, whiteouts, stages, args, .dockerignore and the committed config', async () => {
    file(
      'Dockerfile',
      [
        'ARG BASE=tug-build-base:1',
        'FROM ${BASE} AS builder',
        'ARG MSG=default',
        'RUN mkdir /out && echo "built $MSG" > /out/artifact',
        'FROM ${BASE}',
        'ARG MSG',
        'ENV GREETING=hello',
        'WORKDIR /srv',
        'RUN echo one > one && echo doomed > gone && echo "msg=[$MSG] base=[$BASE]" > args && id -u > /tmp/root-uid',
        'RUN busybox rm gone',
        'COPY --from=builder /out/artifact /srv/',
        'COPY app/ /srv/app/',
        'USER app',
        'RUN id -u > /tmp/app-uid && pwd > /tmp/app-pwd && echo "$GREETING $HOME" > /tmp/app-env',
        'LABEL org.example.role=web',
        'EXPOSE 8080/tcp',
        'VOLUME /data',
        'HEALTHCHECK --interval=5s CMD test -f /srv/one',
        'ENTRYPOINT ["sh", "-c"]',
        'CMD ["echo hi"]',
        '',
      ].join('\n'),
    );
    file('app/main.txt', 'main\n');
    file('app/secret.env', 'TOKEN=1\n');
    file('.dockerignore', 'app/secret.env\n');
    const built = await buildWeb({ buildArgs: { MSG: 'cli' } });
    expect((await store.readRefs())['docker.io/library/bp-web:latest']?.id).toBe(built.imageId);
    const img = await openImage(built.imageId);
    try {
      expect(img.read('srv/one')).toBe('one\n');
      expect(existsSync(join(img.root, 'srv/gone'))).toBe(false); // deleted in a later RUN: a whiteout
      expect(img.read('srv/args')).toBe('msg=[cli] base=[]\n'); // BASE was not declared in the stage
      expect(img.read('srv/artifact')).toBe('built cli\n');
      expect(img.read('srv/app/main.txt')).toBe('main\n');
      expect(existsSync(join(img.root, 'srv/app/secret.env'))).toBe(false);
      expect(img.read('tmp/root-uid')).toBe('0\n');
      expect(img.read('tmp/app-uid')).toBe('1000\n');
      expect(img.read('tmp/app-pwd')).toBe('/srv\n');
      expect(img.read('tmp/app-env')).toBe('hello /home/app\n');
      // runc's mount points for an image that lacks them are not part of any layer.
      expect(['proc', 'sys', 'dev'].filter((d) => existsSync(join(img.root, d)))).toEqual([]);
      const c = img.config.config;
      expect(c.Env).toEqual(['PATH=/bin', 'GREETING=hello']);
      expect(c).toMatchObject({ WorkingDir: '/srv', User: 'app', Entrypoint: ['sh', '-c'], Cmd: ['echo hi'], Labels: { 'org.example.role': 'web' }, ExposedPorts: { '8080/tcp': {} }, Volumes: { '/data': {} } });
      expect(c.Healthcheck).toMatchObject({ Test: ['CMD-SHELL', 'test -f /srv/one'], Interval: 5_000_000_000 });
      // The path `up` takes: the service's process comes out of the built config.
      expect(img.config.config.Entrypoint).toEqual(['sh', '-c']);
      expect(img.history.filter((h) => !h.empty_layer).length).toBe(img.config.rootfs.diff_ids.length);
    } finally {
      await img.close();
    }
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('rebuilds from the cache, and after a context change only from that COPY on', async () => {
    file('Dockerfile', ['FROM tug-build-base:1', 'RUN echo first > /first', 'COPY a.txt /a.txt', 'COPY b.txt /b.txt', 'RUN cat /a.txt /b.txt > /both', 'CMD ["sh"]', ''].join('\n'));
    file('a.txt', 'a1\n');
    file('b.txt', 'b1\n');
    const cold = await buildWeb();
    expect(cold.cached).toBe(0);
    const warm = await buildWeb();
    expect(warm.imageId).toBe(cold.imageId);
    expect(warm.cached).toBe(warm.steps);
    expect(stepTexts(warm.events, 'step-start')).toEqual(['FROM tug-build-base:1']);
    file('b.txt', 'b2\n');
    const changed = await buildWeb();
    expect(changed.imageId).not.toBe(cold.imageId);
    expect(stepTexts(changed.events, 'step-cached')).toEqual(['RUN echo first > /first', 'COPY a.txt /a.txt']);
    expect(stepTexts(changed.events, 'step-start')).toEqual(['FROM tug-build-base:1', 'COPY b.txt /b.txt', 'RUN cat /a.txt /b.txt > /both']);
    const img = await openImage(changed.imageId);
    try {
      expect(img.read('both')).toBe('a1\nb2\n');
    } finally {
      await img.close();
    }
    const noCache = await buildWeb({ noCache: true });
    expect(noCache.cached).toBe(0);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('reports a failing RUN with its line, exit code and last output, and leaves no image, mount or cgroup', async () => {
    file('Dockerfile', ['FROM tug-build-base:1', 'RUN echo fine > /fine', 'RUN echo before-fail && echo to-stderr >&2 && exit 3', 'CMD ["sh"]', ''].join('\n'));
    const imagesBefore = (await store.listImages()).length;
    const err = await buildWeb().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    const e = err as TugError;
    expect(e.code).toBe('build.step-failed');
    expect(e.message).toContain('exit code 3');
    expect(e.location?.line).toBe(3);
    expect(e.hint).toContain('before-fail');
    expect((await store.readRefs())['docker.io/library/bp-web:latest']).toBeUndefined();
    expect((await store.listImages()).length).toBe(imagesBefore);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('fails a RUN whose USER the image does not know at that RUN\'s line', async () => {
    file('Dockerfile', ['FROM tug-build-base:1', 'USER ghost', 'RUN echo never', ''].join('\n'));
    const err = (await buildWeb().catch((e: unknown) => e)) as TugError;
    expect(err).toBeInstanceOf(TugError);
    expect(err.message).toMatch(/\[web 2\/2\] RUN echo never: .*unable to find user ghost/);
    expect(err.location?.line).toBe(3);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('stops a running RUN when interrupted, leaving nothing behind', async () => {
    file('Dockerfile', ['FROM tug-build-base:1', 'RUN echo started && sleep 30', ''].join('\n'));
    const abort = new AbortController();
    const started = performance.now();
    const err = await buildServiceImageResult(store, project(), 'web', {
      signal: abort.signal,
      onEvent: (ev) => {
        if (ev.type === 'step-output' && ev.line === 'started') abort.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as TugError).code).toBe('build.interrupted');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('runs RUN steps on the host\'s network with build.network: host, and without a network otherwise', async () => {
    const server: Server = createServer((_req, res) => res.end('answer from the host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      file('Dockerfile', ['FROM tug-build-base:1', `RUN busybox wget -q -O /answer ${url}`, 'CMD ["sh"]', ''].join('\n'));
      const host = await buildWeb({}, { network: 'host' });
      const img = await openImage(host.imageId);
      try {
        expect(img.read('answer')).toBe('answer from the host\n');
      } finally {
        await img.close();
      }
      // The same step on the default network (loopback of its own) finds no listener; it is not taken from the host build's cache either.
      const none = (await buildWeb().catch((e: unknown) => e)) as TugError;
      expect(none).toBeInstanceOf(TugError);
      expect(none.code).toBe('build.step-failed');
      file('Dockerfile', ['FROM tug-build-base:1', `RUN --network=none busybox wget -q -O /answer ${url}`, ''].join('\n'));
      expect(((await buildWeb({}, { network: 'host' }).catch((e: unknown) => e)) as TugError).code).toBe('build.step-failed');
    } finally {
      server.close();
    }
    expect(leftovers()).toEqual([]);
  }, 60_000);
});
