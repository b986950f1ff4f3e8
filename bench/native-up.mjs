// `tug up -d` / `tug down` of one service scaled to N replicas of a tiny
// long-running process on the native backend, next to the floor: a plain Node
// script spawning the same N processes. Also the engine's RSS, what tug adds
// per replica, and `tug ps` with N replicas.
// Usage: node bench/native-up.mjs [replicas=100] [runs=5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;
const home = mkdtempSync(join(tmpdir(), 'tug-bench-home-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-up-'));
writeFileSync(join(dir, 'compose.yaml'), `services:\n  tiny:\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`);
const env = { TUG_HOME: home, NO_COLOR: '1', COMPOSE_PROJECT_NAME: 'benchup' };
const run = (args) => spawnSync('node', [tug, '--progress', 'quiet', ...args], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
}

function enginePid() {
  return Number(readFileSync(join(home, 'projects/benchup/engine.pid'), 'utf8').split(' ')[0]);
}

/** The floor: spawn N copies of the same process from plain Node and wait until all have started. */
async function plainSpawn(n) {
  const start = process.hrtime.bigint();
  const children = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const child = spawn('sleep', ['100000'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.once('spawn', () => resolve(child));
      child.once('error', reject);
    })),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const workloadKb = children.reduce((sum, c) => sum + rssKb(c.pid), 0);
  for (const c of children) process.kill(-c.pid, 'SIGKILL');
  return { ms, workloadKb };
}

const up = [];
const down = [];
const floor = [];
let engineRss = { one: NaN, full: NaN };
let psTimes = { median: null };
let workloadPerReplicaKb = NaN;
try {
  for (let i = 0; i < runs; i++) {
    const f = await plainSpawn(replicas);
    floor.push(f.ms);
    workloadPerReplicaKb = f.workloadKb / replicas;
    let t = process.hrtime.bigint();
    const u = run(['up', '-d']);
    if (u.status !== 0) throw new Error(`up failed: ${u.stderr}`);
    up.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (i === 0) {
      engineRss.full = rssKb(enginePid());
      psTimes = timeCommand('node', [tug, 'ps'], { runs: 5, cwd: dir, env });
    }
    t = process.hrtime.bigint();
    const d = run(['down', '-t', '5']);
    if (d.status !== 0) throw new Error(`down failed: ${d.stderr}`);
    down.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  // The engine's own footprint with a single replica, to see what each further replica adds.
  writeFileSync(join(dir, 'compose.yaml'), `services:\n  tiny:\n    command: ["sleep", "100000"]\n`);
  run(['up', '-d']);
  engineRss.one = rssKb(enginePid());
  run(['down', '-t', '5']);
} finally {
  run(['down', '-t', '0']);
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

const perReplicaKb = (engineRss.full - engineRss.one) / (replicas - 1);
const result = {
  replicas,
  runs,
  upMs: median(up),
  downMs: median(down),
  plainSpawnMs: median(floor),
  psMs: psTimes.median,
  engineRssKb: engineRss,
  addedPerReplicaKb: perReplicaKb,
  workloadPerReplicaKb,
  samples: { up, down, floor },
};
console.log(`native backend, ${replicas} replicas of "sleep", median of ${runs} runs`);
console.log(`  tug up -d                 ${fmt(result.upMs)}   (target < 2000 ms)`);
console.log(`  tug down                  ${fmt(result.downMs)}`);
console.log(`  plain Node spawn (floor)  ${fmt(result.plainSpawnMs)}`);
console.log(`  tug ps with ${replicas}          ${fmt(result.psMs)}   (target < 150 ms)`);
console.log(`  engine RSS                ${(engineRss.full / 1024).toFixed(1)} MB with ${replicas}, ${(engineRss.one / 1024).toFixed(1)} MB with 1`);
console.log(`  tug's memory per replica  ${perReplicaKb.toFixed(0)} KB   (target < 1024 KB; the workload itself: ${workloadPerReplicaKb.toFixed(0)} KB)`);
writeResult(join(root, 'bench/results/native-up.json'), result);
