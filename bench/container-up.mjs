// 100 isolated replicas brought up and down through the real CLI
// (`tug --isolation container up -d` / `down`), and with tug's container
// runtime pieces alone (dist/): one bridge, a network namespace, veth and address per
// replica, a host-root bundle, and `runc run -d` under tug-shim, eight at a
// time; then all removed in batches. Side by side in the same run: the same
// project through tug's docker backend (`tug --backend docker up -d` /
// `down`) and in process mode (`tug up -d` / `down`). Also the memory tug adds
// per isolated replica (the shim's RSS and PSS from smaps_rollup) next to the
// workload's, and the DNS lookup latency of a service name from inside a
// replica. The floor beside them: the same number of `runc run -d` alone (a
// bare busybox bundle each, four at a time, nothing of tug). With a second
// tug checkout named (its dist built), its CLI's container mode is measured
// too, interleaved round by round with this one's: an A/B in the same run.
// The docker rounds come after all native ones: dockerd goes on tearing down
// after `down` returns, which taxed the next native round on two cores.
// Prints medians and the load average; writes bench/results/container-up.json;
// never fails on time.
// Usage (root): node bench/container-up.mjs [replicas=100] [runs=3] [other-tug-checkout]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, timeCommand, tugBinPath, writeResult } from './lib.mjs';

const dist = (p) => new URL(`../dist/runtime/native/container/${p}`, import.meta.url).href;
const { parseCgroupMounts } = await import(dist('cgroups/cgroup-layout.js'));
const { runtimeRoot } = await import(dist('container-bundle.js'));
const { ContainerDriver } = await import(dist('container-driver.js'));
const { findExecutable } = await import(dist('executables.js'));
const { Ledger } = await import(dist('ledger.js'));
const { findOciRuntime, OciRuntime } = await import(dist('oci-runtime.js'));
const { HostRootSource } = await import(dist('rootfs/host-root.js'));
const { ensureShim } = await import(dist('shim/shim-binary.js'));
const { ProjectNetworks } = await import(dist('network/project-networks.js'));
const { netnsPath } = await import(dist('network/attach.js'));
const { gatewayOf } = await import(dist('network/bridges.js'));
const { NameTable } = await import(dist('dns/name-table.js'));
const { DnsServer } = await import(dist('dns/dns-server.js'));
const { replicaEndpoints } = await import(dist('dns/endpoints.js'));

const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 3);
const otherTree = process.argv[4];
const root = fileURLToPath(new URL('..', import.meta.url));
const resultPath = join(root, 'bench/results/container-up.json');
if (process.getuid?.() !== 0 || !findExecutable('runc')) {
  console.log('container-up benchmark skipped: needs root and runc (scripts/setup-isolation.sh)');
  writeResult(resultPath, { skipped: 'needs root and runc' });
  process.exit(0);
}

const ip = findExecutable('ip');
const iptables = findExecutable('iptables');
const iptablesRestore = findExecutable('iptables-restore');
const xargs = findExecutable('xargs');
const cgroups = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));

function smaps(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: NaN, pss: NaN };
  }
}

