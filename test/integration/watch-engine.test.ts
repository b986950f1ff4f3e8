// The watch verb's own contract, with real files and the real watcher in
// front of a fake backend (the planner/executor stand-in): a backend without
// a files facet is refused before anything runs; a sync that fails is an
// `error` event and the next change is still acted upon; stop() ends
// watching, releases the lock and leaves the replicas running.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import type { EngineContext } from '../../src/engine/context.js';
import { watch } from '../../src/engine/watch.js';
import type { WatchEvent } from '../../src/engine/watch/events.js';
import { openProject } from '../../src/host/open-project.js';
import type { ExecOptions, FileSyncFacet, FileSyncResult, ImageFacet } from '../../src/runtime/backend.js';
import { sleep } from '../../src/timers.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { tempProject } from '../helpers/cli.js';
import { tempHome, until } from '../helpers/native-env.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SYNC_ONLY = 'name: we\nservices:\n  web:\n    command: ["sleep", "1000"]\n    develop:\n      watch:\n        - { path: ./src, target: /app, action: sync }\n';

function setup(compose = SYNC_ONLY, files: Record<string, string> = {}) {
  const dir = tempProject({ 'compose.yaml': compose, 'src/a.txt': 'a\n', ...files });
  const home = tempHome();
  dirs.push(dir, home);
  const fake = new FakeBackend();
  const ctx: EngineContext = { backend: fake, parallel: 4, env: { TUG_HOME: home }, hooks: { event: () => {} }, tugVersion: '0.1.0' };
  const project = openProject({}, { cwd: dir, env: {} }).project;
  return { dir, fake, ctx, project };
}

function withFiles(fake: FakeBackend, files: FileSyncFacet): void {
  Object.assign(fake, { files, capabilities: { ...fake.capabilities, fileSync: true } });
}

/** An images facet that builds with `prepare` (the fake backend has none). */
function withImages(fake: FakeBackend, prepare: ImageFacet['prepare']): void {
  const images: ImageFacet = { prepare, pull: async () => ({ ids: {}, failures: {} }), list: async () => [], remove: async () => [] };
  Object.assign(fake, { images, capabilities: { ...fake.capabilities, images: true, build: true } });
}

