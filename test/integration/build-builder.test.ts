// tug's builder end to end over fakes of the parts that do not exist yet (the
// RUN executor, the image store): the plan is walked, the cache consulted,
// COPY layers written for real (tar, unpacked by the system's tar), the config
// committed and tagged, and every step reported.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/core/build/events.js';
import { ConfigErrors, TugError } from '../../src/core/errors.js';
import { build, type BuildRequest } from '../../src/runtime/build/builder.js';
import { FakeExecutor, FakeImageStore, FakeLayerStore } from '../helpers/build-fakes.js';
import { describeRoot } from '../helpers/root.js';

const platform = { os: 'linux', architecture: 'amd64' };
let ctx: string;
let layers: FakeLayerStore;
let images: FakeImageStore;
let executor: FakeExecutor;
let clock = 0;

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n';

beforeEach(async () => {
  ctx = mkdtempSync(join(tmpdir(), 'tug-build-ctx-'));
  layers = new FakeLayerStore();
  images = new FakeImageStore(layers);
  executor = new FakeExecutor();
  clock = 0;
  await images.addBase(
    'base',
    [
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/passwd', type: 'file', mode: 0o644, body: Buffer.from(PASSWD) },
      { name: 'etc/group', type: 'file', mode: 0o644, body: Buffer.from(GROUP) },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
    ],
    { Env: ['PATH=/bin'], Cmd: ['sh'] },
  );
});
afterEach(() => {
  rmSync(ctx, { recursive: true, force: true });
  layers.cleanup();
});

function file(rel: string, content: string): void {
  mkdirSync(join(ctx, rel, '..'), { recursive: true });
  writeFileSync(join(ctx, rel), content);
}

async function run(dockerfile: string, extra: Partial<BuildRequest> = {}) {
  const events: BuildEvent[] = [];
  const result = await build(
    { name: 'web', dockerfile: { text: dockerfile, path: join(ctx, 'Dockerfile') }, contextDir: ctx, platform, tags: ['proj-web'], ...extra },
    { executor, layers, images, now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, ++clock)).toISOString() },
    (e) => events.push(e),
  );
  const lines = events.flatMap((e) => {
    if (e.type === 'step-cached') return [`${e.step.label} ${e.step.index}/${e.step.total} CACHED ${e.step.text}`];
    if (e.type === 'step-done') return [`${e.step.label} ${e.step.index}/${e.step.total} DONE ${e.step.text}`];
    if (e.type === 'stage-skipped') return [`skipped ${e.stage}`];
    return [];
  });
  return { result, events, lines };
}

const SIX_STEPS = ['FROM base', 'RUN write /one 1', 'WORKDIR /app', 'COPY --chown=app:staff . .', 'RUN write /two 2', 'ENV MODE=prod', 'CMD ["serve"]'].join('\n');

