// `tug --backend docker up -d` / `down -t 0` of one service scaled to N replicas
// of the local busybox test image running `sleep`, side by side in the same run
// with (a) the Engine's own limit: dockerode creating and starting the same
// containers on a network with 16 requests in flight, then removing them, and
// (b) docker-compose v1 when installed. Also `tug ps` with N containers and the
// number of Engine API calls tug makes per replica, counted by a small proxy on
// a Unix socket between tug and dockerd.
// Usage: node bench/docker-up.mjs [replicas=100] [runs=3]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { fmt, hasCommand, median, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
const IMAGE = 'tug-test/busybox:latest';
const CONCURRENCY = 16;
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;
const resultPath = join(root, 'bench/results/docker-up.json');
const dockerHost = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
const engineSocket = dockerHost.startsWith('unix://') ? dockerHost.slice('unix://'.length) : null;

const skip = preconditionFailure();
if (skip) {
  console.log(`docker-up benchmark skipped: ${skip}`);
  writeResult(resultPath, { skipped: skip });
  process.exit(0);
}

const home = mkdtempSync(join(tmpdir(), 'tug-bench-home-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-docker-'));
const composeFile = join(dir, 'compose.yaml');
writeFileSync(composeFile, `services:\n  tiny:\n    image: ${IMAGE}\n    command: ["sleep", "100000"]\n`);
const tugEnv = { TUG_HOME: home, NO_COLOR: '1' };
const scale = ['--scale', `tiny=${replicas}`];
const tugArgs = (project, ...args) => [tug, '--backend', 'docker', '--progress', 'quiet', '-p', project, '-f', composeFile, ...args];
const v1Args = (project, ...args) => ['-p', project, '-f', composeFile, ...args];
const haveV1 = hasCommand('docker-compose');