it('refuses a project with sync rules on a backend without the files facet, before bringing anything up', async () => {
  const { fake, ctx, project } = setup();
  const failure = await watch(ctx, project, { onEvent: () => {} }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(TugError);
  expect((failure as TugError).code).toBe('watch.sync-unsupported');
  expect((failure as TugError).message).toContain('the fake backend cannot sync files into replicas, and web has sync rules');
  expect(fake.callsOf('createReplica')).toHaveLength(0);
});

it('reports a failed sync as an error event and acts on the next change; stop() leaves the project running and frees the lock', async () => {
  const { dir, fake, ctx, project } = setup();
  let calls = 0;
  withFiles(fake, {
    checkRule: async () => ({ kind: 'copy' }),
    sync: async (_p, replicas, change): Promise<FileSyncResult[]> => {
      calls++;
      const error = calls === 1 ? new TugError({ code: 'sync.failed', message: 'disk full in the replica' }) : undefined;
      return replicas.map((r) => ({ replicaId: r.id, copied: error ? 0 : change.paths.length, removed: 0, ms: 1, ...(error && { error }) }));
    },
  });
  const events: WatchEvent[] = [];
  const session = await watch(ctx, project, { onEvent: (e) => events.push(e) });
  writeFileSync(join(dir, 'src/a.txt'), 'a2\n');
  await until(() => events.find((e) => e.type === 'error'), 'the error event');
  writeFileSync(join(dir, 'src/b.txt'), 'b\n');
  const synced = await until(() => events.find((e) => e.type === 'sync'), 'the sync event');
  expect(synced).toMatchObject({ service: 'web', replica: 'we-web-1', files: 1 });
  expect(events.find((e) => e.type === 'error')).toMatchObject({ replica: 'we-web-1', error: { message: 'disk full in the replica' } });

  await session.stop();
  const observed = await fake.replicas.observe('we');
  expect(observed.replicas.map((r) => r.state)).toEqual(['running']);
  // The lock is free again: a new watch starts.
  const again = await watch(ctx, project, { noUp: true, onEvent: () => {} });
  await again.stop();
});

/** Resolves when `signal` aborts, or after `ms` (a step that ignores the signal ends the test's wait too). */
function abortedOrAfter(signal: AbortSignal | undefined, ms: number): Promise<'aborted' | 'timed out'> {
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  return Promise.race([aborted, sleep(ms).then(() => 'timed out' as const)]);
}

it('stop() during an exec hook ends the hook at once and drops the steps of the batch not begun; the project keeps running', async () => {
  const { dir, fake, ctx, project } = setup(
    'name: wx\nservices:\n  web:\n    command: ["sleep", "1000"]\n    develop:\n      watch:\n        - { path: ./src, target: /app, action: sync+exec, exec: { command: ["slow-hook"] } }\n        - { path: ./src, target: /app2, action: sync+exec, exec: { command: ["second-hook"] } }\n',
  );
  withFiles(fake, { checkRule: async () => ({ kind: 'copy' }), sync: async (_p, replicas) => replicas.map((r) => ({ replicaId: r.id, copied: 1, removed: 0, ms: 1 })) });
  const hooks: { command: string; ended?: 'aborted' | 'timed out' }[] = [];
  Object.assign(fake.io, {
    exec: async (_project: string, _id: string, opts: ExecOptions) => {
      const hook: (typeof hooks)[number] = { command: opts.command.join(' ') };
      hooks.push(hook);
      hook.ended = await abortedOrAfter(opts.signal, 30_000);
      return hook.ended === 'aborted' ? 143 : 0;
    },
  });
  const session = await watch(ctx, project, { onEvent: () => {} });
  writeFileSync(join(dir, 'src/a.txt'), 'a2\n');
  await until(() => hooks.length > 0, 'the first hook to start');
  const stopping = performance.now();
  await session.stop();
  // Well under the hook's 30 s: stop() did not wait the hook out.
  expect(performance.now() - stopping).toBeLessThan(5_000);
  expect(hooks).toEqual([{ command: 'slow-hook', ended: 'aborted' }]);
  expect((await fake.replicas.observe('wx')).replicas.map((r) => r.state)).toEqual(['running']);
});

it('stop() during a rebuild\'s build ends the build and recreates nothing', async () => {
  const { dir, fake, ctx, project } = setup(
    'name: wb\nservices:\n  web:\n    build: .\n    command: ["sleep", "1000"]\n    develop:\n      watch:\n        - { path: ./src, action: rebuild }\n', { Dockerfile: 'FROM scratch\n' },
  );
  const builds: ('aborted' | 'timed out' | 'running')[] = [];
  withImages(fake, async (_project, services, opts) => {
    if (opts.build !== 'always') return Object.fromEntries(services.map((s) => [s, 'sha256:first']));
    builds.push('running');
    builds[builds.length - 1] = await abortedOrAfter(opts.signal, 30_000);
    if (opts.signal?.aborted) throw new TugError({ code: 'interrupted', message: 'interrupted', exitCode: 130 });
    return { web: 'sha256:second' };
  });
  const session = await watch(ctx, project, { onEvent: () => {} });
  const created = fake.callsOf('createReplica').length;
  writeFileSync(join(dir, 'src/a.txt'), 'a2\n');
  await until(() => builds.length > 0, 'the rebuild to begin building');
  const stopping = performance.now();
  await session.stop();
  expect(performance.now() - stopping).toBeLessThan(5_000);
  expect(builds).toEqual(['aborted']);
  expect(fake.callsOf('createReplica')).toHaveLength(created);
  expect((await fake.replicas.observe('wb')).replicas.map((r) => r.state)).toEqual(['running']);
});

it('a rebuild recreates the service and restarts, without recreating, the dependents that declare restart: true; others are left alone', async () => {
  const { dir, fake, ctx, project } = setup(
    [
      'name: wr',
      'services:',
      '  api:',
      '    build: .',
      '    command: ["sleep", "1000"]',
      '    develop:',
      '      watch:',
      '        - { path: ./src, action: rebuild }',
      '  web:',
      '    command: ["sleep", "1000"]',
      '    depends_on: { api: { condition: service_started, restart: true } }',
      '  worker:',
      '    command: ["sleep", "1000"]',
      '    depends_on: [api]',
      '',
    ].join('\n'), { Dockerfile: 'FROM scratch\n' },
  );
  let built = 0;
  withImages(fake, async (_project, services, opts) => {
    if (opts.build === 'always') built++;
    return Object.fromEntries(services.map((s) => [s, s === 'api' ? `sha256:api${built}` : `sha256:${s}`]));
  });
  const events: WatchEvent[] = [];
  const session = await watch(ctx, project, { onEvent: (e) => events.push(e) });
  const before = fake.calls.length;
  const nameOf = new Map((await fake.replicas.observe('wr')).replicas.map((r) => [r.id, r.name]));
  const webId = [...nameOf].find(([, name]) => name === 'wr-web-1')![0];
  writeFileSync(join(dir, 'src/a.txt'), 'a2\n');
  const rebuilt = await until(() => events.find((e) => e.type === 'rebuild'), 'the rebuild event');
  await session.stop();
  expect(rebuilt).toMatchObject({ service: 'api', restarted: ['wr-web-1'] });
  const after = await fake.replicas.observe('wr');
  for (const r of after.replicas) nameOf.set(r.id, r.name);
  // What happened to replicas, in order: "stop wr-web-1", "create wr-api-1", ...
  const acted = fake.calls
    .slice(before)
    .filter((c) => ['stopReplica', 'startReplica', 'createReplica', 'removeReplica'].includes(c.method))
    .map((c) => `${c.method.replace('Replica', '')} ${c.method === 'createReplica' ? (c.args[0] as { name: string }).name : nameOf.get(String(c.args[1]))}`);
  expect(acted.filter((a) => a.startsWith('create') || a.startsWith('remove')).sort()).toEqual(['create wr-api-1', 'remove wr-api-1']);
  expect(acted.filter((a) => a.startsWith('stop')).sort()).toEqual(['stop wr-api-1', 'stop wr-web-1']);
  expect(acted.filter((a) => a.startsWith('start')).sort()).toEqual(['start wr-api-1', 'start wr-web-1']);
  // web is stopped before the old api goes, and started once the new one runs; it is the same replica, not a new one.
  expect(acted.indexOf('stop wr-web-1')).toBeLessThan(acted.indexOf('stop wr-api-1'));
  expect(acted.indexOf('start wr-web-1')).toBeGreaterThan(acted.indexOf('start wr-api-1'));
  expect(after.replicas.find((r) => r.name === 'wr-web-1')!.id).toBe(webId);
  expect(after.replicas.map((r) => `${r.service} ${r.state}`).sort()).toEqual(['api running', 'web running', 'worker running']);
});
