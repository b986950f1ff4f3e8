// Published ports as a user meets them: `tug --isolation container up` of 10
// container replicas of a small HTTP server (the host's node, in each
// replica's own network namespace), published on one port; requests per
// second and p99 latency through that port, forwarded by the kernel (DNAT,
// the default as root with nft), and through the same port of a second,
// identical project whose engine relays in user space (TUG_PORT_FORWARD=proxy,
// sharing the engine's loop with health checks and logs); next to a direct
// connection to one replica's address. Same run, rounds interleaved; the
// engine's CPU per request too. Complements bench/proxy.mjs (the relay alone,
// no root).
//
// "Direct to one replica" is the issue's peer, but at 10 replicas it also
// measures something else: one busy server process against ten that each
// wake for a tenth of the requests, which on a small, loaded machine costs
// more than the proxy hop. So with more than one replica the bench also runs
// the same load with wrk's threads spread over the replicas' own addresses
// (one thread per replica, a wrk Lua setup hook) beside the published ports
// with as many threads: the same replicas, with and without forwarding.
// Needs root, runc and wrk (Debian: `apt-get install -y wrk`); prints a reason
// and exits 0 without them. Writes bench/results/proxy-containers.json; never
// fails on time. Usage (root): node bench/proxy-containers.mjs [runs=3] [seconds=5] [connections=32] [replicas=10] [wrk threads=1]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../dist/timers.js';
import { hasCommand, median, tugBinPath, writeResult } from './lib.mjs';

const [runs = 3, seconds = 5, connections = 32, replicas = 10, wrkThreads = 1] = process.argv.slice(2).map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const resultPath = join(root, 'bench/results/proxy-containers.json');
const missing = [process.getuid?.() !== 0 && 'root', !hasCommand('runc') && 'runc', !hasCommand('wrk') && 'wrk'].filter(Boolean);
if (missing.length > 0) {
  console.log(`proxy-containers benchmark skipped: needs ${missing.join(', ')}`);
  writeResult(resultPath, { skipped: `needs ${missing.join(', ')}` });
  process.exit(0);
}

const SERVER = "require('http').createServer((q,s)=>{s.setHeader('content-type','text/plain');s.end(require('os').hostname()+'\\n')}).listen(8080)";
const home = mkdtempSync(join(tmpdir(), 'tug-bench-proxy-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-proxy-project-'));
/** The kernel-forwarded project and the relayed one (same file, same replicas). */
const projects = { kernel: `benchdnat${process.pid}`, relay: `benchrelay${process.pid}` };
writeFileSync(
  join(dir, 'compose.yaml'),
  `services:
  web:
    command: ${JSON.stringify([process.execPath, '-e', SERVER])}
    deploy: {replicas: ${replicas}}
    ports: ["127.0.0.1::8080"]
`,
);
const tug = (project, ...args) =>
  spawnSync(process.execPath, [tugBinPath, '--isolation', 'container', '--progress', 'quiet', '-p', project, ...args], {
    cwd: dir,
    env: { ...process.env, TUG_HOME: home, TUG_PORT_FORWARD: project === projects.relay ? 'proxy' : 'auto' },
    encoding: 'utf8',
  });

function wrk(url, { threads = wrkThreads, script } = {}) {
  const r = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(r.stdout);
  const scale = { us: 0.001, ms: 1, s: 1000 };
  return { rps, p99: p99 ? Number(p99[1]) * scale[p99[2]] : null };
}

/** One GET on a connection of its own (the proxy picks a replica per connection); the body, '' on failure. */
function getOnce(port) {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => resolve(body)).on('error', () => resolve(''));
    });
    req.on('error', () => resolve(''));
  });
}

function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The published port, the replicas' addresses and the engine's pid of a project that is up; every replica answered through the port. */
async function prepare(project) {
  const up = tug(project, 'up', '-d');
  if (up.status !== 0) throw new Error(`tug up failed: ${up.stderr}`);
  const port = Number(tug(project, 'port', 'web', '8080').stdout.trim().split(':')[1]);
  const rows = tug(project, 'ps', '--format', 'json').stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const addresses = rows.map((r) => Object.values(r.Addresses)[0]);
  const address = Object.values(rows.find((r) => r.Name === `${project}-web-1`).Addresses)[0];
  const engine = Number(readFileSync(join(home, 'projects', project, 'engine.pid'), 'utf8').trim().split(/\s/)[0]);
  const seen = new Set();
  for (let i = 0; i < 400 && seen.size < replicas; i++) {
    const body = await getOnce(port);
    if (body) seen.add(body);
    else await sleep(50);
  }
  if (seen.size < replicas) throw new Error(`only ${seen.size} of ${replicas} replicas of ${project} answered through port ${port}`);
  return { port, addresses, address, engine };
}

