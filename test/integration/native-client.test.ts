// The native runtime's file-side pieces, with real files, sockets and
// processes but no engine: the project lock, log reading, port checks,
// volumes, observing from state.json, and the engine client's wire handling.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { LABEL } from '../../src/core/model/labels.js';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import type { LogLine } from '../../src/runtime/backend.js';
import { createNativeBackend } from '../../src/runtime/native/backend.js';
import { EngineClient } from '../../src/runtime/native/client.js';
import { projectPaths, replicaLogFile, volumeDataDir } from '../../src/runtime/native/home.js';
import { withProjectLock } from '../../src/runtime/native/lock.js';
import { readLogs } from '../../src/runtime/native/logs.js';
import { checkPorts } from '../../src/runtime/native/ports.js';
import { createVolume, listVolumes, removeVolume } from '../../src/runtime/native/volumes.js';
import { specLiteral } from '../helpers/replica-spec.js';
import { projectLiteral } from '../helpers/project-literal.js';

let home: string;
const project = 'demo';

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-native-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function replica(name: string, service: string, extra: Partial<ObservedReplica> = {}): ObservedReplica {
  return { id: name, name, project, service, number: 1, oneoff: false, labels: {}, state: 'running', restartCount: 0, ports: [], ...extra };
}

function logLine(t: string, l: string, s = 'stdout'): string {
  return `${JSON.stringify({ t, s, l })}\n`;
}

function writeLog(name: string, lines: string[], suffix = ''): void {
  const file = replicaLogFile(home, project, name) + suffix;
  mkdirSync(projectPaths(home, project).logsDir, { recursive: true });
  writeFileSync(file, lines.join(''));
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('project lock', () => {
  it('makes a second holder wait, tells it once who holds the lock, then lets it proceed', async () => {
    const order: string[] = [];
    const release = deferred();
    const firstHolds = deferred();
    const first = withProjectLock(home, project, async () => {
      order.push('first in');
      firstHolds.resolve();
      await release.promise;
      order.push('first out');
    });
    await firstHolds.promise;
    const waits: string[] = [];
    const second = withProjectLock(home, project, async () => order.push('second in'), { onWait: (m) => waits.push(m) });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(['first in']);
    release.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(waits).toEqual([`waiting for another tug command on project ${project} (pid ${process.pid})`]);
    expect(() => lstatSync(projectPaths(home, project).lock)).toThrow(/ENOENT/);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(projectPaths(home, project).dir, { recursive: true });
    writeFileSync(projectPaths(home, project).lock, `${dead.stdout} 12345`);
    const waits: string[] = [];
    const value = await withProjectLock(home, project, async () => 42, { onWait: (m) => waits.push(m) });
    expect(value).toBe(42);
    expect(waits).toEqual([]);
  });

  it('gives up with a clear error when the holder never finishes', async () => {
    const release = deferred();
    const held = deferred();
    const first = withProjectLock(home, project, async () => {
      held.resolve();
      await release.promise;
    });
    await held.promise;
    const err = await withProjectLock(home, project, async () => 1, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).code).toBe('native.project-locked');
    expect((err as TugError).message).toContain(`pid ${process.pid}`);
    release.resolve();
    await first;
  });
});