async function eachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function isolatedRun(i) {
  const home = mkdtempSync(join(tmpdir(), 'tug-bench-ctr-'));
  const projectDir = mkdtempSync(join(tmpdir(), 'tug-bench-ctr-project-'));
  const project = `benchctr${process.pid}x${i}`;
  const ledger = new Ledger(join(home, 'projects', project, 'isolation.jsonl'));
  const sweepCtx = { home, cgroups, ip, iptables, iptablesRestore, xargs };
  const driver = new ContainerDriver({
    home,
    project,
    runtime: new OciRuntime(findOciRuntime(), runtimeRoot(home, project)),
    supervision: { kind: 'shim', path: ensureShim(home) },
    rootfs: new HostRootSource({ overlayfs: true }),
    cgroups,
    ledger,
    sweep: sweepCtx,
  });
  const networks = new ProjectNetworks({ home, project, ledger, tools: { ip, iptables, iptablesRestore }, sweep: sweepCtx });
  const table = new NameTable();
  const dns = new DnsServer({ table, upstreams: [] });
  const specs = Array.from({ length: replicas }, (_, n) => ({
    project,
    service: 'web',
    number: n + 1,
    name: `${project}-web-${n + 1}`,
    oneoff: false,
    labels: {},
    service_spec: { command: ['/bin/busybox', 'sleep', '100000'], networks: { default: null } },
    projectDir,
    networkNames: { default: `${project}_default` },
    volumeNames: {},
    hostEnv: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  }));

  const t0 = process.hrtime.bigint();
  const [plan] = await networks.create([{ key: 'default', name: `${project}_default`, spec: {} }]);
  await dns.listen({ name: plan.name, gateway: gatewayOf(plan), subnet: plan.allocation.subnet, internal: false });
  const reqs = specs.map((s) => networks.planAttachment(s));
  await networks.attach(reqs);
  const runsOf = new Map();
  await eachLimited(specs.map((s, n) => [s, reqs[n]]), 8, async ([spec, req]) => {
    const bundle = await driver.create(spec, {
      network: { kind: 'path', path: netnsPath(req.netns) },
      etc: { kind: 'generated', addresses: req.links.map((l) => l.address), nameservers: [gatewayOf(plan)] },
    });
    const run = await driver.start(bundle);
    run.stdout.resume();
    run.stderr.resume();
    runsOf.set(spec.name, { bundle, run });
    for (const e of replicaEndpoints(spec, networks.addresses(req))) table.set(e);
  });
  const upMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const memory = [...runsOf.values()].map(({ run }) => ({ shim: smaps(run.supervisorPid), workload: smaps(run.pid) }));
  const lookup = await dnsLookups(reqs[0], gatewayOf(plan), 200);

  const t1 = process.hrtime.bigint();
  for (const { run } of runsOf.values()) run.signal('SIGKILL');
  await Promise.all([...runsOf.values()].map(({ run }) => run.exited));
  const problems = await driver.remove(specs.map((s) => s.name));
  await dns.close();
  problems.push(...(await networks.remove(plan.name)));
  const downMs = Number(process.hrtime.bigint() - t1) / 1e6;
  rmSync(home, { recursive: true, force: true });
  rmSync(projectDir, { recursive: true, force: true });
  return { upMs, downMs, memory, lookup, problems };
}

/** Lookups of the service name from inside the first replica's network namespace (a Node UDP client there). */
async function dnsLookups(req, gateway, n) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(ip, ['netns', 'exec', req.netns, process.execPath, join(root, 'bench/dns-client.mjs'), gateway, 'web', String(n)], (err, stdout) => {
      resolve(err ? { p50Us: null, p99Us: null, samples: 0 } : JSON.parse(stdout));
    });
  });
}

/**
 * The floor: `replicas` x `runc run -d` alone, four at a time (xargs), each a
 * bare bundle (the host's static busybox, `sleep`, runc's default namespaces)
 * in a cgroup of its own under one parent; then all deleted.
 */
