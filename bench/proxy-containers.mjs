// The published-port proxy as a user meets it: `tug --isolation container up`
// of 10 container replicas of a small HTTP server (the host's node, in each
// replica's own network namespace), published on one port; requests per
// second and p99 latency through that port (the engine's proxy, sharing the
// engine's loop with health checks and logs) next to a direct connection to
// one replica's address, same run, rounds interleaved. Also the engine's CPU
// per proxied request. Complements bench/proxy.mjs (the proxy alone, no root).
//
// "Direct to one replica" is the issue's peer, but at 10 replicas it also
// measures something else: one busy server process against ten that each
// wake for a tenth of the requests, which on a small, loaded machine costs
// more than the proxy hop. So with more than one replica the bench also runs
// the same load with wrk's threads spread over the replicas' own addresses
// (one thread per replica, a wrk Lua setup hook) beside the published port
// with as many threads: the same replicas, with and without the proxy.
// Needs root, runc and wrk (Debian: `apt-get install -y wrk`); prints a reason
// and exits 0 without them. Writes bench/results/proxy-containers.json; never
// fails on time. Usage (root): node bench/proxy-containers.mjs [runs=3] [seconds=5] [connections=32] [replicas=10]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../dist/timers.js';
import { hasCommand, median, writeResult } from './lib.mjs';

const [runs = 3, seconds = 5, connections = 32, replicas = 10] = process.argv.slice(2).map(Number);
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
const project = `benchproxy${process.pid}`;
writeFileSync(
  join(dir, 'compose.yaml'),
  `services:
  web:
    command: ${JSON.stringify([process.execPath, '-e', SERVER])}
    deploy: {replicas: ${replicas}}
    ports: ["127.0.0.1::8080"]
`,
);
const tug = (...args) =>
  spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), '--isolation', 'container', '--progress', 'quiet', '-p', project, ...args], {
    cwd: dir,
    env: { ...process.env, TUG_HOME: home },
    encoding: 'utf8',
  });

function wrk(url, { threads = 1, script } = {}) {
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

try {
  const up = tug('up', '-d');
  if (up.status !== 0) throw new Error(`tug up failed: ${up.stderr}`);
  const port = Number(tug('port', 'web', '8080').stdout.trim().split(':')[1]);
  const rows = tug('ps', '--format', 'json').stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const addresses = rows.map((r) => Object.values(r.Addresses)[0]);
  const address = Object.values(rows.find((r) => r.Name === `${project}-web-1`).Addresses)[0];
  // The fair peer at N replicas: wrk's N threads each on its own replica's address (a wrk Lua setup hook).
  const spread = join(dir, 'spread.lua');
  writeFileSync(spread, `local hosts = {${addresses.map((a) => `"${a}"`).join(', ')}}\nlocal n = 0\nfunction setup(thread)\n  n = n + 1\n  thread.addr = wrk.lookup(hosts[(n - 1) % #hosts + 1], "8080")[1]\nend\n`);
  const engine = Number(readFileSync(join(home, 'projects', project, 'engine.pid'), 'utf8').trim().split(/\s/)[0]);
  // Every replica answers through the port before anything is measured.
  const seen = new Set();
  for (let i = 0; i < 400 && seen.size < replicas; i++) {
    const body = await getOnce(port);
    if (body) seen.add(body);
    else await sleep(50);
  }
  if (seen.size < replicas) throw new Error(`only ${seen.size} of ${replicas} replicas answered through port ${port}`);
  const loadBefore = loadavg()[0];
  const direct = [];
  const proxied = [];
  const spreadDirect = [];
  const spreadProxied = [];
  const throughEngine = (opts) => {
    const before = cpuSeconds(engine);
    const r = wrk(`http://127.0.0.1:${port}/`, opts);
    return { ...r, engineCpuUsPerRequest: Math.round(((cpuSeconds(engine) - before) / (r.rps * seconds)) * 1e6) };
  };
  const threads = Math.min(replicas, connections);
  for (let i = 0; i < runs; i++) {
    direct.push(wrk(`http://${address}:8080/`));
    proxied.push(throughEngine());
    if (replicas > 1) {
      spreadDirect.push(wrk(`http://${address}:8080/`, { threads, script: spread }));
      spreadProxied.push(throughEngine({ threads }));
    }
  }
  const loadAfter = loadavg()[0];
  const summary = (xs) => ({ rps: median(xs.map((x) => x.rps)), p99Ms: median(xs.map((x) => x.p99)) });
  const d = summary(direct);
  const p = { ...summary(proxied), engineCpuUsPerRequest: median(proxied.map((x) => x.engineCpuUsPerRequest)) };
  const ratio = p.rps / d.rps;
  const sd = replicas > 1 ? summary(spreadDirect) : undefined;
  const sp = replicas > 1 ? { ...summary(spreadProxied), engineCpuUsPerRequest: median(spreadProxied.map((x) => x.engineCpuUsPerRequest)) } : undefined;
  console.log(`wrk, ${connections} connections, ${seconds} s x ${runs}; load average ${loadBefore.toFixed(2)} -> ${loadAfter.toFixed(2)}`);
  console.log(`direct to 1 container replica:        ${d.rps.toFixed(0)} req/s, p99 ${d.p99Ms.toFixed(2)} ms`);
  console.log(`published port to ${String(replicas).padEnd(2)} (engine proxy): ${p.rps.toFixed(0)} req/s, p99 ${p.p99Ms.toFixed(2)} ms; engine CPU ${p.engineCpuUsPerRequest} us per request`);
  console.log(`proxy / direct:                      ${(ratio * 100).toFixed(0)}% (target >= 70%)`);
  if (sd && sp) {
    console.log(`wrk -t${threads}, direct, thread i on replica i:  ${sd.rps.toFixed(0)} req/s, p99 ${sd.p99Ms.toFixed(2)} ms`);
    console.log(`wrk -t${threads}, published port:             ${sp.rps.toFixed(0)} req/s, p99 ${sp.p99Ms.toFixed(2)} ms; engine CPU ${sp.engineCpuUsPerRequest} us per request`);
    console.log(`proxy / direct over the same ${replicas} replicas: ${((sp.rps / sd.rps) * 100).toFixed(0)}%`);
  }
  writeResult(resultPath, {
    date: new Date().toISOString(),
    replicas,
    connections,
    seconds,
    runs,
    loadAverage: { before: loadBefore, after: loadAfter },
    direct: d,
    proxy: p,
    ratio,
    spread: sd && sp ? { direct: sd, proxy: sp, ratio: sp.rps / sd.rps } : undefined,
    samples: { direct, proxied, spreadDirect, spreadProxied },
  });
} finally {
  tug('down');
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