describe('logs', () => {
  const web1 = replica('demo-web-1', 'web');
  const web2 = replica('demo-web-2', 'web', { number: 2 });
  const db1 = replica('demo-db-1', 'db');

  it('merges replicas in time order, rotated part first, with tail per replica and service filters', async () => {
    writeLog('demo-web-1', [logLine('2024-01-01T00:00:01.000Z', 'w1-a')], '.1');
    writeLog('demo-web-1', [logLine('2024-01-01T00:00:03.000Z', 'w1-b'), logLine('2024-01-01T00:00:05.000Z', 'w1-c')]);
    writeLog('demo-web-2', [logLine('2024-01-01T00:00:02.000Z', 'w2-a'), logLine('2024-01-01T00:00:06.000Z', 'w2-b', 'stderr')]);
    writeLog('demo-db-1', [logLine('2024-01-01T00:00:04.000Z', 'db-a')]);
    const all = await collect(readLogs(home, project, { known: [web1, web2, db1] }));
    expect(all.map((l) => l.text)).toEqual(['w1-a', 'w2-a', 'w1-b', 'db-a', 'w1-c', 'w2-b']);
    expect(all[5]).toMatchObject({ replica: 'demo-web-2', service: 'web', stream: 'stderr' });

    const tail = await collect(readLogs(home, project, { known: [web1, web2, db1], tail: 1 }));
    expect(tail.map((l) => l.text)).toEqual(['db-a', 'w1-c', 'w2-b']);

    const web = await collect(readLogs(home, project, { known: [web1, web2, db1], services: ['web'], since: '2024-01-01T00:00:02.500Z', until: '2024-01-01T00:00:05.000Z' }));
    expect(web.map((l) => l.text)).toEqual(['w1-b', 'w1-c']);
  });

  it('follows appended lines, rotation, and replicas that appear later, until aborted', async () => {
    writeLog('demo-web-1', [logLine('2024-01-01T00:00:01.000Z', 'first')]);
    let known = [web1];
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const line of readLogs(home, project, { follow: true, signal: controller.signal, known: async () => known })) seen.push(line.text);
    })();
    await until(() => seen.length === 1);
    appendFileSync(replicaLogFile(home, project, 'demo-web-1'), logLine('2024-01-01T00:00:02.000Z', 'appended'));
    await until(() => seen.includes('appended'));

    known = [web1, web2];
    writeLog('demo-web-2', [logLine('2024-01-01T00:00:03.000Z', 'scaled')]);
    await until(() => seen.includes('scaled'));

    const file = replicaLogFile(home, project, 'demo-web-1');
    appendFileSync(file, logLine('2024-01-01T00:00:04.000Z', 'before rotation'));
    renameSync(file, `${file}.1`);
    writeFileSync(file, logLine('2024-01-01T00:00:05.000Z', 'after rotation'));
    await until(() => seen.includes('after rotation'));
    controller.abort();
    await done;
    expect(seen).toEqual(['first', 'appended', 'scaled', 'before rotation', 'after rotation']);
  });

  it('when following stops, still shows what was written before the stop', async () => {
    writeLog('demo-web-1', []);
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const line of readLogs(home, project, { follow: true, signal: controller.signal, known: [web1] })) seen.push(line.text);
    })();
    await new Promise((r) => setTimeout(r, 200)); // the first read is done; it waits for more
    appendFileSync(replicaLogFile(home, project, 'demo-web-1'), logLine('2024-01-01T00:00:01.000Z', 'last words'));
    controller.abort(); // as `run` does once its replica has exited
    await done;
    expect(seen).toEqual(['last words']);
  });

  it('reads logs of a project without an engine through the backend', async () => {
    writeFileSync(join(mkdirP(projectPaths(home, project).dir), 'state.json'), JSON.stringify({ replicas: [web1] }));
    writeLog('demo-web-1', [logLine('2024-01-01T00:00:01.000Z', 'kept after the engine')]);
    const backend = createNativeBackend({ home });
    const lines = await collect(backend.io.logs(project, {}));
    expect(lines.map((l) => l.text)).toEqual(['kept after the engine']);
    await backend.close();
  });
});

