// tug's native builder against `docker build`, same Dockerfile, same base
// image (a static-busybox image from examples/compose-classic/make-base.sh,
// loaded into both), same 2,000-file context: a 6-step Dockerfile built
// cold (tug: a TUG_HOME holding only the base; docker: --no-cache), rebuilt with nothing changed, and rebuilt after one
// context file changed. tug is timed as the CLI (`tug build`, wall time of
// the whole process) and in-process (buildServiceImage, what the native
// images facet calls); docker as `docker build -q` with the classic builder,
// and with DOCKER_BUILDKIT=1 where the buildx component exists (Docker 20.10
// from Debian ships without it: then that column says why it is missing).
// The no-change CLI build is also timed in rounds beside what bounds it from
// below, each round running every command once so that machine load falls
// on all of them alike: `node -e 0` (Node's own start), `tug --version` (the
// CLI's entry alone) and `tug ps` (the CLI with a command and the native
// backend), and, with TUG_BUILD_BASELINE=<other checkout>/dist/cli/main.js,
// another tug's no-change build (the before of a change), in a TUG_HOME of its own.
// Needs root (runc, overlay mounts). Prints medians, writes JSON, never fails on time.
// Usage: [TUG_BUILD_BASELINE=…/main.js] node bench/build.mjs [files=2000] [runs=5]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, hasCommand, median, tugBinPath, writeResult } from './lib.mjs';

const files = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const tugBin = tugBinPath;
const { buildServiceImageResult } = await import(join(root, 'dist/runtime/build/native/build-service.js'));
const { ImageStore } = await import(join(root, 'dist/runtime/images/store/image-store.js'));

const DOCKERFILE = ['FROM busybox-base:1', 'RUN echo one > /one', 'RUN echo two > /two', 'WORKDIR /app', 'COPY . /app', 'CMD ["sh"]', ''].join('\n');
const work = mkdtempSync(join(tmpdir(), 'tug-bench-nbuild-'));
const dir = join(work, 'project');
for (let i = 0; i < files; i++) {
  const sub = join(dir, 'src', `d${i % 20}`);
  if (i < 20) mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, `f${i}.js`), `export const value${i} = ${i};\n`.repeat(10));
}
writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    build: .\n');
const baseTar = join(work, 'base.tar');
execFileSync(join(root, 'examples/compose-classic/make-base.sh'), [baseTar], { stdio: 'ignore' });
// A cold build is one in a TUG_HOME that has only the base image (a fresh one per run).
let homes = 0;
let env;
const freshHome = () => {
  env = { TUG_HOME: join(work, `home-${homes++}`), NO_COLOR: '1' };
  execFileSync(process.execPath, [tugBin, 'image', 'load', '-i', baseTar], { env: { ...process.env, ...env }, stdio: 'ignore' });
};
freshHome();

let edits = 0;
const touchOne = () => writeFileSync(join(dir, 'src/d7/f7.js'), `export const value7 = ${++edits};\n`);
/** A scenario: `prepare` (untimed) then the timed build (a spawnSync result, or a promise), `runs` times. */
async function timed(prepare, build) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    prepare();
    const start = process.hrtime.bigint();
    const r = await build();
    if (r && r.status !== undefined && r.status !== 0) return { median: null, samples, failure: (r.stderr ?? '').toString().trim().split('\n').slice(-3).join(' | ') };
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: median(samples), samples };
}
const nothing = () => undefined;
const tugCli = (...flags) => () => spawnSync(process.execPath, [tugBin, 'build', '-q', ...flags], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });

const results = { files, runs, loadBefore: loadavg(), tug: {}, tugInProcess: {}, dockerClassic: {}, dockerBuildkit: {}, floors: {} };
results.tug.cold = await timed(freshHome, tugCli());
results.tug.noChange = await timed(nothing, tugCli());
results.tug.oneFileChanged = await timed(touchOne, tugCli());

