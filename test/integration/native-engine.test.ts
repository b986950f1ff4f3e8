// The native engine process itself, spoken to over its socket with a bare
// NDJSON client and real replica processes: supervision, stop escalation,
// restart back-off, health checks, crash recovery, idle exit, port forwarding.
// (test/integration/native-backend.test.ts covers it through the backend.)
// Needs the build (npm test builds first) and Linux (/proc, process groups).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  engineHarnesses,
  EngineHarness,
  engineMain,
  freePort,
  isAlive,
  logLines,
  replicaSpec,
  sleep,
  waitFor,
  type EngineClient,
} from '../helpers/native-engine.js';
import { createVolume } from '../../src/runtime/native/volumes.js';

const supported = process.platform === 'linux' && existsSync(engineMain);
if (!supported) console.warn(`skipping native engine process tests: needs Linux and a build (${engineMain})`);

const harness = engineHarnesses('nep');

async function running(h: EngineHarness): Promise<EngineClient> {
  await h.start();
  const client = await h.client();
  client.subscribe();
  return client;
}

async function replica(client: EngineClient, name: unknown): Promise<any> {
  return (await client.call('list')).find((r: any) => r.name === name);
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!supported)('native engine process', () => {
  it('runs a replica, keeps its output in the log file, and serves socket and pid file privately', async () => {
    const h = harness();
    const client = await running(h);
    const spec = replicaSpec(h.project, 'web', { command: ['/bin/sh', '-c', 'echo hello; echo oops >&2; sleep 60'] });
    expect((await client.call('create', { spec })).state).toBe('created');
    const started = await client.call('start', { id: spec.name });
    expect(started.state).toBe('running');
    expect(isAlive(started.pid)).toBe(true);
    await waitFor(() => logLines(h.home, h.project, spec.name as string).length >= 2, 5_000, 'log lines');
    const lines = logLines(h.home, h.project, spec.name as string);
    expect(lines).toContainEqual(expect.objectContaining({ s: 'stdout', l: 'hello' }));
    expect(lines).toContainEqual(expect.objectContaining({ s: 'stderr', l: 'oops' }));
    expect(Date.parse(lines[0]!.t)).not.toBeNaN();

    expect(statSync(join(h.dir, 'engine.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(h.dir).mode & 0o777).toBe(0o700);
    const [pid, start] = readFileSync(join(h.dir, 'engine.pid'), 'utf8').trim().split(' ').map(Number);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])).toBe(start);

    expect((await client.request('create', { spec })).error?.code).toBe('engine.conflict');
    expect(client.events.map((e) => e.action)).toEqual(expect.arrayContaining(['create', 'start']));
  });

  it('answers bad requests with errors and keeps serving', async () => {
    const h = harness();
    const client = await running(h);
    client.socket.write('this is not json\n');
    client.socket.write('{"id": 5, "params": {}}\n');
    expect((await client.request('no-such-method')).error?.code).toBe('engine.unknown-method');
    expect((await client.request('start', { id: 'nope' })).error?.code).toBe('engine.not-found');
    expect((await client.request('create', { spec: { project: h.project } })).error?.code).toBe('engine.bad-request');
    const noCommand = await client.request('create', { spec: replicaSpec(h.project, 'img', { image: 'nginx' }) });
    expect(noCommand.error?.message).toBe('service img has no command to run');
    const badBind = await client.request('create', {
      spec: replicaSpec(h.project, 'b', { command: ['true'], volumes: [{ type: 'bind', source: '/nonexistent/x', target: '/x' }] }),
    });
    expect(badBind.error?.message).toContain('bind source /nonexistent/x does not exist');
    const missing = replicaSpec(h.project, 'missing', { command: ['no-such-program-tug'] });
    await client.call('create', { spec: missing });
    const notFound = await client.request('start', { id: missing.name });
    expect(notFound.error?.message).toBe('exec: "no-such-program-tug": executable file not found in $PATH');
    const ping = await client.call('ping');
    expect(ping).toMatchObject({ project: h.project, version: expect.any(String), recovered: { reaped: [] } });
    expect(client.stray.map((m) => m.error?.code)).toEqual(['engine.bad-request', 'engine.bad-request']);
  });

  it('drops a client whose request line passes 16 MiB, and serves the others', async () => {
    const h = harness();
    await h.start();
    const flooder = await h.client();
    const closed = new Promise<void>((resolve) => flooder.socket.once('close', () => resolve()));
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 17 && !flooder.socket.destroyed; i++) flooder.socket.write(chunk);
    await closed;
    expect(flooder.stray.map((m) => m.error?.message)).toEqual(['request line too long']);
    const other = await h.client();
    expect((await other.call('ping')).project).toBe(h.project);
  });

  it('has a replica\'s last output in its log by the time it reports the replica dead', async () => {
    const h = harness();
    const client = await running(h);
    // The last line comes from a process that left the group (so it outlives the
    // leader) and still holds the output pipe: it arrives after the leader's exit.
    const spec = replicaSpec(h.project, 'late', { command: ['sh', '-c', 'setsid sh -c "sleep 0.3; echo last words" & sleep 0.1; exit 0'] });
    await client.call('create', { spec });
    await client.call('start', { id: spec.name });
    await waitFor(() => client.events.some((e) => e.action === 'die' && e.replica.name === spec.name), 10_000, 'die');
    expect(logLines(h.home, h.project, spec.name as string).map((l) => l.l)).toEqual(['last words']);
  });

  it('stops with the stop signal, then SIGKILLs the whole process group after the timeout', async () => {
    const h = harness();
    const client = await running(h);
    const gcFile = join(h.home, 'grandchild.pid');
    const script = `trap '' TERM; sleep 60 & echo $! > ${gcFile}; while :; do sleep 1; done`;
    const spec = replicaSpec(h.project, 'stubborn', { command: ['/bin/sh', '-c', script], restart: 'always' });
    await client.call('create', { spec });
    const { pid } = await client.call('start', { id: spec.name });
    const grandchild = await waitFor(() => (existsSync(gcFile) && Number(readFileSync(gcFile, 'utf8'))) || undefined, 5_000, 'grandchild pid');
    h.extraPids.add(grandchild);
    expect(isAlive(grandchild)).toBe(true);
    const t0 = Date.now();
    const stopped = await client.call('stop', { id: spec.name, timeoutMs: 500 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);
    expect(stopped).toMatchObject({ state: 'exited', exitCode: 137 });
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
    // A stopped replica stays stopped, whatever its policy.
    await sleep(300);
    expect(await replica(client, spec.name)).toMatchObject({ state: 'exited', restartCount: 0 });
    expect(client.events.map((e) => e.action)).toEqual(expect.arrayContaining(['die', 'stop']));
  });

  it('restarts on failure with a growing back-off and gives up after max retries', async () => {
    const h = harness();
    const client = await running(h);
    const spec = replicaSpec(h.project, 'flaky', { command: ['/bin/sh', '-c', 'exit 3'], restart: 'on-failure:3' });
    await client.call('create', { spec });
    const t0 = Date.now();
    await client.call('start', { id: spec.name });
    const done = await waitFor(async () => {
      const r = await replica(client, spec.name);
      return r.state === 'exited' && r;
    }, 10_000, 'the replica to give up');
    expect(done).toMatchObject({ restartCount: 3, exitCode: 3 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100 + 200 + 400);
    const actions = client.events.filter((e) => e.replica.name === spec.name).map((e) => e.action);
    expect(actions.filter((a) => a === 'die')).toHaveLength(4);
    expect(actions.filter((a) => a === 'restart')).toHaveLength(3);
    expect(client.events.some((e) => e.action === 'die' && e.replica.state === 'restarting')).toBe(true);
    // The gaps between runs grow: the back-off doubles.
    const starts = client.events.filter((e) => e.action === 'start').map((e) => Date.parse(e.time));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it('restarts deploy.restart_policy "any" replicas after a clean exit until they are stopped', async () => {
    const h = harness();
    const client = await running(h);
    const spec = replicaSpec(h.project, 'loop', { command: ['true'], deploy: { restart_policy: { condition: 'any' } } });
    await client.call('create', { spec });
    await client.call('start', { id: spec.name });
    await waitFor(async () => (await replica(client, spec.name)).restartCount >= 2, 5_000, 'restarts');
    await client.call('stop', { id: spec.name, timeoutMs: 1_000 });
    const count = (await replica(client, spec.name)).restartCount;
    await sleep(500);
    expect(await replica(client, spec.name)).toMatchObject({ state: 'exited', restartCount: count });
  });

  it('runs CMD-SHELL health checks and reports status changes', async () => {
    const h = harness();
    const client = await running(h);
    const flag = join(h.home, 'healthy.flag');
    const spec = replicaSpec(h.project, 'api', {
      command: ['sleep', '60'],
      healthcheck: { test: ['CMD-SHELL', `test -f ${flag}`], interval: '100ms', timeout: '1s', retries: 2 },
    });
    await client.call('create', { spec });
    expect((await client.call('start', { id: spec.name })).health).toBe('starting');
    await waitFor(async () => (await replica(client, spec.name)).health === 'unhealthy', 5_000, 'unhealthy');
    writeFileSync(flag, '');
    await waitFor(async () => (await replica(client, spec.name)).health === 'healthy', 5_000, 'healthy');
    rmSync(flag);
    await waitFor(async () => (await replica(client, spec.name)).health === 'unhealthy', 5_000, 'unhealthy again');
    const health = client.events.filter((e) => e.action === 'health').map((e) => e.replica.health);
    expect(health).toEqual(['unhealthy', 'healthy', 'unhealthy']);
  });

  it('runs entrypoint ++ command as argv, never through a shell', async () => {
    const h = harness();
    const client = await running(h);
    const exec = replicaSpec(h.project, 'exec', { command: ['echo', '$HOME;', 'true'] });
    const entry = replicaSpec(h.project, 'entry', { entrypoint: ['echo', 'ep'], command: ['a', 'b'] });
    for (const spec of [exec, entry]) {
      await client.call('create', { spec });
      await client.call('start', { id: spec.name });
    }
    const out = (spec: Record<string, unknown>): string[] => logLines(h.home, h.project, spec.name as string).map((l) => l.l);
    await waitFor(() => out(exec).length && out(entry).length, 5_000, 'output');
    expect(out(exec)).toEqual(['$HOME; true']);
    expect(out(entry)).toEqual(['ep a b']);
  });

  it('gives replicas TUG_* variables, their environment and volume directories', async () => {
    const h = harness();
    const client = await running(h);
    const spec = replicaSpec(
      h.project,
      'envy',
      {
        command: ['env'],
        environment: { GREETING: 'hi', UNSET_ME: null },
        volumes: [
          { type: 'volume', source: 'data', target: '/var/lib/data' },
          { type: 'volume', target: '/cache' },
        ],
      },
      { number: 2, volumeNames: { data: `${h.project}_data` } },
    );
    await createVolume(h.home, h.project, 'data', `${h.project}_data`, {});
    await client.call('create', { spec });
    await client.call('start', { id: spec.name });
    await waitFor(async () => (await replica(client, spec.name)).state === 'exited', 5_000, 'exit');
    const lines = logLines(h.home, h.project, spec.name as string).map((l) => l.l);
    const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({ TUG_PROJECT: h.project, TUG_SERVICE: 'envy', TUG_REPLICA: '2', GREETING: 'hi' });
    expect(env).not.toHaveProperty('UNSET_ME');
    expect(env.TUG_VOLUME_DATA).toBe(join(h.home, 'volumes', `${h.project}_data`, 'data'));
    expect(statSync(env.TUG_VOLUME_DATA!).isDirectory()).toBe(true);
    // The anonymous volume is a volume of its own, with the name the replica's record gives it.
    const anon = (await replica(client, spec.name)).anonymousVolumes['/cache'];
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(env.TUG_VOLUME_CACHE).toBe(join(h.home, 'volumes', anon, 'data'));
    expect(JSON.parse(readFileSync(join(h.home, 'volumes', anon, 'volume.json'), 'utf8'))).toMatchObject({ labels: {}, anonymous: true });
    await client.call('remove', { id: spec.name });
    expect(existsSync(env.TUG_VOLUME_CACHE!), 'a plain remove keeps the anonymous volume').toBe(true);
    expect(existsSync(join(h.dir, 'logs', `${spec.name as string}.jsonl`))).toBe(false);
    expect(await client.call('list')).toEqual([]);
    // A replica inheriting it mounts the same directory; removing that one with its volumes deletes it.
    await client.call('create', { spec: { ...spec, inheritedVolumes: { '/cache': anon } } });
    expect((await replica(client, spec.name)).anonymousVolumes).toEqual({ '/cache': anon });
    await client.call('remove', { id: spec.name, removeVolumes: true });
    expect(existsSync(join(h.home, 'volumes', anon))).toBe(false);
    expect(existsSync(env.TUG_VOLUME_DATA!), 'named volumes never go with a replica').toBe(true);
  });

  it('a volume name never becomes a path outside TUG_HOME/volumes, and a missing volume is an error, not made up', async () => {
    const h = harness();
    const client = await running(h);
    const escape = join(h.home, '..', `escaped-${h.project}`);
    const mounting = (name: string, inheritedVolumes?: Record<string, string>) =>
      replicaSpec(h.project, 'v', { command: ['true'], volumes: [{ type: 'volume', source: 'ext', target: '/ext' }, { type: 'volume', target: '/anon' }] }, {
        volumeNames: { ext: name },
        ...(inheritedVolumes && { inheritedVolumes }),
      });
    await expect(client.call('create', { spec: mounting(`../../escaped-${h.project}`) })).rejects.toThrow(/native.volume-name/);
    await expect(client.call('create', { spec: mounting('nowhere') })).rejects.toThrow(/engine.volume-missing: service v: volume nowhere does not exist/);
    expect(existsSync(escape)).toBe(false);
    expect(existsSync(join(h.home, 'volumes', 'nowhere'))).toBe(false);
    // A refused create leaves no anonymous volume behind.
    expect(readdirSync(join(h.home, 'volumes'))).toEqual([]);
    // An inherited name that is not one of tug's anonymous volumes is not adopted (nor is a path).
    await createVolume(h.home, 'other', 'ext', 'someones', {});
    await client.call('create', { spec: mounting('someones', { '/anon': 'someones' }) });
    const anon = (await replica(client, `${h.project}-v-1`)).anonymousVolumes['/anon'];
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    await client.call('remove', { id: `${h.project}-v-1`, removeVolumes: true });
    expect(existsSync(join(h.home, 'volumes', 'someones', 'volume.json'))).toBe(true);
  });

  it('forwards a published TCP port to a different target port', async () => {
    const h = harness();
    const client = await running(h);
    const [target, published] = [await freePort(), await freePort()];
    const server = `require('http').createServer((q, s) => s.end('pong')).listen(${target}, '127.0.0.1', () => console.log('up'))`;
    const spec = replicaSpec(h.project, 'http', {
      command: [process.execPath, '-e', server],
      ports: [{ mode: 'ingress', target, published: String(published), protocol: 'tcp', host_ip: '127.0.0.1' }],
    });
    await client.call('create', { spec });
    const started = await client.call('start', { id: spec.name });
    expect(started.ports).toEqual([{ hostIp: '127.0.0.1', published, target, protocol: 'tcp' }]);
    await waitFor(() => logLines(h.home, h.project, spec.name as string).some((l) => l.l === 'up'), 10_000, 'server up');
    expect(await httpGet(published)).toBe('pong');
    await client.call('stop', { id: spec.name, timeoutMs: 2_000 });
    await expect(httpGet(published)).rejects.toThrow();
    const udp = await client.request('create', {
      spec: replicaSpec(h.project, 'dns', { command: ['true'], ports: [{ mode: 'ingress', target: 53, published: '5353', protocol: 'udp' }] }),
    });
    expect(udp.error?.message).toContain('forwards only TCP');
  });

  it('takes replicas down with a killed engine and reaps leftovers on the next start', async () => {
    const h = harness();
    const engine = await h.start();
    const client = await h.client();
    const gcFile = join(h.home, 'leftover.pid');
    const plain = replicaSpec(h.project, 'plain', { command: ['sleep', '60'] });
    const parent = replicaSpec(h.project, 'parent', { command: ['/bin/sh', '-c', `sleep 60 & echo $! > ${gcFile}; sleep 60`] });
    const pids: number[] = [];
    for (const spec of [plain, parent]) {
      await client.call('create', { spec });
      pids.push((await client.call('start', { id: spec.name })).pid);
    }
    const grandchild = await waitFor(() => (existsSync(gcFile) && Number(readFileSync(gcFile, 'utf8'))) || undefined, 5_000, 'grandchild');
    h.extraPids.add(grandchild);
    client.close();
    engine.process.kill('SIGKILL');
    await engine.exited;
    // pdeathsig: the leaders die with the engine; the grandchild does not (it has no death signal).
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 3_000, 'leaders to die');
    expect(isAlive(grandchild)).toBe(true);

    await h.start();
    const next = await h.client();
    const ping = await next.call('ping');
    expect([...ping.recovered.reaped].sort()).toEqual([parent.name, plain.name].sort());
    expect(Date.parse(ping.recovered.previousEngineCrashedAt)).not.toBeNaN();
    expect(isAlive(grandchild)).toBe(false);
    const list = await next.call('list');
    expect(list.map((r: any) => `${r.name} ${r.state} ${r.exitCode}`).sort()).toEqual(
      [`${parent.name} exited 137`, `${plain.name} exited 137`].sort(),
    );
    // The recovered engine serves on: the replica can run again.
    expect((await next.call('start', { id: plain.name })).state).toBe('running');
  });

  it('reaps replicas from state.json alone when there is no death signal (no setpriv)', async () => {
    const h = harness();
    const engine = await h.start({ TUG_NO_SETPRIV: '1' });
    const client = await h.client();
    const spec = replicaSpec(h.project, 'orphan', { command: ['sleep', '60'] });
    await client.call('create', { spec });
    const { pid } = await client.call('start', { id: spec.name });
    h.extraPids.add(pid);
    client.close();
    engine.process.kill('SIGKILL');
    await engine.exited;
    await sleep(200);
    expect(isAlive(pid)).toBe(true); // nothing tied it to the engine
    await h.start();
    const ping = await (await h.client()).call('ping');
    expect(ping.recovered.reaped).toEqual([spec.name]);
    expect(isAlive(pid)).toBe(false);
  });

  it('exits by itself once nothing runs and no client is connected', async () => {
    const h = harness();
    const engine = await h.start();
    const client = await h.client();
    const spec = replicaSpec(h.project, 'once', { command: ['echo', 'bye'] });
    await client.call('create', { spec });
    await client.call('start', { id: spec.name });
    client.close();
    const t0 = Date.now();
    expect(await engine.exited).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    expect(existsSync(join(h.dir, 'engine.sock'))).toBe(false);
    expect(existsSync(join(h.dir, 'engine.pid'))).toBe(false);
    const state = JSON.parse(readFileSync(join(h.dir, 'state.json'), 'utf8'));
    expect(state.cleanShutdown).toBe(true);
    expect(state.replicas[0]).toMatchObject({ state: 'exited', exitCode: 0 });
    // Logs outlive the engine.
    expect(logLines(h.home, h.project, spec.name as string).map((l) => l.l)).toEqual(['bye']);
  });

  it('rotates a replica log at TUG_LOG_MAX_BYTES, keeping one generation', async () => {
    const h = harness();
    await h.start({ TUG_LOG_MAX_BYTES: '2000' });
    const client = await h.client();
    const spec = replicaSpec(h.project, 'chatty', { command: ['/bin/sh', '-c', 'i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); done'] });
    await client.call('create', { spec });
    await client.call('start', { id: spec.name });
    await waitFor(async () => (await replica(client, spec.name)).state === 'exited', 5_000, 'exit');
    const file = join(h.dir, 'logs', `${spec.name as string}.jsonl`);
    expect(statSync(file).size).toBeLessThanOrEqual(2000);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(2000);
    const older = readFileSync(`${file}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).l);
    const newer = logLines(h.home, h.project, spec.name as string).map((l) => l.l);
    const kept = [...older, ...newer];
    // What is kept is the end of the output, in order, without gaps.
    const first = Number(kept[0]!.slice(5));
    expect(kept).toEqual(Array.from({ length: 101 - first }, (_, i) => `line-${first + i}`));
  });

  it.skipIf(process.getuid?.() !== 0)('runs as the configured user, in a relative working_dir, under an init wrapper', async () => {
    const h = harness();
    const client = await running(h);
    // A directory the unprivileged user may enter (TUG_HOME is 0700).
    const projectDir = mkdtempSync(join(tmpdir(), 'tug-proj-'));
    h.extraDirs.add(projectDir);
    mkdirSync(join(projectDir, 'sub'));
    chmodSync(projectDir, 0o755);
    const who = replicaSpec(
      h.project,
      'who',
      { command: ['/bin/sh', '-c', 'id -u; id -g; pwd; echo $HOME; exit 7'], user: 'nobody:nogroup', working_dir: 'sub', init: true },
      { projectDir },
    );
    await client.call('create', { spec: who });
    await client.call('start', { id: who.name });
    const done = await waitFor(async () => {
      const r = await replica(client, who.name);
      return r.state === 'exited' && r;
    }, 5_000, 'exit');
    expect(done.exitCode).toBe(7); // the init wrapper passes the status through
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':');
    expect(logLines(h.home, h.project, who.name as string).map((l) => l.l)).toEqual([passwd[2], '65534', join(projectDir, 'sub'), passwd[5]]);

    // Under init, a stop signal reaches the command and the replica ends promptly.
    const sleeper = replicaSpec(h.project, 'sleeper', { command: ['sleep', '60'], init: true });
    await client.call('create', { spec: sleeper });
    await client.call('start', { id: sleeper.name });
    const t0 = Date.now();
    const stopped = await client.call('stop', { id: sleeper.name, timeoutMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(stopped.state).toBe('exited');
  });

  it('shutdown stops every replica and exits', async () => {
    const h = harness();
    const engine = await h.start();
    const client = await h.client();
    const spec = replicaSpec(h.project, 'svc', { command: ['sleep', '60'], stop_grace_period: '1s' });
    await client.call('create', { spec });
    const { pid } = await client.call('start', { id: spec.name });
    expect(await client.call('shutdown')).toBeNull();
    expect(await engine.exited).toBe(0);
    expect(isAlive(pid)).toBe(false);
  });
});