describe('port checks', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function listen(): Promise<number> {
    server = createServer();
    await new Promise<void>((r) => server!.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    return (server.address() as { port: number }).port;
  }

  it('names the process holding a host port', async () => {
    const port = await listen();
    const errors = await checkPorts([{ replica: 'demo-web-1', hostIp: '', port, protocol: 'tcp' }], []);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('native.port-in-use');
    expect(errors[0]!.message).toContain(`host port ${port}/tcp wanted by "demo-web-1" is already in use by process ${process.pid}`);
    expect(errors[0]!.hint).toBe('stop it or choose another published port');
    const specific = await checkPorts([{ replica: 'demo-web-1', hostIp: '127.0.0.1', port, protocol: 'tcp' }], []);
    expect(specific[0]!.message).toContain(`process ${process.pid}`);
  });

  it('names the tug replica holding a host port', async () => {
    const port = await listen();
    const holder = replica('other-api-1', 'api', { ports: [{ hostIp: '', published: port, target: 80, protocol: 'tcp' }] });
    const errors = await checkPorts([{ replica: 'demo-web-1', hostIp: '', port, protocol: 'tcp' }], [holder]);
    expect(errors.map((e) => e.message)).toEqual([`host port ${port}/tcp wanted by "demo-web-1" is already in use by replica "other-api-1"`]);
  });

  it('preflight checks the ports of the replicas a plan starts, not of those it stops first', async () => {
    const port = await listen();
    const web = (n: number, published: number): ReplicaSpec =>
      specLiteral({
        project,
        service: 'web',
        number: n,
        service_spec: { command: ['server'], ports: [{ mode: 'ingress', target: 80, published: String(published), protocol: 'tcp' }] },
        projectDir: home,
      });
    const steps = (specs: ReplicaSpec[]) =>
      specs.flatMap((r, i) => [
        { id: `c${i}`, op: { kind: 'create-replica' as const, service: 'web', replica: r }, after: [] },
        { id: `s${i}`, op: { kind: 'start-replica' as const, service: 'web', name: r.name }, after: [`c${i}`] },
      ]);
    const backend = createNativeBackend({ home });
    const empty = { project, replicas: [], networks: [], volumes: [] };
    const busy = await backend.preflight({ project, steps: steps([web(1, port)]) }, empty);
    expect(busy.map((e) => e.message)).toEqual([`host port ${port}/tcp wanted by "demo-web-1" is already in use by process ${process.pid} (${processCmd()})`]);
    const twice = await backend.preflight({ project, steps: steps([web(1, port + 1), web(2, port + 1)]) }, empty);
    expect(twice.map((e) => e.code)).toEqual(['native.port-conflict']);

    // The current holder is a replica the plan stops before starting its replacement.
    const old = replica('demo-web-9', 'web', { ports: [{ hostIp: '0.0.0.0', published: port, target: 80, protocol: 'tcp' }] });
    const recreate = { project, steps: [{ id: 'x', op: { kind: 'stop-replica' as const, service: 'web', name: old.name, id: old.id, timeoutMs: 1000 }, after: [] }, ...steps([web(1, port)])] };
    expect(await backend.preflight(recreate, { ...empty, replicas: [old] })).toEqual([]);
    // A plan that passed starts its engine ahead of the change; the change never came, so closing stops that engine.
    await backend.close();
    const { pidFile, socket } = projectPaths(home, project);
    // Long enough for an engine still starting to be up; one left alone would then idle for 2 s before it exits.
    await new Promise((r) => setTimeout(r, 700));
    await until(() => !existsSync(pidFile) && !existsSync(socket), 1_000);
  });

  it('reports a fixed port wanted twice, naming both replicas, and passes free ports', async () => {
    const port = await listen();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const errors = await checkPorts(
      [
        { replica: 'demo-web-1', hostIp: '', port, protocol: 'tcp' },
        { replica: 'demo-web-2', hostIp: '127.0.0.1', port, protocol: 'tcp' },
        { replica: 'demo-web-1', hostIp: '', port, protocol: 'udp' },
      ],
      [],
    );
    expect(errors.map((e) => [e.code, e.message])).toEqual([['native.port-conflict', `host port ${port}/tcp is published by both "demo-web-1" and "demo-web-2"`]]);
  });
});

