// `up -d` of N replicas of one image on tug's own runtime, overlay mounts
// included: per replica, the image root source (dist/runtime/native/container/
// rootfs/image-root.js: overlay of the image's layers, private upper
// directory, lease) and a real container through ContainerDriver (runc under
// tug-shim, no network namespace of its own beyond loopback), eight at a
// time; then everything removed. The engine does not pick the image source
// yet (that lands with the container integration), so this drives the pieces
// directly. Side by side in the same run: `tug --backend docker up -d` of the
// same image (loaded into tug's store from `docker save`). Also the disk a
// replica adds (its upper directory; Docker's SizeRw) and the store's size
// against `docker system df` for the same image. Prints medians, writes
// bench/results/image-up.json, never fails on time.
// Usage (root): node bench/image-up.mjs [replicas=100] [runs=3] [dockerRuns=runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const dist = (p) => new URL(`../dist/runtime/${p}`, import.meta.url).href;
const { parseCgroupMounts } = await import(dist('native/container/cgroups/cgroup-layout.js'));
const { runtimeRoot } = await import(dist('native/container/container-bundle.js'));
const { ContainerDriver } = await import(dist('native/container/container-driver.js'));
const { findExecutable } = await import(dist('native/container/executables.js'));
const { Ledger } = await import(dist('native/container/ledger.js'));
const { findOciRuntime, OciRuntime } = await import(dist('native/container/oci-runtime.js'));
const { ensureShim } = await import(dist('native/container/shim/shim-binary.js'));
const { imageRootSource, imageRootDir, removeImageRoot } = await import(dist('native/container/rootfs/image-root.js'));
const { ImageStore } = await import(dist('images/store/image-store.js'));
const { treeSize } = await import(dist('images/rootfs/overlay.js'));

const IMAGE = 'tug-test/busybox:latest';
const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
// Docker Engine 20.10 sometimes keeps a removed project's network "with active endpoints" until it restarts: fewer docker runs leave fewer behind.
const dockerRuns = Number(process.argv[4] ?? runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const tugBin = tugBinPath;
const resultPath = join(root, 'bench/results/image-up.json');
const haveImage = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status === 0;
if (process.getuid?.() !== 0 || !findExecutable('runc') || !haveImage) {
  const why = !haveImage ? `needs the Docker image ${IMAGE} (scripts/setup-docker.sh)` : 'needs root and runc (scripts/setup-isolation.sh)';
  console.log(`image-up benchmark skipped: ${why}`);
  writeResult(resultPath, { skipped: why });
  process.exit(0);
}

const cgroups = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
const sweepCtx = (home) => ({ home, cgroups, ip: findExecutable('ip'), iptables: findExecutable('iptables'), iptablesRestore: findExecutable('iptables-restore'), xargs: findExecutable('xargs') });

function du(path) {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split('\t')[0]) : null;
}

async function eachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The image in a fresh TUG_HOME's store, from `docker save` (the same bytes Docker runs). */
function storeWithImage() {
  const home = mkdtempSync(join(tmpdir(), 'tug-bench-imgup-'));
  const archive = join(home, 'image.tar');
  spawnSync('docker', ['save', IMAGE, '-o', archive], { stdio: 'ignore' });
  const loaded = spawnSync('node', [tugBin, 'image', 'load', '-q', '-i', archive], { env: { ...process.env, TUG_HOME: home }, encoding: 'utf8' });
  if (loaded.status !== 0) throw new Error(`tug image load: ${loaded.stderr}`);
  rmSync(archive);
  return home;
}

async function nativeRun(i) {
  const home = storeWithImage();
  const store = new ImageStore(home);
  const found = await store.findImage(IMAGE);
  const projectDir = mkdtempSync(join(tmpdir(), 'tug-bench-imgup-project-'));
  const project = `benchimg${process.pid}x${i}`;
  const ledger = new Ledger(join(home, 'projects', project, 'isolation.jsonl'));
  const base = {
    home,
    project,
    runtime: new OciRuntime(findOciRuntime(), runtimeRoot(home, project)),
    supervision: { kind: 'shim', path: ensureShim(home) },
    cgroups,
    ledger,
    sweep: sweepCtx(home),
  };
  const specs = Array.from({ length: replicas }, (_, n) => ({
    project,
    service: 'web',
    number: n + 1,
    name: `${project}-web-${n + 1}`,
    oneoff: false,
    labels: {},
    service_spec: { image: IMAGE, command: ['sleep', '100000'] },
    projectDir,
    networkNames: {},
    volumeNames: {},
    hostEnv: {},
    image: { id: found.record.id },
  }));
  const started = new Map();
  const t0 = process.hrtime.bigint();
  await eachLimited(specs, 8, async (spec) => {
    const source = await imageRootSource({ store, home, spec });
    const driver = new ContainerDriver({ ...base, rootfs: source });
    const bundle = await driver.create(source.spec, { network: { kind: 'new' }, etc: { kind: 'generated', addresses: [], nameservers: [] } });
    const run = await driver.start(bundle);
    run.stdout.resume();
    run.stderr.resume();
    started.set(spec.name, { source, driver, bundle, run });
  });
  const upMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const uppers = specs.map((s) => join(imageRootDir(home, project, s.name), 'upper'));
  const upperFiles = median(await Promise.all(uppers.map((u) => treeSize(u))));
  const upperDu = median(uppers.map(du));
  const storeBytes = du(join(home, 'images'));

  const t1 = process.hrtime.bigint();
  for (const { run } of started.values()) run.signal('SIGKILL');
  await Promise.all([...started.values()].map(({ run }) => run.exited));
  const problems = await started.values().next().value.driver.remove(specs.map((s) => s.name));
  // As an engine's `down` would: every image root of the project with one umount.
  removeImageRoot(home, project, specs.map((s) => s.name));
  problems.push(...(await new ContainerDriver({ ...base, rootfs: started.values().next().value.source }).recover()));
  const downMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const mountsLeft = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(home)).length;
  rmSync(home, { recursive: true, force: true });
  rmSync(projectDir, { recursive: true, force: true });
  return { upMs, downMs, upperFiles, upperDu, storeBytes, mountsLeft, problems };
}

