// Requests per second and p99 latency through tug's published-port proxy to
// 10 replicas, next to a direct connection to one replica, measured in the
// same run with the same load generator, rounds interleaved. Target: the
// proxy keeps at least 70% of direct throughput. Prints figures and writes
// bench/results/proxy.json; never fails on time.
//
// The load generator is wrk (Debian: `apt-get install -y wrk`), else
// bench/load-http.mjs, which costs far more CPU per request than wrk.
//
// Beside the rates it prints the CPU each process spent per request (Linux:
// /proc): on a small machine the three processes (load generator, proxy,
// replicas) share the cores, so the proxied rate is bounded by the sum of
// their costs per request while the direct one pays no proxy. That sum, and
// the machine's load average, say how much of a low ratio is the relay and
// how much is the machine. Usage: node bench/proxy.mjs [runs=3] [seconds=5] [connections=32]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { hasCommand, median, writeResult } from './lib.mjs';

const [runs = 3, seconds = 5, connections = 32] = process.argv.slice(2).map(Number);
const here = fileURLToPath(new URL('.', import.meta.url));
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function start(script, args) {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = await once(child.stdout, 'data');
  return { pid: child.pid, value: JSON.parse(String(line).trim()) };
}

// CPU seconds from /proc/<pid>/stat: utime+stime of a running process, or
// cutime+cstime of our reaped children (the load generator, run with spawnSync).
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
function cpuSeconds(pid, reapedChildren = false) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const [a, b] = reapedChildren ? [fields[13], fields[14]] : [fields[11], fields[12]];
    return (Number(a) + Number(b)) / TICK;
  } catch {
    return NaN;
  }
}

const useWrk = hasCommand('wrk');
function load(port) {
  if (useWrk) {
    const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
    const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(r.stdout);
    const scale = { us: 0.001, ms: 1, s: 1000 };
    return { rps, p99: p99 ? Number(p99[1]) * scale[p99[2]] : null };
  }
  const r = spawnSync(process.execPath, [join(here, 'load-http.mjs'), String(port), String(connections), String(seconds)], { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

/** One load run, with the CPU microseconds per request of each process involved. */
function measure(port, proxyPid) {
  const before = [cpuSeconds('self', true), cpuSeconds(backends.pid), proxyPid ? cpuSeconds(proxyPid) : 0];
  const r = load(port);
  const after = [cpuSeconds('self', true), cpuSeconds(backends.pid), proxyPid ? cpuSeconds(proxyPid) : 0];
  const perRequest = (i) => Math.round(((after[i] - before[i]) / (r.rps * seconds)) * 1e6);
  return { ...r, cpuUsPerRequest: { loadGenerator: perRequest(0), replicas: perRequest(1), proxy: perRequest(2) } };
}

const backends = await start('http-backends.mjs', ['10']);
const proxy = await start('proxy-server.mjs', [JSON.stringify(backends.value)]);
const loadBefore = loadavg()[0];
const direct = [];
const proxied = [];
for (let i = 0; i < runs; i++) {
  direct.push(measure(backends.value[0]));
  proxied.push(measure(proxy.value, proxy.pid));
}
const loadAfter = loadavg()[0];
const cpu = (xs, k) => median(xs.map((x) => x.cpuUsPerRequest[k]));
const summary = (xs) => ({
  rps: median(xs.map((x) => x.rps)),
  p99Ms: median(xs.map((x) => x.p99)),
  cpuUsPerRequest: { loadGenerator: cpu(xs, 'loadGenerator'), replicas: cpu(xs, 'replicas'), proxy: cpu(xs, 'proxy') },
});
const d = summary(direct);
const p = summary(proxied);
const ratio = p.rps / d.rps;
const costs = (s) => `CPU per request: load generator ${s.cpuUsPerRequest.loadGenerator} us, replicas ${s.cpuUsPerRequest.replicas} us, proxy ${s.cpuUsPerRequest.proxy} us`;
console.log(`load generator: ${useWrk ? 'wrk' : 'bench/load-http.mjs'}, ${connections} connections, ${seconds} s x ${runs}; load average ${loadBefore.toFixed(2)} -> ${loadAfter.toFixed(2)}`);
console.log(`direct to 1 replica:      ${d.rps.toFixed(0)} req/s, p99 ${d.p99Ms.toFixed(2)} ms; ${costs(d)}`);
console.log(`proxy to 10 replicas:     ${p.rps.toFixed(0)} req/s, p99 ${p.p99Ms.toFixed(2)} ms; ${costs(p)}`);
console.log(`proxy / direct:           ${(ratio * 100).toFixed(0)}% (target >= 70%)`);
const total = (s) => s.cpuUsPerRequest.loadGenerator + s.cpuUsPerRequest.replicas + s.cpuUsPerRequest.proxy;
console.log(`CPU per request, all processes: direct ${total(d)} us, proxied ${total(p)} us: where the cores are the limit, proxy / direct tends to ${((total(d) / total(p)) * 100).toFixed(0)}%`);
writeResult(join(here, 'results/proxy.json'), {
  date: new Date().toISOString(),
  loadGenerator: useWrk ? 'wrk' : 'load-http',
  connections,
  seconds,
  runs,
  loadAverage: { before: loadBefore, after: loadAfter },
  direct: d,
  proxy: p,
  ratio,
  samples: { direct, proxied },
});
process.exit(0);