function runcAlone(i) {
  const dir = mkdtempSync(join(tmpdir(), 'tug-bench-runc-'));
  const state = join(dir, 'state');
  const cgroupParent = `tug-bench-runc-${process.pid}-${i}`;
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
  for (const d of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, 'rootfs', d));
  symlinkSync('busybox', join(dir, 'rootfs', 'bin', 'sh'));
  const runc = findExecutable('runc');
  spawnSync(runc, ['spec', '--bundle', dir]);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/busybox', 'sleep', '100000'];
  spec.root = { path: join(dir, 'rootfs'), readonly: true };
  const ids = Array.from({ length: replicas }, (_, n) => `c${n + 1}`);
  for (const id of ids) {
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'config.json'), JSON.stringify({ ...spec, linux: { ...spec.linux, cgroupsPath: `/${cgroupParent}/${id}` } }));
  }
  const input = ids.map((id) => `${join(dir, id)} ${id}`).join('\n') + '\n';
  const t0 = process.hrtime.bigint();
  // No pipe reaches a container (they keep what they inherit): xargs's output goes nowhere.
  const up = spawnSync(xargs, ['-P', '4', '-L', '1', runc, '--root', state, 'run', '-d', '--bundle'], { input, stdio: ['pipe', 'ignore', 'ignore'] });
  const upMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const listed = spawnSync(runc, ['--root', state, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
  spawnSync(xargs, ['-P', '4', '-n', '1', runc, '--root', state, 'delete', '-f'], { input: ids.join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
  for (const c of readdirSync('/sys/fs/cgroup')) for (const sub of [...ids.map((id) => join(cgroupParent, id)), cgroupParent]) rmdirQuiet(join('/sys/fs/cgroup', c, sub));
  rmSync(dir, { recursive: true, force: true });
  return { upMs: up.status === 0 && listed === replicas ? upMs : null, started: listed };
}
function rmdirQuiet(d) {
  try {
    rmdirSync(d);
  } catch {
    /* not there */
  }
}
const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

// The same project through the tug CLI: docker backend and process mode.
const cliHome = mkdtempSync(join(tmpdir(), 'tug-bench-home-'));
const cliDir = mkdtempSync(join(tmpdir(), 'tug-bench-ctr-cli-'));
const tugBin = tugBinPath;
const otherBin = otherTree ? join(otherTree, 'dist/cli/main.js') : undefined;
writeFileSync(join(cliDir, 'compose.yaml'), `services:\n  web:\n    image: tug-test/busybox:latest\n    command: ["sleep", "100000"]\n    scale: ${replicas}\n`);
function cliRun(backend, project, extra = [], bin = tugBin) {
  const args = (...a) => [bin, '--backend', backend, ...extra, '--progress', 'quiet', '-p', project, ...a];
  const env = { TUG_HOME: cliHome, NO_COLOR: '1' };
  const up = timeCommand('node', args('up', '-d'), { runs: 1, cwd: cliDir, env });
  const down = timeCommand('node', args('down', '-t', '0'), { runs: 1, cwd: cliDir, env });
  // Docker 20.10 may refuse to remove a network whose endpoints it is still releasing: a second down clears what is left.
  if (down.failure) timeCommand('node', args('down', '-t', '0'), { runs: 1, cwd: cliDir, env });
  return { upMs: up.median, downMs: down.median, failure: up.failure ?? down.failure };
}
const dockerUp = spawnSync('docker', ['image', 'inspect', 'tug-test/busybox:latest'], { stdio: 'ignore' }).status === 0;
// The image the project names, in tug's store too (from `docker save`), so container mode roots each replica in it.
if (dockerUp) {
  const archive = join(cliHome, 'image.tar');
  spawnSync('docker', ['save', 'tug-test/busybox:latest', '-o', archive], { stdio: 'ignore' });
  spawnSync('node', [tugBin, 'image', 'load', '-i', archive], { env: { ...process.env, TUG_HOME: cliHome }, stdio: 'ignore' });
}

const isolated = [];
const containerCli = [];
const otherCli = [];
const docker = [];
const processMode = [];
const runcFloor = [];
const loads = [];
for (let i = 0; i < runs; i++) {
  loads.push(loadAverage());
  containerCli.push(cliRun('native', `benchctrcli${i}`, ['--isolation', 'container']));
  if (otherBin) otherCli.push(cliRun('native', `benchctrab${i}`, ['--isolation', 'container'], otherBin));
  runcFloor.push(runcAlone(i));
  isolated.push(await isolatedRun(i));
  processMode.push(cliRun('native', `benchctrproc${i}`, ['--isolation', 'process']));
}
for (let i = 0; i < runs && dockerUp; i++) docker.push(cliRun('docker', `benchctrdock${process.pid}x${i}`));
rmSync(cliHome, { recursive: true, force: true });
rmSync(cliDir, { recursive: true, force: true });

const med = (xs, k) => (xs.length && xs.every((x) => x[k] !== null) ? median(xs.map((x) => x[k])) : null);
const mem = isolated.flatMap((r) => r.memory);
const shimRss = median(mem.map((m) => m.shim.rss));
const shimPss = median(mem.map((m) => m.shim.pss));
const workRss = median(mem.map((m) => m.workload.rss));
const lookupP50 = median(isolated.map((r) => r.lookup.p50Us).filter((x) => x !== null));
const lookupP99 = median(isolated.map((r) => r.lookup.p99Us).filter((x) => x !== null));
console.log(`${replicas} replicas, ${runs} runs (medians); load average at each round ${loads.join(', ')}`);
console.log(`container mode through the CLI (tug --isolation container, rooted in the image): up ${fmt(med(containerCli, 'upMs'))}, down ${fmt(med(containerCli, 'downMs'))}   (targets: up < 3000 ms, down < 2000 ms)`);
if (otherBin) console.log(`  the same through ${otherTree} (interleaved): up ${fmt(med(otherCli, 'upMs'))}, down ${fmt(med(otherCli, 'downMs'))}`);
console.log(`floor: ${replicas} x runc run -d alone (bare bundles, 4 at a time): ${fmt(med(runcFloor, 'upMs'))}`);
console.log(`isolated (tug container runtime pieces alone): up ${fmt(med(isolated, 'upMs'))}, down ${fmt(med(isolated, 'downMs'))}   (targets: up < 3000 ms, down < 2000 ms)`);
console.log(`docker backend (tug --backend docker): up ${fmt(med(docker, 'upMs'))}, down ${fmt(med(docker, 'downMs'))}${dockerUp ? '' : ' (skipped: no tug-test/busybox image)'}`);
console.log(`process mode (tug, native): up ${fmt(med(processMode, 'upMs'))}, down ${fmt(med(processMode, 'downMs'))}`);
console.log(`memory tug adds per isolated replica (tug-shim): RSS ${shimRss} kB, PSS ${shimPss} kB (workload busybox sleep: RSS ${workRss} kB; target < 2048 kB)`);
for (const [what, xs] of [['container mode', containerCli], ['process mode', processMode], ['docker backend', docker]]) {
  const failed = xs.find((x) => x.failure);
  if (failed) console.log(`${what} failed: ${failed.failure}`);
}
console.log(`DNS: lookup of the service name (${replicas} addresses) from inside a replica: p50 ${lookupP50} µs, p99 ${lookupP99} µs`);
const problems = isolated.flatMap((r) => r.problems);
if (problems.length) console.log(`cleanup problems: ${problems.join('; ')}`);
writeResult(resultPath, {
  date: new Date().toISOString(),
  replicas,
  runs,
  loadAverages: loads,
  containerCli: { upMs: med(containerCli, 'upMs'), downMs: med(containerCli, 'downMs'), samples: containerCli },
  ...(otherBin && { otherCli: { tree: otherTree, upMs: med(otherCli, 'upMs'), downMs: med(otherCli, 'downMs'), samples: otherCli } }),
  runcAlone: { upMs: med(runcFloor, 'upMs'), samples: runcFloor },
  isolated: { upMs: med(isolated, 'upMs'), downMs: med(isolated, 'downMs'), samples: isolated.map(({ upMs, downMs }) => ({ upMs, downMs })) },
  docker: { upMs: med(docker, 'upMs'), downMs: med(docker, 'downMs'), samples: docker },
  processMode: { upMs: med(processMode, 'upMs'), downMs: med(processMode, 'downMs'), samples: processMode },
  memoryPerReplicaKb: { shimRss, shimPss, workloadRss: workRss },
  dnsLookupUs: { p50: lookupP50, p99: lookupP99 },
  problems,
});
process.exit(0);
