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
import type { FileSyncFacet, FileSyncResult } from '../../src/runtime/backend.js';
import { FakeBackend } from '../fakes/fake-backend.js';
import { tempProject } from '../helpers/cli.js';
import { tempHome, until } from '../helpers/native-env.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = tempProject({
    'compose.yaml': 'name: we\nservices:\n  web:\n    command: ["sleep", "1000"]\n    develop:\n      watch:\n        - { path: ./src, target: /app, action: sync }\n',
    'src/a.txt': 'a\n',
  });
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
