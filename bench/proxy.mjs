// Requests per second and p99 latency through tug's published-port proxy to
// 10 replicas, next to a direct connection to one replica, measured in the
// same run with the same load generator (wrk when installed, else
// bench/load-http.mjs). Target: the proxy keeps at least 70% of direct
// throughput. Prints figures and writes bench/results/proxy.json; never fails
// on time. Usage: node bench/proxy.mjs [runs=3] [seconds=5] [connections=32]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
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
  return JSON.parse(String(line).trim());
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

const backends = await start('http-backends.mjs', ['10']);
const proxyPort = await start('proxy-server.mjs', [JSON.stringify(backends)]);
const direct = [];
const proxied = [];
for (let i = 0; i < runs; i++) {
  direct.push(load(backends[0]));
  proxied.push(load(proxyPort));
}
const summary = (xs) => ({ rps: median(xs.map((x) => x.rps)), p99Ms: median(xs.map((x) => x.p99)) });
const d = summary(direct);
const p = summary(proxied);
const ratio = p.rps / d.rps;
console.log(`load generator: ${useWrk ? 'wrk' : 'bench/load-http.mjs'}, ${connections} connections, ${seconds} s x ${runs}`);
console.log(`direct to 1 replica:      ${d.rps.toFixed(0)} req/s, p99 ${d.p99Ms.toFixed(2)} ms`);
console.log(`proxy to 10 replicas:     ${p.rps.toFixed(0)} req/s, p99 ${p.p99Ms.toFixed(2)} ms`);
console.log(`proxy / direct:           ${(ratio * 100).toFixed(0)}% (target >= 70%)`);
writeResult(join(here, 'results/proxy.json'), { date: new Date().toISOString(), loadGenerator: useWrk ? 'wrk' : 'load-http', connections, seconds, runs, direct: d, proxy: p, ratio, samples: { direct, proxied } });
process.exit(0);
