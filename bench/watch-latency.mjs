// Edit-to-visible latency of tug watch: from a file written on the host to the
// new content served by the replica over HTTP, p50 and p95 over N edits, per
// backend and mode: native process mode (a node server restarted by the rule,
// since it reads its text once at start; and a sync within the project
// directory to a server that reads the file per request), native container
// mode (busybox httpd in a container rooted in the image, tug's store holding
// it from `docker save`, the file synced into the container's own file
// system), and docker (the same httpd, the file synced into its container).
// The peer measured in the same run is tug itself with
// Compose's 500 ms quiet window (`x-tug.watch.debounce: 500ms`), which is what
// `docker compose watch` waits before acting; `docker compose watch` itself is
// reported when it is installed (docker-compose v1 has no watch).
// Usage: npm run build && node bench/watch-latency.mjs [edits=50]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, hasCommand, tugBinPath, writeResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tugBin = tugBinPath;
const edits = Number(process.argv[2] ?? 50);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Reads the file per request: only a sync is needed to serve a new text.
const FILE_SERVER = `const http = require('node:http');
http.createServer((q, s) => s.end(require('node:fs').readFileSync(__dirname + '/www/text.txt', 'utf8'))).listen(Number(process.env.PORT), '127.0.0.1');
`;

const SERVER = `const http = require('node:http');
const text = require('node:fs').readFileSync(__dirname + '/text.txt', 'utf8');
http.createServer((q, s) => s.end(text)).listen(Number(process.env.PORT), '127.0.0.1');
`;

const setups = {
  native: (port, debounce) => ({
    backend: 'native',
    files: {
      'compose.yaml': `services:\n  web:\n    command: ["node", "src/server.js"]\n    environment: { PORT: "${port}" }\n    develop:\n      watch:\n        - { path: ./src, action: restart, ignore: [server.js] }\nx-tug: { watch: { debounce: ${debounce} } }\n`,
      'src/server.js': SERVER,
      'src/text.txt': 'start',
    },
    edited: 'src/text.txt',
  }),
  'native process, sync': (port, debounce) => ({
    backend: 'native',
    files: {
      'compose.yaml': `services:\n  web:\n    command: ["node", "server.js"]\n    environment: { PORT: "${port}" }\n    develop:\n      watch:\n        - { path: ./html, target: ./www, action: sync }\nx-tug: { watch: { debounce: ${debounce} } }\n`,
      'server.js': FILE_SERVER,
      'html/text.txt': 'start',
      'www/text.txt': 'start',
    },
    edited: 'html/text.txt',
  }),
  'native container': (port, debounce) => ({
    backend: 'native',
    image: true,
    files: { ...busyboxSync(port, debounce) },
    edited: 'html/text.txt',
  }),
  docker: (port, debounce) => ({
    backend: 'docker',
    files: busyboxSync(port, debounce),
    edited: 'html/text.txt',
  }),
};

/** busybox httpd serving /www, which a sync rule fills (initially too). */
function busyboxSync(port, debounce) {
  return {
    'compose.yaml': `services:\n  web:\n    image: tug-test/busybox:latest\n    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]\n    stop_signal: SIGKILL\n    ports: ["127.0.0.1:${port}:8080"]\n    develop:\n      watch:\n        - { path: ./html, target: /www, action: sync, initial_sync: true }\nx-tug: { watch: { debounce: ${debounce} } }\n`,
    'html/text.txt': 'start',
  };
}

const results = { edits, load: loadavg(), runs: {}, composeWatch: composeWatchAvailability() };
for (const backend of Object.keys(setups)) {
  if ((backend === 'docker' || backend === 'native container') && !dockerUsable()) {
    results.runs[backend] = { skipped: 'no Docker Engine, or no tug-test/busybox image (bash scripts/setup-docker.sh)' };
    continue;
  }
  for (const [label, debounce] of [['tug', '50ms'], ['tug, 500 ms window (Compose\'s)', '500ms']]) {
    const key = `${backend}: ${label}`;
    try {
      results.runs[key] = await measure(setups[backend](await freePort(), debounce));
    } catch (err) {
      results.runs[key] = { failure: err.message };
    }
  }
}

console.log(`tug watch: edit on the host → new content served over HTTP, ${edits} edits; load: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [key, r] of Object.entries(results.runs)) {
  if (r.skipped || r.failure) console.log(`  ${key.padEnd(56)} ${r.skipped ? `skipped: ${r.skipped}` : `failed: ${r.failure}`}`);
  else console.log(`  ${key.padEnd(56)} p50 ${fmt(r.p50).padStart(7)}   p95 ${fmt(r.p95).padStart(7)}`);
}
console.log(`  docker compose watch: ${results.composeWatch}`);
writeResult(join(root, 'bench/results/watch-latency.json'), results);

async function measure(setup) {
  const dir = mkdtempSync(join(tmpdir(), 'tug-bench-watch-latency-'));
  const home = mkdtempSync(join(tmpdir(), 'tug-bench-home-'));
  const project = `wl${process.pid}${Date.now().toString(36)}`;
  for (const [rel, text] of Object.entries(setup.files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const env = { ...process.env, TUG_HOME: home, NO_COLOR: '1' };
  if (setup.image) {
    // The image in tug's store (from `docker save`), so the native replica is a container rooted in it.
    const archive = join(home, 'image.tar');
    spawnSync('docker', ['save', 'tug-test/busybox:latest', '-o', archive], { stdio: 'ignore' });
    const load = spawnSync(process.execPath, [tugBin, 'image', 'load', '-i', archive], { env, encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`tug image load: ${load.stderr.trim()}`);
  }
  const args = ['--', tugBin, '--backend', setup.backend, '-p', project, '--progress', 'json'];
  const port = Number(/(?:PORT: "|127\.0\.0\.1:)(\d+)/.exec(setup.files['compose.yaml'])[1]);
  const watch = spawn(process.execPath, [...args, 'watch'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  watch.stderr.on('data', (d) => (stderr += d));
  try {
    await until(() => stderr.includes('"type":"watching"'), 60_000, () => stderr);
    await until(async () => (await get(port)) === 'start', 30_000, () => 'the replica serving');
    const samples = [];
    for (let i = 0; i < edits; i++) {
      const text = `edit ${i}`;
      const start = performance.now();
      writeFileSync(join(dir, setup.edited), text);
      await until(async () => (await get(port)) === text, 30_000, () => `edit ${i} to be served`, 2);
      samples.push(performance.now() - start);
      await sleep(50);
    }
    samples.sort((a, b) => a - b);
    return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), samples: samples.map((s) => Math.round(s * 10) / 10) };
  } finally {
    watch.kill('SIGINT');
    await new Promise((r) => watch.once('exit', r));
    spawnSync(process.execPath, [...args, 'down', '-v', '-t', '0'], { cwd: dir, env, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function get(port) {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/text.txt`)).text();
  } catch {
    return undefined;
  }
}

async function until(check, timeoutMs, what, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(everyMs);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function dockerUsable() {
  return hasCommand('docker') && spawnSync('docker', ['image', 'inspect', 'tug-test/busybox:latest'], { encoding: 'utf8' }).status === 0;
}

function composeWatchAvailability() {
  // `docker compose version` fails without the v2 plugin (`docker compose --help` prints docker's own help and succeeds).
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (plugin.status === 0) return `installed (${plugin.stdout.trim()}), not measured by this script`;
  const v1 = hasCommand('docker-compose') ? spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).stdout.trim() : '';
  return `not installed here${v1 ? ` (docker-compose ${v1} is v1, which has no watch)` : ''}; its 500 ms quiet window alone is the floor of its latency`;
}
