// `tug up -d` and `down` of N replicas of one image through the CLI on the
// native backend, each replica a container rooted in the image (overlay root,
// bridge address, DNS, cgroup), next to the same project in process mode
// (host `sleep`, no image) measured in the same run. The image is the test
// image from scripts/setup-docker.sh, loaded into a fresh TUG_HOME from
// `docker save`. Medians; bench/results/native-image-up-cli.json; never fails on time.
// Usage (root): node bench/native-image-up-cli.mjs [replicas=100] [runs=3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, writeResult } from './lib.mjs';

const IMAGE = 'tug-test/busybox:latest';
const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = join(root, 'dist/cli/main.js');

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
try {
  const archive = join(home, 'image.tar');
  spawnSync('docker', ['save', IMAGE, '-o', archive], { stdio: 'ignore' });
  run(['image', 'load', '-i', archive]);
  const modes = {
    'containers from the image': `services:\n  web:\n    image: ${IMAGE}\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`,
    'host processes (peer)': `services:\n  web:\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`,
  };
  const results = {};
  for (const [mode, compose] of Object.entries(modes)) {
    writeFileSync(join(dir, 'compose.yaml'), compose);
    const up = [];
    const down = [];
    for (let i = 0; i < runs; i++) {
      up.push(run(['-p', 'benchimgcli', 'up', '-d']));
      down.push(run(['-p', 'benchimgcli', 'down', '-t', '1']));
    }
    results[mode] = { up: median(up), down: median(down), upSamples: up, downSamples: down };
  }
  console.log(`native backend, ${replicas} replicas of ${IMAGE}, median of ${runs}`);
  for (const [mode, r] of Object.entries(results)) console.log(`  ${mode.padEnd(28)} up -d ${fmt(r.up)}   down ${fmt(r.down)}`);
  writeResult(join(root, 'bench/results/native-image-up-cli.json'), { replicas, runs, results });
} finally {
  spawnSync('node', [tug, '-p', 'benchimgcli', 'down', '-t', '0'], { cwd: dir, env, stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