function dockerRun(i) {
  const dir = mkdtempSync(join(tmpdir(), 'tug-bench-imgup-docker-'));
  writeFileSync(join(dir, 'compose.yaml'), `services:\n  web:\n    image: ${IMAGE}\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`);
  const project = `benchimgdock${process.pid}x${i}`;
  const args = (...a) => [tugBin, '--backend', 'docker', '--progress', 'quiet', '-p', project, ...a];
  const env = { TUG_HOME: dir, NO_COLOR: '1' };
  const up = timeCommand('node', args('up', '-d'), { runs: 1, cwd: dir, env });
  const sizes = spawnSync('docker', ['ps', '-a', '--size', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Size}}'], { encoding: 'utf8' }).stdout.trim().split('\n');
  const down = timeCommand('node', args('down', '-t', '0'), { runs: 1, cwd: dir, env });
  rmSync(dir, { recursive: true, force: true });
  return { upMs: up.median, downMs: down.median, sizeRw: sizes[0] ?? null, failure: up.failure ?? down.failure };
}

const native = [];
const docker = [];
for (let i = 0; i < runs; i++) {
  native.push(await nativeRun(i));
  if (i < dockerRuns) docker.push(dockerRun(i));
}
const med = (xs, k) => (xs.length && xs.every((x) => x[k] !== null && x[k] !== undefined) ? median(xs.map((x) => x[k])) : null);
const dockerImageBytes = Number(spawnSync('docker', ['image', 'inspect', '-f', '{{.Size}}', IMAGE], { encoding: 'utf8' }).stdout.trim()) || null;
const df = spawnSync('docker', ['system', 'df', '-v', '--format', '{{json .Images}}'], { encoding: 'utf8' });
let dockerDf = null;
try {
  dockerDf = (JSON.parse(df.stdout) ?? []).find((r) => `${r.Repository}:${r.Tag}` === IMAGE) ?? null;
} catch {
  dockerDf = null;
}
const problems = native.flatMap((r) => r.problems);
console.log(`${replicas} replicas of ${IMAGE}, ${runs} runs (medians)`);
console.log(`tug image root + container runtime: up ${fmt(med(native, 'upMs'))}, down ${fmt(med(native, 'downMs'))}   (target: up < 3000 ms)`);
console.log(`docker backend (tug --backend docker): up ${fmt(med(docker, 'upMs'))}, down ${fmt(med(docker, 'downMs'))}`);
console.log(`disk per replica: tug upper directory ${med(native, 'upperFiles')} B in files (${med(native, 'upperDu')} B by du); docker SizeRw ${docker[0]?.sizeRw ?? 'n/a'}`);
console.log(`image on disk: tug store ${med(native, 'storeBytes')} B (blobs + unpacked layers, du); docker image ${dockerImageBytes} B unpacked; docker system df: ${dockerDf ? `size ${dockerDf.Size}, unique ${dockerDf.UniqueSize}, shared ${dockerDf.SharedSize}` : 'n/a'}`);
console.log(`overlay mounts left after down: ${native.reduce((s, r) => s + r.mountsLeft, 0)}`);
if (problems.length) console.log(`cleanup problems: ${problems.join('; ')}`);
writeResult(resultPath, {
  date: new Date().toISOString(),
  image: IMAGE,
  replicas,
  runs,
  note: 'native side drives the image root source and ContainerDriver directly (the engine does not choose the image source yet)',
  native: { upMs: med(native, 'upMs'), downMs: med(native, 'downMs'), upperFileBytes: med(native, 'upperFiles'), upperDuBytes: med(native, 'upperDu'), storeDuBytes: med(native, 'storeBytes'), samples: native.map(({ upMs, downMs }) => ({ upMs, downMs })) },
  docker: { upMs: med(docker, 'upMs'), downMs: med(docker, 'downMs'), sizeRw: docker[0]?.sizeRw ?? null, imageBytes: dockerImageBytes, systemDf: dockerDf, samples: docker },
  mountsLeft: native.reduce((s, r) => s + r.mountsLeft, 0),
  problems,
});
process.exit(0);