describe('volumes and networks', () => {
  it('keeps a volume and its data across listings and re-creation until removeVolume', async () => {
    await createVolume(home, project, 'data', 'demo_data', { labels: { team: 'a' } });
    writeFileSync(join(volumeDataDir(home, 'demo_data'), 'file.txt'), 'kept');
    await createVolume(home, project, 'data', 'demo_data', {});
    mkdirSync(volumeDataDir(home, 'handmade'), { recursive: true }); // external, no labels
    await createVolume(home, 'other', 'data', 'other_data', {});

    const listed = await listVolumes(home, project);
    expect(listed).toEqual([{ name: 'demo_data', key: 'data', labels: { team: 'a', [LABEL.project]: project, [LABEL.volume]: 'data' } }]);
    const backend = createNativeBackend({ home });
    expect((await backend.replicas.observe(project)).volumes.map((v) => v.name)).toEqual(['demo_data']);
    expect(readFileSync(join(volumeDataDir(home, 'demo_data'), 'file.txt'), 'utf8')).toBe('kept');

    await backend.resources.removeVolume(project, 'demo_data');
    expect(await listVolumes(home, project)).toEqual([]);
    expect(existsSync(volumeDataDir(home, 'handmade'))).toBe(true);
    await removeVolume(home, project, 'demo_data'); // already gone: fine
    await backend.close();
  });

  it('books networks per project, created in parallel', async () => {
    const backend = createNativeBackend({ home });
    await Promise.all(['a', 'b', 'c'].map((k) => backend.resources.createNetwork(project, k, `demo_${k}`, {})));
    expect((await backend.replicas.observe(project)).networks.map((n) => [n.name, n.key, n.labels[LABEL.project]])).toEqual([
      ['demo_a', 'a', project],
      ['demo_b', 'b', project],
      ['demo_c', 'c', project],
    ]);
    await backend.resources.removeNetwork(project, 'demo_b');
    expect((await backend.replicas.observe(project)).networks.map((n) => n.name)).toEqual(['demo_a', 'demo_c']);
    await backend.close();
  });

  it('reads past damaged entries of networks.json, and removing the last network leaves no file', async () => {
    const paths = projectPaths(home, project);
    mkdirP(paths.dir);
    writeFileSync(paths.networks, JSON.stringify({ demo_x: null, demo_y: { key: 'y' }, demo_z: { key: 'z', labels: { a: 'b' } } }));
    const backend = createNativeBackend({ home });
    expect((await backend.replicas.observe(project)).networks).toEqual([{ name: 'demo_z', key: 'z', labels: { a: 'b' } }]);
    await backend.resources.removeNetwork(project, 'demo_z');
    expect(existsSync(paths.networks)).toBe(false);
    await backend.close();
  });
});

describe('observe without an engine', () => {
  function spec(number: number): ReplicaSpec {
    const labels = { [LABEL.project]: project, [LABEL.service]: 'web', [LABEL.configFiles]: '/p/compose.yaml', [LABEL.workingDir]: '/p' };
    return specLiteral({
      project,
      service: 'web',
      number,
      labels,
      service_spec: { command: ['node', 'server.js'], ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }] },
      projectDir: '/p',
    });
  }

  it('reads state.json, reports every replica as no longer running, and starts nothing', async () => {
    const paths = projectPaths(home, project);
    mkdirP(paths.dir);
    const t = '2024-01-01T00:00:00.000Z';
    const replicas = [
      { spec: spec(1), state: 'running', pid: 99999999, pgid: 99999999, restartCount: 2, health: 'healthy', createdAt: t, startedAt: t },
      { spec: spec(2), state: 'created', restartCount: 0, createdAt: t },
    ];
    writeFileSync(paths.state, JSON.stringify({ version: 1, project, savedAt: t, cleanShutdown: false, replicas }));
    writeFileSync(paths.socket, ''); // a stale socket file from a killed engine
    const backend = createNativeBackend({ home });
    const observed = await backend.replicas.observe(project);
    expect(observed.replicas.map((r) => [r.name, r.state, r.pid, r.health, r.restartCount, r.command])).toEqual([
      ['demo-web-1', 'exited', undefined, undefined, 2, 'node server.js'],
      ['demo-web-2', 'created', undefined, undefined, 0, 'node server.js'],
    ]);
    expect(observed.replicas[0]!.ports).toEqual([{ hostIp: '0.0.0.0', published: 8080, target: 80, protocol: 'tcp' }]);
    expect(await backend.listProjects()).toEqual([{ name: project, status: 'created(1), exited(1)', configFiles: ['/p/compose.yaml'], workingDir: '/p' }]);
    expect(existsSync(paths.pidFile)).toBe(false);
    await backend.close();
  });
});