// Layers keep owners (--chown, the base's files), which needs root to unpack.
describeRoot('tug builder', () => {
  beforeEach(() => {
    file('server.js', 'console.log(1)\n');
    file('lib/util.js', 'export {}\n');
    file('secret.env', 'TOKEN=x\n');
    file('.dockerignore', '*.env\n');
  });

  it('builds every step, writes COPY layers with owners and leaves out ignored files', async () => {
    const { result, lines } = await run(SIX_STEPS);
    expect(lines).toEqual(['web 1/5 DONE FROM base', 'web 2/5 DONE RUN write /one 1', 'web 3/5 DONE WORKDIR /app', 'web 4/5 DONE COPY --chown=app:staff . .', 'web 5/5 DONE RUN write /two 2']);
    const fs = await layers.describe({ diffIds: result.config.rootfs.diff_ids });
    expect(fs.get('app/server.js')).toMatchObject({ content: 'console.log(1)\n', uid: 1000, gid: 50, mode: 0o644 });
    expect(fs.get('app/lib')).toMatchObject({ type: 'directory', uid: 1000, gid: 50 });
    expect(fs.has('app/secret.env')).toBe(false);
    expect(fs.get('app')).toMatchObject({ type: 'directory', uid: 0, gid: 0, mode: 0o755 });
    expect(fs.get('tmp')).toMatchObject({ mode: 0o1777 });
    expect(result.config.config).toEqual({ Env: ['PATH=/bin', 'MODE=prod'], Cmd: ['serve'], WorkingDir: '/app' });
    expect((result.config.history ?? []).map((h) => [h.created_by, h.empty_layer ?? false])).toEqual([
      ['base', false],
      ['RUN /bin/sh -c write /one 1', false],
      ['WORKDIR /app', false],
      ['COPY --chown=app:staff . .', false],
      ['RUN /bin/sh -c write /two 2', false],
      ['ENV MODE=prod', true],
      ['CMD ["serve"]', true],
    ]);
    expect(images.tags.get('proj-web')).toBe(result.imageId);
    expect(layers.openViews).toBe(0);
  });

  it('rebuilds an unchanged Dockerfile and context entirely from the cache, to the same image ID', async () => {
    const first = await run(SIX_STEPS);
    const commits = layers.commits;
    const again = await run(SIX_STEPS);
    expect(again.lines.filter((l) => l.includes('CACHED'))).toHaveLength(4);
    expect(again.result.imageId).toBe(first.result.imageId);
    expect(layers.commits).toBe(commits);
    expect(executor.requests).toHaveLength(2);
  });

  it('misses only from the COPY on after a context file changes', async () => {
    await run(SIX_STEPS);
    file('lib/util.js', 'export const changed = 1\n');
    const { lines, result } = await run(SIX_STEPS);
    expect(lines).toEqual(['web 1/5 DONE FROM base', 'web 2/5 CACHED RUN write /one 1', 'web 3/5 CACHED WORKDIR /app', 'web 4/5 DONE COPY --chown=app:staff . .', 'web 5/5 DONE RUN write /two 2']);
    expect((await layers.describe({ diffIds: result.config.rootfs.diff_ids })).get('app/lib/util.js')!.content).toBe('export const changed = 1\n');
  });

  it('does not miss when only an ignored file or an mtime changes', async () => {
    await run(SIX_STEPS);
    file('secret.env', 'TOKEN=rotated\n');
    execFileSync('touch', ['-d', '2001-01-01', join(ctx, 'server.js')]);
    expect((await run(SIX_STEPS)).lines.filter((l) => l.includes('CACHED'))).toHaveLength(4);
  });

  it('takes the steps of a cache_from image as hits once the cache is gone, up to the first step that differs', async () => {
    const first = await run(SIX_STEPS, { tags: ['cache-src:1'] });
    layers.records.clear();
    const events: string[] = [];
    const again = await run(SIX_STEPS, { cacheFrom: ['cache-src:1', 'missing:1', 'type=registry,ref=reg/app:cache'] });
    expect(again.lines.filter((l) => l.includes('CACHED'))).toHaveLength(4);
    expect(again.result.imageId).toBe(first.result.imageId);
    expect(executor.requests).toHaveLength(2);
    for (const e of again.events) if (e.type === 'notice') events.push(e.message);
    expect(events).toEqual([
      "cache_from type=registry,ref=reg/app:cache: a registry cache is BuildKit's, and tug's builder reads only images in its own store (write the image's name alone); building without it",
      "cache_from missing:1: no such image in tug's image store (pull or build it first); building without it",
    ]);
    // A changed file: the COPY's key is not the source's, so it and what follows run again.
    layers.records.clear();
    file('lib/util.js', 'export const changed = 1\n');
    const changed = await run(SIX_STEPS, { cacheFrom: ['cache-src:1'] });
    expect(changed.lines).toEqual(['web 1/5 DONE FROM base', 'web 2/5 CACHED RUN write /one 1', 'web 3/5 CACHED WORKDIR /app', 'web 4/5 DONE COPY --chown=app:staff . .', 'web 5/5 DONE RUN write /two 2']);
    // Without cache_from, a pruned cache is a cold build.
    layers.records.clear();
    expect((await run(SIX_STEPS)).lines.filter((l) => l.includes('CACHED'))).toEqual([]);
  });

  it('runs every step again with --no-cache', async () => {
    await run(SIX_STEPS);
    const { lines } = await run(SIX_STEPS, { noCache: true });
    expect(lines.filter((l) => l.includes('CACHED'))).toEqual([]);
    expect(executor.requests).toHaveLength(4);
  });

  it('reports a failing RUN with its line, exit code and last output, and commits no image', async () => {
    const events: BuildEvent[] = [];
    const err = await build(
      { name: 'web', dockerfile: { text: 'FROM base\nRUN write /ok 1\nRUN echo compiling; echo error: missing semicolon; fail 2\nRUN write /never 1\n', path: join(ctx, 'Dockerfile') }, contextDir: ctx, platform, tags: ['proj-web'] },
      { executor, layers, images },
      (e) => events.push(e),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    expect(err).toMatchObject({ code: 'build.step-failed', location: { file: join(ctx, 'Dockerfile'), line: 3 } });
    expect((err as TugError).message).toBe('[web 3/4] RUN echo compiling; echo error: missing semicolon; fail 2 failed with exit code 2');
    expect((err as TugError).hint).toMatch(/error: missing semicolon/);
    const failed = events.find((e) => e.type === 'step-failed');
    expect(failed).toMatchObject({ exitCode: 2, lastLines: ['compiling', 'error: missing semicolon'], step: { index: 3, location: { line: 3 } } });
    expect(images.tags.has('proj-web')).toBe(false);
    expect(images.images.size).toBe(1);
    expect(layers.commits).toBe(1);
    expect(executor.requests.map((r) => r.argv[2])).not.toContain('write /never 1');
  });

  it('reports the mistakes of every needed stage at once, before running anything', async () => {
    const err = await run('FROM base AS one\nRUN write /x 1\nEXPOSE 80/tpc\nFROM one\nCOPY a b /not-a-dir\nSTOPSIGNAL what now\n').catch((e: unknown) => e);
    expect((err as ConfigErrors).errors.map((e) => e.location?.line)).toEqual([3, 5, 6]);
    expect(executor.requests).toHaveLength(0);
  });

  it('runs the ONBUILD triggers of the base image first', async () => {
    await images.addBase('onbuild-base', [{ name: 'etc/', type: 'directory', mode: 0o755 }], { OnBuild: ['RUN write /triggered yes', 'COPY server.js /srv/'] });
    const { lines, result } = await run('FROM onbuild-base\nRUN write /own 1\n');
    expect(lines).toEqual(['web 1/4 DONE FROM onbuild-base', 'web 2/4 DONE ONBUILD RUN write /triggered yes', 'web 3/4 DONE ONBUILD COPY server.js /srv/', 'web 4/4 DONE RUN write /own 1']);
    expect(result.config.config.OnBuild).toBeNull();
    expect((await layers.describe({ diffIds: result.config.rootfs.diff_ids })).get('srv/server.js')!.content).toBe('console.log(1)\n');
  });

  it('builds the stages a multi-stage target needs, copies between them, and skips the rest', async () => {
    const dockerfile = ['FROM base AS builder', 'RUN write /out/app.bin compiled', 'FROM base AS tests', 'RUN fail 1', 'FROM scratch', 'COPY --from=builder /out/ /bin/', 'COPY --from=base /etc/passwd /etc/passwd'].join('\n');
    const { lines, result } = await run(dockerfile);
    expect(lines).toEqual(['skipped tests', 'web:builder 1/2 DONE FROM base AS builder', 'web:builder 2/2 DONE RUN write /out/app.bin compiled', 'web 1/3 DONE FROM scratch', 'web 2/3 DONE COPY --from=builder /out/ /bin/', 'web 3/3 DONE COPY --from=base /etc/passwd /etc/passwd']);
    const fs = await layers.describe({ diffIds: result.config.rootfs.diff_ids });
    expect([...fs.keys()].sort()).toEqual(['bin', 'bin/app.bin', 'etc', 'etc/passwd']);
    expect(fs.get('bin/app.bin')!.content).toBe('compiled');
    const target = await run(dockerfile.replace('RUN fail 1', 'RUN write /tested 1'), { target: 'tests' });
    expect(target.lines).toEqual(['skipped builder', 'skipped 2', 'web 1/2 DONE FROM base AS tests', 'web 2/2 DONE RUN write /tested 1']);
  });

  it('builds independent stages at once, up to the parallelism asked for', async () => {
    const dockerfile = ['FROM base AS a', 'RUN wait a', 'FROM base AS b', 'RUN wait b', 'FROM scratch', 'COPY --from=a /etc/group /a', 'COPY --from=b /etc/group /b'].join('\n');
    const both = run(dockerfile, { parallelism: 2 });
    // Both stages reach their RUN before either may finish: they run at the same time.
    await Promise.all([executor.gate('started:a').promise, executor.gate('started:b').promise]);
    executor.gate('a').open();
    executor.gate('b').open();
    await both;
    expect(executor.maxRunning).toBe(2);

    executor = new FakeExecutor();
    const one = run(dockerfile.replace(/wait/g, 'wait x'), { parallelism: 1, noCache: true });
    await executor.gate('started:x').promise;
    executor.gate('x').open();
    await one;
    expect(executor.maxRunning).toBe(1);
  });

  it('stops at an interrupt with exit code 130, committing nothing', async () => {
    const abort = new AbortController();
    const pending = run('FROM base\nRUN wait forever\nRUN write /after 1\n', { signal: abort.signal }).catch((e: unknown) => e);
    await executor.gate('started:forever').promise;
    abort.abort();
    expect(await pending).toMatchObject({ code: 'build.interrupted', exitCode: 130 });
    expect(layers.commits).toBe(0);
    expect(images.tags.has('proj-web')).toBe(false);
    expect(executor.requests).toHaveLength(1);
  });

  it('passes RUN its argv, environment, user, workdir and build options', async () => {
    await run('FROM base\nARG VERSION=1\nUSER app\nWORKDIR /srv\nRUN printenv\n', { buildArgs: { VERSION: '2', HTTP_PROXY: 'http://proxy:3128' }, extraHosts: ['db:10.0.0.2'], shmSize: 1 << 20 });
    expect(executor.requests[0]).toMatchObject({
      argv: ['/bin/sh', '-c', 'printenv'],
      env: ['PATH=/bin', 'VERSION=2', 'HTTP_PROXY=http://proxy:3128'],
      user: 'app',
      workdir: '/srv',
      network: 'none',
      extraHosts: ['db:10.0.0.2'],
      shmSize: 1 << 20,
    });
  });

  it('unpacks local archives with ADD, copies other files as they are, and writes heredoc files', async () => {
    mkdirSync(join(ctx, 'pkgsrc/pkg'), { recursive: true });
    writeFileSync(join(ctx, 'pkgsrc/pkg/data.txt'), 'packed\n');
    execFileSync('tar', ['-czf', join(ctx, 'pkg.tar.gz'), '-C', join(ctx, 'pkgsrc'), 'pkg']);
    const { result } = await run('FROM base\nARG WHO=tug\nADD pkg.tar.gz server.js /opt/\nCOPY <<motd /etc/motd\nbuilt by $WHO "here"\nmotd\nWORKDIR /tmp\n');
    const fs = await layers.describe({ diffIds: result.config.rootfs.diff_ids });
    expect(fs.get('opt/pkg/data.txt')!.content).toBe('packed\n');
    expect(fs.get('opt/server.js')!.content).toBe('console.log(1)\n');
    expect(fs.has('opt/pkg.tar.gz')).toBe(false);
    expect(fs.get('etc/motd')!.content).toBe('built by tug "here"\n');
    // /tmp exists in the base: WORKDIR writes nothing, and the history says so.
    expect(result.config.history?.at(-1)).toMatchObject({ created_by: 'WORKDIR /tmp', empty_layer: true });
    expect(fs.get('tmp')).toMatchObject({ mode: 0o1777 });
  });

  it('adds build labels to the image and tags it with every tag', async () => {
    const { result } = await run('FROM base\nLABEL a=1\n', { labels: { 'com.example.b': '2' }, tags: ['x:1', 'x:latest'] });
    expect(result.config.config.Labels).toEqual({ a: '1', 'com.example.b': '2' });
    expect(images.tags.get('x:1')).toBe(result.imageId);
    expect(images.tags.get('x:latest')).toBe(result.imageId);
  });
});
