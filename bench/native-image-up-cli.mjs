// `tug up -d` and `down` of N replicas of one image through the CLI on the
// native backend, each replica a container rooted in the image (overlay root,
// bridge address, DNS, cgroup), next to the same project in process mode
// (host `sleep`, no image) and through the docker backend, measured in the
// same run. Also the CPU the native engine itself used during `up` (its
// utime+stime from /proc), a figure a busy machine disturbs far less than wall
// time. The image is the test image from scripts/setup-docker.sh, loaded into
// a fresh TUG_HOME from `docker save`. Medians and the load average;
// bench/results/native-image-up-cli.json; never fails on time.
// Usage (root): node bench/native-image-up-cli.mjs [replicas=100] [runs=3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, tugBinPath, writeResult } from './lib.mjs';

const IMAGE = 'tug-test/busybox:latest';
const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;

if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
  console.log(`skipped: ${IMAGE} is not in Docker (run scripts/setup-docker.sh)`);
  process.exit(0);
}
const home = mkdtempSync(join(tmpdir(), 'tug-bench-imgcli-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-imgcli-proj-'));
const env = { ...process.env, TUG_HOME: home, NO_COLOR: '1' };
const run = (args) => {
  const start = process.hrtime.bigint();
  const r = spawnSync('node', [tug, '--progress', 'quiet', ...args], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`tug ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
};
/** The 1-minute load average: the figures mean little on a busy machine, so it is printed with them. */
function loadAverage() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** CPU time (user + system) the project's engine has used so far, in ms. */
function engineCpuMs() {
  const pid = Number(readFileSync(join(home, 'projects', 'benchimgcli', 'engine.pid'), 'utf8').split(/\s/)[0]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

try {
  const archive = join(home, 'image.tar');
  spawnSync('docker', ['save', IMAGE, '-o', archive], { stdio: 'ignore' });
  run(['image', 'load', '-i', archive]);
  const imageCompose = `services:\n  web:\n    image: ${IMAGE}\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`;
  const modes = {
    'containers from the image': { compose: imageCompose, flags: [] },
    'host processes (peer)': { compose: `services:\n  web:\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`, flags: [] },
    'docker backend (peer)': { compose: imageCompose, flags: ['--backend', 'docker'] },
  };
  const results = {};
  const loads = [];
  for (const [mode, { compose, flags }] of Object.entries(modes)) {
    writeFileSync(join(dir, 'compose.yaml'), compose);
    const up = [];
    const down = [];
    const engineCpu = [];
    let failure;
    for (let i = 0; i < runs && !failure; i++) {
      loads.push(loadAverage());
      try {
        up.push(run([...flags, '-p', 'benchimgcli', 'up', '-d']));
        if (flags.length === 0) engineCpu.push(engineCpuMs());
        down.push(run([...flags, '-p', 'benchimgcli', 'down', '-t', '1']));
      } catch (err) {
        // A peer that fails (Docker 20.10 may refuse to remove a network it still lists endpoints on) is reported, not fatal.
        failure = err.message.split('\n')[0];
      }
    }
    const med = (xs) => (xs.length ? median(xs) : null);
    results[mode] = { up: med(up), down: med(down), engineCpuUp: med(engineCpu), upSamples: up, downSamples: down, engineCpuSamples: engineCpu, failure };
  }
  console.log(`${replicas} replicas of ${IMAGE}, median of ${runs} (down -t 1: busybox sleep as PID 1 ignores SIGTERM, so each container waits out 1 s of grace); load average ${loads.join(', ')}`);
  for (const [mode, r] of Object.entries(results)) {
    const cpu = r.engineCpuUp === null ? '' : `   (engine CPU during up ${fmt(r.engineCpuUp)})`;
    console.log(`  ${mode.padEnd(28)} up -d ${fmt(r.up)}   down ${fmt(r.down)}${cpu}${r.failure ? `   (failed: ${r.failure})` : ''}`);
  }
  writeResult(join(root, 'bench/results/native-image-up-cli.json'), { date: new Date().toISOString(), replicas, runs, loadAverages: loads, results });
} finally {
  for (const backend of ['native', 'docker']) spawnSync('node', [tug, '--backend', backend, '-p', 'benchimgcli', 'down', '-t', '0'], { cwd: dir, env, stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
