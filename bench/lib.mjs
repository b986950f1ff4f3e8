// Shared benchmark plumbing: time a command N times, report the median, and
// write results as JSON. Benchmarks print figures; they never fail on time.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export function timeCommand(cmd, args, { runs = 5, cwd, env } = {}) {
  const samples = [];
  let failure;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.error || r.status !== 0) {
      failure = (r.error?.message ?? r.stderr ?? '').toString().trim().split('\n').slice(-3).join(' | ');
      break;
    }
    samples.push(ms);
  }
  return { median: samples.length ? median(samples) : null, samples, failure };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

export function fmt(ms) {
  return ms === null || ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`;
}

export function writeResult(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/** The CLI a user runs: package.json's `bin` (the bundle in dist/bundle/). */
export const tugBinPath = (() => {
  const root = new URL('..', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  return fileURLToPath(new URL(pkg.bin.tug, root));
})();
