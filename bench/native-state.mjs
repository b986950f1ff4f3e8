// What one replica change costs the engine's saved state, with few and with
// many replicas: the engine's StateStore (a journal line per change, the
// snapshot rewritten once the journal outgrows it) next to the peer it
// replaced, rewriting the whole state.json (tmp file + rename) on every
// change. Real files in a temporary directory; bytes are what the process
// passed to write(2) (/proc/self/io wchar), so snapshot rewrites count too.
// Usage: node bench/native-state.mjs [changes=2000] [replicas=10,1000]
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, writeResult } from './lib.mjs';

const changes = Number(process.argv[2] ?? 2000);
const counts = (process.argv[3] ?? '10,1000').split(',').map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const { StateStore } = await import(join(root, 'dist/runtime/native/engine/state-store.js'));

function wchar() {
  return Number(/^wchar:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
}

function record(i) {
  return {
    spec: {
      project: 'bench',
      service: 'web',
      number: i,
      name: `bench-web-${i}`,
      oneoff: false,
      labels: { 'com.docker.compose.project': 'bench', 'com.docker.compose.service': 'web', 'com.docker.compose.config-hash': 'f'.repeat(64) },
      service_spec: { command: ['sleep', '100000'], environment: { INDEX: String(i) }, healthcheck: { test: ['CMD', 'true'], interval: '1s' } },
      projectDir: '/srv/bench',
      networkNames: {},
      volumeNames: {},
      hostEnv: { PATH: '/usr/bin:/bin', HOME: '/root' },
    },
    state: 'running',
    pid: 1000 + i,
    pgid: 1000 + i,
    procStart: 123456,
    restartCount: 0,
    health: 'healthy',
    createdAt: '2024-01-01T00:00:00.000Z',
    startedAt: '2024-01-01T00:00:01.000Z',
  };
}

/** Per change: microseconds (median of `changes` health flips) and bytes written (total / changes). */
function measure(n, apply) {
  const records = Array.from({ length: n }, (_, i) => record(i + 1));
  const times = [];
  const before = wchar();
  for (let c = 0; c < changes; c++) {
    const flipped = { ...records[0], health: c % 2 === 0 ? 'unhealthy' : 'healthy' };
    records[0] = flipped;
    const start = process.hrtime.bigint();
    apply(records, flipped);
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return { medianUs: median(times), bytesPerChange: Math.round((wchar() - before) / changes) };
}

function journal(dir, n) {
  const paths = { state: join(dir, 'state.json'), journal: join(dir, 'state.journal') };
  const store = new StateStore(paths, 'bench', { pid: process.pid, procStart: 0, startedAt: '' }, () => undefined);
  store.reset(Array.from({ length: n }, (_, i) => record(i + 1)));
  const result = measure(n, (_records, changed) => store.write(changed));
  store.close();
  return result;
}

function wholeFile(dir, n) {
  const path = join(dir, 'state.json');
  return measure(n, (records) => {
    const state = { version: 1, project: 'bench', savedAt: new Date().toISOString(), cleanShutdown: false, replicas: records };
    writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  });
}

const results = { changes, runs: [] };
console.log(`one health flip, median of ${changes} (bytes: total written / changes)`);
for (const n of counts) {
  const dir = mkdtempSync(join(tmpdir(), 'tug-bench-state-'));
  try {
    const tug = journal(dir, n);
    const peer = wholeFile(dir, n);
    results.runs.push({ replicas: n, journal: tug, wholeFileRewrite: peer });
    console.log(
      `  ${String(n).padStart(5)} replicas   journal ${tug.medianUs.toFixed(0).padStart(6)} µs ${String(tug.bytesPerChange).padStart(9)} B` +
        `   whole-file rewrite ${peer.medianUs.toFixed(0).padStart(6)} µs ${String(peer.bytesPerChange).padStart(9)} B` +
        `   (${(peer.bytesPerChange / tug.bytesPerChange).toFixed(0)}× the bytes)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
writeResult(join(root, 'bench/results/native-state.json'), results);