describe('observe without an engine, from damaged files', () => {
  it('defaults what a bare entry gets wrong instead of failing', async () => {
    const paths = projectPaths(home, project);
    mkdirP(paths.dir);
    const bad = { name: 'demo-web-1', service: 'web', state: 'running', ports: 'lots', labels: 7, notes: 'x', exitCode: 'no' };
    writeFileSync(paths.state, JSON.stringify({ replicas: [bad, null, 'text'] }));
    const backend = createNativeBackend({ home });
    const [r] = (await backend.replicas.observe(project)).replicas;
    expect(r).toMatchObject({ name: 'demo-web-1', state: 'exited', ports: [], labels: {}, exitCode: 137 });
    await backend.close();
  });
});

describe('volume records read back', () => {
  it('reads a damaged volume.json as far as it makes sense: labels that are not strings hold none', async () => {
    const write = (name: string, record: unknown) => {
      mkdirP(join(home, 'volumes', name, 'data'));
      writeFileSync(join(home, 'volumes', name, 'volume.json'), JSON.stringify(record));
    };
    write('demo_a', { labels: { [LABEL.project]: project, [LABEL.volume]: 5, other: ['x'] }, spec: 'big' });
    write('demo_b', { labels: 5 });
    write('demo_c', null);
    const backend = createNativeBackend({ home });
    expect((await backend.replicas.observe(project)).volumes).toEqual([{ name: 'demo_a', key: undefined, labels: { [LABEL.project]: project } }]);
    expect(await backend.resources.findVolumes(['demo_a', 'demo_b', 'demo_c'])).toEqual([
      { name: 'demo_a', key: undefined, labels: { [LABEL.project]: project } },
      { name: 'demo_b', key: undefined, labels: {} },
      { name: 'demo_c', labels: {} },
    ]);
    await backend.close();
  });
});

const HINT = 'run it in a container rooted in its image (--isolation auto or container), add a command:, or use --backend docker';

describe('backend validation', () => {
  it('reports every service with an image but no command that runs as a host process', () => {
    const backend = createNativeBackend({ home, isolation: 'process' });
    const base = projectLiteral({ name: project, workingDir: '/p', services: {} });
    const errors = backend.validate({
      ...base,
      services: { db: { image: 'postgres' }, cache: { image: 'redis' }, web: { image: 'node', command: ['node', 'server.js'] } },
    });
    expect(errors.map((e) => [e.code, e.message, e.hint])).toEqual([
      ['native.image-without-command', 'service "db" has an image but no command, and runs as a host process (isolation "process"), which needs one', HINT],
      ['native.image-without-command', 'service "cache" has an image but no command, and runs as a host process (isolation "process"), which needs one', HINT],
    ]);
    // In a container rooted in its image (auto), the image's own command runs.
    expect(createNativeBackend({ home, isolation: 'auto' }).validate({ ...base, services: { db: { image: 'postgres' } } })).toEqual([]);
  });
});

