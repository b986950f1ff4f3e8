// The native backend with real engine processes (from dist/: `npm run build`
// first): starting one engine on demand and reusing it, recovering after an
// engine is killed, exec in a replica's environment, and leaving no engine
// behind once nothing runs.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { RecoveredNotice } from '../../src/runtime/native/client.js';
import { createNativeBackend, type NativeBackend } from '../../src/runtime/native/backend.js';
import { ensureEngine } from '../../src/runtime/native/engine-process.js';
import { projectPaths } from '../../src/runtime/native/home.js';
import { isAlive, parseIdentity, type ProcessIdentity } from '../../src/runtime/native/proc-identity.js';
import { contractSpec } from '../contract/backend-contract.js';

let home: string;
let project: string;
let backends: NativeBackend[];
let counter = 0;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-engine-'));
  project = `engine${++counter}`;
  backends = [];
});

afterEach(async () => {
  const last = backend();
  await last.shutdownEngine(project);
  for (const b of backends) await b.close();
  const engine = enginePid();
  if (engine) await waitFor(() => !isAlive(engine));
  rmSync(home, { recursive: true, force: true });
});

function backend(onNotice?: (n: RecoveredNotice) => void): NativeBackend {
  const b = createNativeBackend({ home, onNotice });
  backends.push(b);
  return b;
}

function spec(serviceSpec: Partial<ServiceSpec> = {}) {
  return contractSpec(project, 'app', 1, { command: ['/bin/sh', '-c', 'echo hello; sleep 60'], ...serviceSpec });
}

function enginePid(): ProcessIdentity | undefined {
  try {
    return parseIdentity(readFileSync(projectPaths(home, project).pidFile, 'utf8'));
  } catch {
    return undefined;
  }
}

describe('native engine process', () => {
  it('starts one engine on demand, in private directories, and reuses it', async () => {
    const first = await ensureEngine(home, project);
    const second = await ensureEngine(home, project);
    try {
      const [a, b] = await Promise.all([first.call('ping', {}), second.call('ping', {})]);
      expect(a.pid).toBe(b.pid);
      expect(a.project).toBe(project);
      expect(statSync(home).mode & 0o777).toBe(0o700);
      expect(statSync(projectPaths(home, project).dir).mode & 0o777).toBe(0o700);
    } finally {
      first.close();
      second.close();
    }
  });

  it('never starts an engine just to look', async () => {
    const b = backend();
    expect((await b.replicas.observe(project)).replicas).toEqual([]);
    expect(await b.listProjects()).toEqual([]);
    expect(enginePid()).toBeUndefined();
  });

  it('after an engine is killed, looks at state.json, then starts a new engine that reports what it reaped', async () => {
    const first = backend();
    const created = await first.replicas.create(spec());
    await first.replicas.start(project, created.id);
    await first.close();
    const engine = enginePid()!;
    process.kill(engine.pid, 'SIGKILL');
    await waitFor(() => !isAlive(engine));

    const notices: RecoveredNotice[] = [];
    const second = backend((n) => notices.push(n));
    expect((await second.replicas.observe(project)).replicas.map((r) => [r.name, r.state])).toEqual([[created.name, 'exited']]);
    expect(enginePid()).toEqual(engine); // looking started nothing

    await second.replicas.start(project, created.id);
    expect(notices.map((n) => n.message)).toEqual([
      `the previous engine for project ${project} stopped unexpectedly; 1 replica left behind was stopped: ${created.name}`,
    ]);
    expect(second.notices).toEqual(notices);
    expect(enginePid()?.pid).not.toBe(engine.pid);
    expect((await second.replicas.observe(project)).replicas.map((r) => [r.name, r.state])).toEqual([[created.name, 'running']]);
  });

  it("exec runs with the replica's environment and working directory, and returns the exit code", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-workdir-'));
    try {
      const b = backend();
      const created = await b.replicas.create(spec({ environment: { GREETING: 'hi' }, working_dir: dir }));
      await b.replicas.start(project, created.id);
      const check = `test "$GREETING" = hi && test "$(pwd)" = "${dir}" && test "$TUG_SERVICE" = app && test "$EXTRA" = 1`;
      expect(await b.io.exec(project, created.id, { command: ['/bin/sh', '-c', check], env: { EXTRA: '1' } })).toBe(0);
      expect(await b.io.exec(project, created.id, { command: ['/bin/sh', '-c', 'exit 7'] })).toBe(7);
      await expect(b.io.exec(project, created.id, { command: ['no-such-command-here'] })).rejects.toMatchObject({ code: 'native.exec-not-found' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shuts the engine down at close once this backend left it with no replicas', async () => {
    const b = backend();
    const created = await b.replicas.create(spec());
    await b.replicas.start(project, created.id);
    const engine = enginePid()!;
    await b.replicas.stop(project, created.id, 2_000);
    await b.replicas.remove(project, created.id, { removeVolumes: true });
    await b.close();
    await waitFor(() => !isAlive(engine));
    expect(enginePid()).toBeUndefined();
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}
