// What a stop costs the native engine while replicas use their grace period:
// N replicas whose leader exits on SIGTERM but leave a child that ignores it,
// so every replica's group stays non-empty for the whole grace period and is
// SIGKILLed at its end. Reports the engine's CPU time (utime + stime from
// /proc/<engine>/stat) over `tug stop -t GRACE`, next to the peer: the same
// engine's CPU time over an equally long idle window with the replicas running.
// Usage: node bench/native-stop-grace.mjs [replicas=100] [runs=3] [grace=10]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, tugBinPath, writeResult } from './lib.mjs';

const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
const graceS = Number(process.argv[4] ?? 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;
const home = mkdtempSync(join(tmpdir(), 'tug-bench-home-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-grace-'));
// The leader (exec'd sleep) dies on TERM; the subshell's sleep inherits TERM ignored and stays.
const command = `["sh", "-c", "(trap '' TERM; exec sleep 100000) & exec sleep 100000"]`;
writeFileSync(join(dir, 'compose.yaml'), `services:\n  grace:\n    command: ${command}\n    scale: ${replicas}\n`);
const env = { ...process.env, TUG_HOME: home, NO_COLOR: '1', COMPOSE_PROJECT_NAME: 'benchgrace', TUG_ENGINE_IDLE_MS: '600000' };
const run = (args) => spawnSync('node', [tug, '--progress', 'quiet', ...args], { cwd: dir, env, encoding: 'utf8' });
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function enginePid() {
  return Number(readFileSync(join(home, 'projects/benchgrace/engine.pid'), 'utf8').split(' ')[0]);
}

/** utime + stime of a process, in ms. */
function cpuMs(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function must(result, what) {
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr}`);
  return result;
}

const stopCpu = [];
const idleCpu = [];
const stopWall = [];
try {
  for (let i = 0; i < runs; i++) {
    must(run(['up', '-d']), 'up');
    const pid = enginePid();
    // Peer: the engine doing nothing but supervise, for as long as the stop takes.
    let before = cpuMs(pid);
    spawnSync('sleep', [String(graceS)]);
    idleCpu.push(cpuMs(pid) - before);
    before = cpuMs(pid);
    const t = process.hrtime.bigint();
    must(run(['stop', '-t', String(graceS)]), 'stop');
    stopWall.push(Number(process.hrtime.bigint() - t) / 1e6);
    stopCpu.push(cpuMs(pid) - before);
    must(run(['down', '-t', '0']), 'down');
  }
} finally {
  run(['down', '-t', '0']);
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  replicas,
  runs,
  graceS,
  engineCpuDuringStopMs: median(stopCpu),
  engineCpuIdleSameTimeMs: median(idleCpu),
  stopWallMs: median(stopWall),
  samples: { stopCpu, idleCpu, stopWall },
};
console.log(`native engine CPU (utime+stime), ${replicas} replicas using a ${graceS} s grace period, median of ${runs} runs`);
console.log(`  during tug stop -t ${graceS}         ${result.engineCpuDuringStopMs.toFixed(0)} ms CPU   (wall ${result.stopWallMs.toFixed(0)} ms)`);
console.log(`  idle for ${graceS} s (peer)          ${result.engineCpuIdleSameTimeMs.toFixed(0)} ms CPU`);
writeResult(join(root, 'bench/results/native-stop-grace.json'), result);