describe('engine client', () => {
  it('matches responses to requests, passes wire errors through, and ends event streams on abort', async () => {
    const socketPath = join(mkdirP(projectPaths(home, project).dir), 'engine.sock');
    const engine = createServer((conn) => {
      let buf = '';
      conn.on('data', (chunk) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const req = JSON.parse(buf.slice(0, nl)) as { id: number; method: string };
          buf = buf.slice(nl + 1);
          if (req.method === 'list') setTimeout(() => conn.write(`${JSON.stringify({ id: req.id, result: [] })}\n`), 20);
          else if (req.method === 'start') conn.write(`${JSON.stringify({ id: req.id, error: { code: 'engine.no-such-replica', message: 'no replica "x"', hint: 'see tug ps' } })}\n`);
          else if (req.method === 'events') {
            const timer = setInterval(() => conn.write(`${JSON.stringify({ id: req.id, event: { action: 'start', replica: replica('demo-web-1', 'web'), time: new Date().toISOString() } })}\n`), 10);
            conn.on('close', () => clearInterval(timer));
          }
        }
      });
    });
    await new Promise<void>((r) => engine.listen(socketPath, () => r()));
    const client = new EngineClient(socketPath, project);
    try {
      const [list, start] = await Promise.all([client.call('list', {}), client.call('start', { id: 'x' }).catch((e: unknown) => e)]);
      expect(list).toEqual([]);
      expect(start).toBeInstanceOf(TugError);
      expect(start).toMatchObject({ code: 'engine.no-such-replica', message: 'no replica "x"', hint: 'see tug ps' });

      const controller = new AbortController();
      let count = 0;
      for await (const event of client.events(controller.signal)) {
        expect(event.action).toBe('start');
        if (++count === 3) controller.abort();
      }
      expect(count).toBe(3);
    } finally {
      client.close();
      await new Promise<void>((r) => engine.close(() => r()));
    }
  });

  it('closes the connection with a clear error when the engine sends a line past the cap', async () => {
    const socketPath = join(mkdirP(projectPaths(home, project).dir), 'engine.sock');
    let peerClosed = false;
    const engine = createServer((conn) => {
      conn.on('error', () => undefined);
      conn.on('close', () => (peerClosed = true));
      // 17 MiB of one line that never ends, in 1 MiB writes.
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 17 && !conn.destroyed) {
          sent++;
          if (!conn.write(chunk)) return void conn.once('drain', pump);
        }
      };
      conn.once('data', pump);
    });
    await new Promise<void>((r) => engine.listen(socketPath, () => r()));
    const client = new EngineClient(socketPath, project);
    try {
      const err = await client.call('ping', {}).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'native.engine-protocol' });
      expect((err as TugError).message).toContain('more than 16777216 bytes');
      await until(() => peerClosed);
    } finally {
      client.close();
      await new Promise<void>((r) => engine.close(() => r()));
    }
  });

  it('decodes a character split across two reads', async () => {
    const socketPath = join(mkdirP(projectPaths(home, project).dir), 'engine.sock');
    const engine = createServer((conn) => {
      conn.once('data', () => {
        const line = Buffer.from(`${JSON.stringify({ id: 1, result: { project: 'é€😀' } })}\n`);
        const cut = line.indexOf(Buffer.from('€')) + 1; // inside the three bytes of "€"
        conn.write(line.subarray(0, cut));
        setTimeout(() => conn.write(line.subarray(cut)), 20);
      });
    });
    await new Promise<void>((r) => engine.listen(socketPath, () => r()));
    const client = new EngineClient(socketPath, project);
    try {
      expect(await client.call('ping', {})).toEqual({ project: 'é€😀' });
    } finally {
      client.close();
      await new Promise<void>((r) => engine.close(() => r()));
    }
  });

  it('says clearly when no engine listens', async () => {
    const client = new EngineClient(join(home, 'nowhere.sock'), project);
    await expect(client.call('ping', {})).rejects.toMatchObject({ code: 'native.engine-unreachable' });
  });
});

function processCmd(): string {
  const cmd = readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0').filter((w) => w !== '').join(' ');
  return cmd.length > 80 ? `${cmd.slice(0, 79)}…` : cmd;
}

function mkdirP(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}