try {
  const kernel = await prepare(projects.kernel);
  const relay = await prepare(projects.relay);
  const forwarded = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).stdout ?? '';
  if (!forwarded.includes(`tcp dport ${kernel.port} dnat`)) console.log(`note: port ${kernel.port} is not forwarded by the kernel here (no nft?); both rows measure the relay`);
  // The fair peer at N replicas: wrk's N threads each on its own replica's address (a wrk Lua setup hook).
  const spread = join(dir, 'spread.lua');
  writeFileSync(spread, `local hosts = {${kernel.addresses.map((a) => `"${a}"`).join(', ')}}\nlocal n = 0\nfunction setup(thread)\n  n = n + 1\n  thread.addr = wrk.lookup(hosts[(n - 1) % #hosts + 1], "8080")[1]\nend\n`);
  const uptimeBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  const loadBefore = loadavg()[0];
  const through = ({ port, engine }, opts) => {
    const before = cpuSeconds(engine);
    const r = wrk(`http://127.0.0.1:${port}/`, opts);
    return { ...r, engineCpuUsPerRequest: Math.round(((cpuSeconds(engine) - before) / (r.rps * seconds)) * 1e6) };
  };
  const threads = Math.min(replicas, connections);
  const ways = {
    direct: () => wrk(`http://${kernel.address}:8080/`),
    kernel: () => through(kernel),
    relay: () => through(relay),
    ...(replicas > 1
      ? {
          spreadDirect: () => wrk(`http://${kernel.address}:8080/`, { threads, script: spread }),
          spreadKernel: () => through(kernel, { threads }),
          spreadRelay: () => through(relay, { threads }),
        }
      : {}),
  };
  const samples = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, measure] of Object.entries(ways)) samples[k].push(measure());
  const loadAfter = loadavg()[0];
  const summary = (xs) => ({
    rps: median(xs.map((x) => x.rps)),
    p99Ms: median(xs.map((x) => x.p99)),
    ...(xs[0]?.engineCpuUsPerRequest !== undefined ? { engineCpuUsPerRequest: median(xs.map((x) => x.engineCpuUsPerRequest)) } : {}),
  });
  const s = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, summary(xs)]));
  const pct = (a, b) => `${((a.rps / b.rps) * 100).toFixed(0)}%`;
  const row = (label, x) => console.log(`${label.padEnd(46)} ${x.rps.toFixed(0).padStart(6)} req/s, p99 ${x.p99Ms.toFixed(2)} ms${x.engineCpuUsPerRequest !== undefined ? `; engine CPU ${x.engineCpuUsPerRequest} us/request` : ''}`);
  console.log(`wrk -t${wrkThreads}, ${connections} connections, ${seconds} s x ${runs} rounds, medians; load average ${loadBefore.toFixed(2)} -> ${loadAfter.toFixed(2)}`);
  row('direct to 1 container replica', s.direct);
  row(`published port to ${replicas}, kernel DNAT`, s.kernel);
  row(`published port to ${replicas}, engine relay`, s.relay);
  console.log(`kernel / direct: ${pct(s.kernel, s.direct)} (target >= 70%); relay / direct: ${pct(s.relay, s.direct)}`);
  if (s.spreadDirect) {
    row(`wrk -t${threads}, direct, thread i on replica i`, s.spreadDirect);
    row(`wrk -t${threads}, published port, kernel DNAT`, s.spreadKernel);
    row(`wrk -t${threads}, published port, engine relay`, s.spreadRelay);
    console.log(`over the same ${replicas} replicas: kernel / direct ${pct(s.spreadKernel, s.spreadDirect)}, relay / direct ${pct(s.spreadRelay, s.spreadDirect)}`);
  }
  writeResult(resultPath, {
    date: new Date().toISOString(),
    replicas,
    connections,
    wrkThreads,
    seconds,
    runs,
    loadAverage: { before: loadBefore, after: loadAfter, procLoadavgBefore: uptimeBefore },
    direct: s.direct,
    kernel: s.kernel,
    relay: s.relay,
    ratio: { kernel: s.kernel.rps / s.direct.rps, relay: s.relay.rps / s.direct.rps },
    spread: s.spreadDirect ? { direct: s.spreadDirect, kernel: s.spreadKernel, relay: s.spreadRelay } : undefined,
    samples,
  });
} finally {
  for (const project of Object.values(projects)) tug(project, 'down');
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