const samples = { tugUp: [], tugDown: [], rawUp: [], rawDown: [], v1Up: [], v1Down: [] };
let psTimes = { median: null };
let apiCalls = null;
const failures = [];
let rawRuns = 0;
const benchNetworks = () =>
  (spawnSync('docker', ['network', 'ls', '--filter', 'name=bench', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
const networksBefore = benchNetworks();
// A fresh project name for every up: should the engine leak a network (see
// rawEngine), the next runs do not trip over it. Every name is cleaned up at the end.
const used = { tug: [], v1: [] };
const fresh = (kind) => {
  const name = `bench${kind}${process.pid.toString(36)}x${used.tug.length + used.v1.length}`;
  used[kind].push(name);
  return name;
};

try {
  for (let i = 0; i < runs; i++) {
    try {
      const raw = await rawEngine(replicas);
      samples.rawUp.push(raw.upMs);
      samples.rawDown.push(raw.downMs);
    } catch (err) {
      failures.push(`raw Engine API: ${err?.message ?? err}`);
      await removeRaw(new Docker());
    }

    const project = fresh('tug');
    if (timed('tug up -d', samples.tugUp, 'node', tugArgs(project, 'up', '-d', ...scale))) {
      if (i === 0) psTimes = timeCommand('node', tugArgs(project, 'ps'), { runs: 5, cwd: dir, env: tugEnv });
      timed('tug down', samples.tugDown, 'node', tugArgs(project, 'down', '-t', '0'));
    }

    if (haveV1) {
      const v1Project = fresh('v1');
      timed('docker-compose up -d', samples.v1Up, 'docker-compose', v1Args(v1Project, 'up', '-d', ...scale));
      timed('docker-compose down', samples.v1Down, 'docker-compose', v1Args(v1Project, 'down', '-t', '0'));
    }
  }
  if (engineSocket) {
    apiCalls = {};
    if (samples.tugUp.length) {
      const project = fresh('tug');
      apiCalls.tug = await countApiCalls(['node', tugArgs(project, 'up', '-d', ...scale)], ['node', tugArgs(project, 'down', '-t', '0')]);
    }
    if (samples.v1Up.length) {
      const project = fresh('v1');
      apiCalls.composeV1 = await countApiCalls(['docker-compose', v1Args(project, 'up', '-d', ...scale)], ['docker-compose', v1Args(project, 'down', '-t', '0')]);
    }
  }
} finally {
  for (const project of used.tug) spawnSync('node', tugArgs(project, 'down', '-t', '0'), { cwd: dir, env: { ...process.env, ...tugEnv } });
  for (const project of used.v1) spawnSync('docker-compose', v1Args(project, 'down', '-t', '0'), { cwd: dir });
  await removeRaw(new Docker());
  const leaked = benchNetworks().filter((n) => !networksBefore.includes(n));
  if (leaked.length) failures.push(`networks the engine could not remove (stale endpoints; gone after a dockerd restart): ${leaked.join(', ')}`);
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

const m = (xs) => (xs.length ? median(xs) : null);
const result = {
  replicas,
  runs,
  concurrency: CONCURRENCY,
  tugUpMs: m(samples.tugUp),
  tugDownMs: m(samples.tugDown),
  rawUpMs: m(samples.rawUp),
  rawDownMs: m(samples.rawDown),
  composeV1UpMs: m(samples.v1Up),
  composeV1DownMs: m(samples.v1Down),
  tugPsMs: psTimes.median,
  upRatioTugVsRaw: ratio(m(samples.tugUp), m(samples.rawUp)),
  upRatioComposeV1VsTug: ratio(m(samples.v1Up), m(samples.tugUp)),
  downRatioTugVsRaw: ratio(m(samples.tugDown), m(samples.rawDown)),
  downRatioComposeV1VsTug: ratio(m(samples.v1Down), m(samples.tugDown)),
  apiCalls,
  failures,
  samples,
};

const x = (r) => (r === null ? 'n/a' : `${r.toFixed(2)}x`);
console.log(`docker backend, ${replicas} replicas of ${IMAGE} "sleep", median of ${runs} runs`);
console.log(`  tug up -d                    ${fmt(result.tugUpMs)}`);
console.log(`  tug down -t 0                ${fmt(result.tugDownMs)}`);
console.log(`  raw Engine API, ${CONCURRENCY} in flight  up ${fmt(result.rawUpMs)}, down ${fmt(result.rawDownMs)}`);
console.log(`  docker-compose v1            ${haveV1 ? `up ${fmt(result.composeV1UpMs)}, down ${fmt(result.composeV1DownMs)}` : 'not installed'}`);
console.log(`  tug ps with ${replicas}              ${fmt(result.tugPsMs)}   (target < 200 ms)`);
console.log(`  up: tug / raw                ${x(result.upRatioTugVsRaw)}   (target <= 1.15x)`);
console.log(`  up: docker-compose v1 / tug  ${x(result.upRatioComposeV1VsTug)}   (target >= 1.3x)`);
console.log(`  down: tug / raw              ${x(result.downRatioTugVsRaw)};  docker-compose v1 / tug ${x(result.downRatioComposeV1VsTug)}`);
for (const [who, calls] of Object.entries(apiCalls ?? {})) {
  console.log(`  Engine API calls per replica, ${who}: up ${calls.upPerReplica.toFixed(2)}, down ${calls.downPerReplica.toFixed(2)} (${calls.up} and ${calls.down} in all)`);
  const top = (routes) => Object.entries(routes).slice(0, 6).map(([route, n]) => `${n} ${route}`).join(', ');
  console.log(`      up:   ${top(calls.upRoutes)}`);
  console.log(`      down: ${top(calls.downRoutes)}`);
}
for (const f of failures) console.log(`  failed: ${f}`);
writeResult(resultPath, result);

// ---------------------------------------------------------------------------

function preconditionFailure() {
  if (spawnSync('docker', ['info'], { encoding: 'utf8' }).status !== 0) return 'no Docker Engine answers (run `bash scripts/setup-docker.sh`)';
  if (spawnSync('docker', ['image', 'inspect', IMAGE], { encoding: 'utf8' }).status !== 0) return `image ${IMAGE} is missing (run \`bash scripts/setup-docker.sh\`)`;
  return null;
}

function timed(what, into, cmd, args) {
  const r = timeCommand(cmd, args, { runs: 1, cwd: dir, env: tugEnv });
  if (r.median === null) {
    const failure = `${what}: ${r.failure}`;
    if (!failures.includes(failure)) failures.push(failure);
    return false;
  }
  into.push(r.median);
  return true;
}

function ratio(a, b) {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** Run `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What the Engine can do: the same containers, on a network as Compose puts them, created and started directly. */
async function rawEngine(n) {
  const docker = new Docker();
  // A fresh network per run: Engine 20.10 can keep a stale endpoint after a burst of
  // forced removals, and then refuses to remove that network ("has active endpoints").
  const network = `benchraw${process.pid}x${rawRuns++}_default`;
  const ids = [];
  let t = process.hrtime.bigint();
  await docker.createNetwork({ Name: network, Labels: { 'org.tug.bench': 'raw' } });
  await pool(Array.from({ length: n }, (_, i) => i + 1), CONCURRENCY, async (i) => {
    const c = await docker.createContainer({
      name: `benchraw-tiny-${i}`,
      Image: IMAGE,
      Cmd: ['sleep', '100000'],
      Labels: { 'org.tug.bench': 'raw' },
      HostConfig: { NetworkMode: network },
    });
    ids.push(c.id);
    await c.start();
  });
  const upMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  await pool(ids, CONCURRENCY, (id) => docker.getContainer(id).remove({ force: true }));
  const removed = await docker.getNetwork(network).remove().then(() => true, () => false);
  const downMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (!removed) {
    await removeNetwork(docker, network).catch((err) => failures.push(`raw Engine API: ${err?.message ?? err} (an engine bug; the timing stands)`));
  }
  return { upMs, downMs };
}

async function removeRaw(docker) {
  try {
    const left = await docker.listContainers({ all: true, filters: { label: ['org.tug.bench=raw'] } });
    await pool(left, CONCURRENCY, (c) => docker.getContainer(c.Id).remove({ force: true }));
    const nets = await docker.listNetworks({ filters: { label: ['org.tug.bench=raw'] } });
    for (const net of nets) await removeNetwork(docker, net.Id).catch(() => {});
  } catch {
    /* the engine went away; nothing more to clean */
  }
}

/** The engine may still be detaching endpoints of containers it just removed: retry for a few seconds. */
async function removeNetwork(docker, network) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await docker.getNetwork(network).remove();
    } catch (err) {
      if (attempt >= 50 || !/active endpoints/.test(String(err?.message))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** One untimed up and down through a counting proxy in front of the engine's socket. */
async function countApiCalls([upCmd, upArgs], [downCmd, downArgs]) {
  const socket = join(dir, 'engine-proxy.sock');
  const requests = [];
  const server = createServer((client) => {
    const upstream = createConnection(engineSocket);
    let carry = '';
    client.on('data', (chunk) => {
      // Request lines as they pass. A chunk boundary may split one, so what follows
      // the last complete request line is kept for the next chunk.
      const text = carry + chunk.toString('latin1');
      let end = 0;
      for (const match of text.matchAll(/(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g)) {
        requests.push(`${match[1]} ${match[2]}`);
        end = match.index + match[0].length;
      }
      carry = text.slice(Math.max(end, text.length - 2048));
    });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise((resolve) => server.listen(socket, resolve));
  const env = { ...tugEnv, DOCKER_HOST: `unix://${socket}` };
  try {
    const up = await runAsync(upCmd, upArgs, env);
    const upRequests = requests.splice(0);
    const down = await runAsync(downCmd, downArgs, env);
    const downRequests = requests.splice(0);
    if (up !== 0 || down !== 0) failures.push(`counting API calls of ${upCmd}: up exited ${up}, down ${down}`);
    return {
      up: upRequests.length,
      down: downRequests.length,
      upPerReplica: upRequests.length / replicas,
      downPerReplica: downRequests.length / replicas,
      upRoutes: routes(upRequests),
      downRoutes: routes(downRequests),
    };
  } finally {
    server.close();
  }
}

/** Requests by route, ids and names folded, most frequent first. */
function routes(requests) {
  const counts = {};
  for (const r of requests) {
    const route = r
      .replace(/\?.*$/, '')
      .replace(/^(\S+ )\/v[\d.]+\//, '$1/')
      .replace(/\/images\/(?!(?:create|json|prune|load|search)$).+\/(json|history|tag|push|get)$/, '/images/{ref}/$1')
      .replace(/\/(containers|networks|volumes|exec)\/(?!(?:create|json|prune)(?:\/|$))[^/]+/, '/$1/{id}');
    counts[route] = (counts[route] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

function runAsync(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) failures.push(`${args.slice(-3).join(' ')}: ${err.trim().split('\n').slice(-2).join(' | ')}`);
      resolve(code);
    });
  });
}
