// Start-up cost of the commands people run most often: `tug --version` and
// `tug ps` on the native backend (a project with a few replicas running),
// next to `node -e 0` (the floor) and, when given, another build of tug
// measured in the same run (e.g. the commit before a change).
//
//   node bench/startup.mjs [runs] [other-tug-main.js ...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 15);
const builds = [tugBinPath, ...process.argv.slice(3)];

const home = mkdtempSync(join(tmpdir(), 'tug-bench-startup-'));
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-startup-proj-'));
writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    command: ["sleep", "600"]\n    scale: 3\n');
const env = { TUG_HOME: home, NO_COLOR: '1' };
const project = 'startupbench';

const results = { runs, floor: timeCommand('node', ['-e', '0'], { runs }).median, builds: [] };
try {
  spawnSync('node', [builds[0], '-p', project, 'up', '-d'], { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' });
  // Interleaved: each round times every build once, so load that comes and goes falls on all of them alike.
  const samples = builds.map(() => ({ version: [], ps: [] }));
  let failure;
  for (let round = 0; round < runs; round++) {
    builds.forEach((tug, i) => {
      const version = timeCommand('node', [tug, '--version'], { runs: 1 });
      const ps = timeCommand('node', [tug, '-p', project, 'ps'], { runs: 1, cwd: dir, env });
      failure ??= version.failure ?? ps.failure;
      if (version.median !== null) samples[i].version.push(version.median);
      if (ps.median !== null) samples[i].ps.push(ps.median);
    });
  }
  builds.forEach((tug, i) => results.builds.push({ tug, version: median(samples[i].version), ps: median(samples[i].ps), failure }));
} finally {
  spawnSync('node', [builds[0], '-p', project, 'down', '-t', '0'], { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

console.log(`start-up, median of ${runs}; node -e 0 takes ${fmt(results.floor)}`);
for (const b of results.builds) {
  console.log(`  ${b.tug}\n    tug --version  ${fmt(b.version)}\n    tug ps (3 replicas)  ${fmt(b.ps)}${b.failure ? `  (failed: ${b.failure})` : ''}`);
}
writeResult(join(here, 'results', 'startup.json'), results);