// Rounds: every command once per round, so that load falls on all alike.
const baseline = process.env.TUG_BUILD_BASELINE;
const baselineEnv = baseline && { ...process.env, TUG_HOME: join(work, 'home-baseline'), NO_COLOR: '1' };
if (baseline) {
  execFileSync(process.execPath, [baseline, 'image', 'load', '-i', baseTar], { env: baselineEnv, stdio: 'ignore' });
  execFileSync(process.execPath, [baseline, 'build', '-q'], { cwd: dir, env: baselineEnv, stdio: 'ignore' });
}
const tugEnv = () => ({ ...process.env, ...env });
const rounds = {
  node: () => spawnSync(process.execPath, ['-e', '0']),
  version: () => spawnSync(process.execPath, [tugBin, '--version'], { env: tugEnv() }),
  ps: () => spawnSync(process.execPath, [tugBin, 'ps'], { cwd: dir, env: tugEnv() }),
  build: () => spawnSync(process.execPath, [tugBin, 'build', '-q'], { cwd: dir, env: tugEnv() }),
  ...(baseline && { baselineBuild: () => spawnSync(process.execPath, [baseline, 'build', '-q'], { cwd: dir, env: baselineEnv }) }),
};
const roundSamples = Object.fromEntries(Object.keys(rounds).map((k) => [k, []]));
for (let i = 0; i < Math.max(runs, 10); i++) {
  for (const [name, run] of Object.entries(rounds)) {
    const start = process.hrtime.bigint();
    const r = run();
    if (r.status === 0) roundSamples[name].push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}
for (const [name, samples] of Object.entries(roundSamples)) results.floors[name] = { median: samples.length ? median(samples) : null, samples };

let store;
const freshStore = () => {
  freshHome();
  store = new ImageStore(env.TUG_HOME);
};
const project = { name: 'project', workingDir: dir, configFiles: [], services: { app: { build: { context: dir, dockerfile: 'Dockerfile' } } }, disabledServices: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, extensions: {} };
const inProcess = () => buildServiceImageResult(store, project, 'app', {});
results.tugInProcess.cold = await timed(freshStore, inProcess);
results.tugInProcess.noChange = await timed(nothing, inProcess);
results.tugInProcess.oneFileChanged = await timed(touchOne, inProcess);

const dockerUp = hasCommand('docker') && spawnSync('docker', ['version'], { stdio: 'ignore' }).status === 0;
if (dockerUp) {
  const hadBase = spawnSync('docker', ['image', 'inspect', 'busybox-base:1'], { stdio: 'ignore' }).status === 0;
  if (!hadBase) execFileSync('docker', ['load', '-i', baseTar], { stdio: 'ignore' });
  const tag = `tug-bench-nbuild:${process.pid}`;
  const builtImages = new Set();
  for (const [key, buildkit] of [['dockerClassic', '0'], ['dockerBuildkit', '1']]) {
    const denv = { ...process.env, DOCKER_BUILDKIT: buildkit };
    const docker = (...flags) => () => {
      const r = spawnSync('docker', ['build', '-q', ...flags, '-t', tag, dir], { env: denv, encoding: 'utf8' });
      // A rebuild moves the tag: the image it left behind untagged is removed with the rest at the end.
      if (r.status === 0) builtImages.add(r.stdout.trim());
      return r;
    };
    const probe = docker()();
    if (probe.status !== 0) {
      results[key] = { unavailable: probe.stderr.trim().split('\n')[0] };
      continue;
    }
    results[key].cold = await timed(nothing, docker('--no-cache'));
    results[key].noChange = await timed(nothing, docker());
    results[key].oneFileChanged = await timed(touchOne, docker());
  }
  spawnSync('docker', ['image', 'rm', '-f', tag, ...builtImages], { stdio: 'ignore' });
  if (!hadBase) spawnSync('docker', ['image', 'rm', 'busybox-base:1'], { stdio: 'ignore' });
  spawnSync('docker', ['builder', 'prune', '-f', '--filter', 'until=1h'], { stdio: 'ignore', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
} else {
  results.dockerClassic = results.dockerBuildkit = { unavailable: 'no Docker Engine answers' };
}
rmSync(work, { recursive: true, force: true });
results.loadAfter = loadavg();

console.log(`6-step Dockerfile, ${files}-file context, median of ${runs} runs (wall time)`);
console.log('                                       cold   no change   one file changed');
const row = (name, r) => console.log(`  ${name.padEnd(24)}${r.unavailable ? `n/a: ${r.unavailable}` : `${fmt(r.cold?.median).padStart(17)}${fmt(r.noChange?.median).padStart(12)}${fmt(r.oneFileChanged?.median).padStart(19)}`}`);
row('tug build (CLI)', results.tug);
row('tug, in-process', results.tugInProcess);
row('docker build (classic)', results.dockerClassic);
row('docker build (BuildKit)', results.dockerBuildkit);
const f = results.floors;
console.log(`no-change \`tug build\` in rounds of ${f.build.samples.length}: ${fmt(f.build.median)}${baseline ? `, baseline ${fmt(f.baselineBuild?.median)}` : ''}; floors: node -e 0 ${fmt(f.node.median)}, tug --version ${fmt(f.version.median)}, tug ps ${fmt(f.ps.median)}`);
console.log(`load average before ${results.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${results.loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
writeResult(join(root, 'bench/results/build.json'), results);
