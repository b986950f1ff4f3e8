// Pull of a multi-layer image (≥ 50 MB of gzip layers) from a local registry
// into a cold store: tug (`tug image pull`: download, verify, unpack) against
// `docker pull` (download, verify, unpack into overlay2) and `skopeo copy` to
// an OCI layout (download and verify only, no unpack), in the same run.
// Also the store's size on disk next to Docker's for the same image.
// Usage: node bench/image-pull.mjs [runs=5] [layers=5] [mbPerLayer=12]
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { fmt, hasCommand, median, tugBinPath, writeResult } from './lib.mjs';

const runs = Number(process.argv[2] ?? 5);
const layerCount = Number(process.argv[3] ?? 5);
const mbPerLayer = Number(process.argv[4] ?? 20);
const root = fileURLToPath(new URL('..', import.meta.url));
const tug = tugBinPath;
const REGISTRY = '/usr/bin/docker-registry';

if (!existsSync(REGISTRY)) {
  console.log(`image-pull: ${REGISTRY} missing (run scripts/setup-registry.sh); nothing measured`);
  process.exit(0);
}

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function layerTar(files) {
  const p = pack();
  const chunks = [];
  p.on('data', (c) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  for (const [name, body] of files) await new Promise((r, j) => p.entry({ name, mode: 0o644, size: body.length, mtime: new Date(0) }, body, (e) => (e ? j(e) : r())));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function makeImage() {
  const layers = [];
  for (let i = 0; i < layerCount; i++) {
    // Half random, half text: compresses like real binaries and data do (roughly 2:1 overall).
    const half = Math.floor((mbPerLayer * 1e6) / 2);
    const text = Buffer.from(`layer ${i} line of text that compresses well\n`.repeat(Math.ceil(half / 44))).subarray(0, half);
    const tar = await layerTar([[`data/layer${i}.bin`, randomBytes(half)], [`data/layer${i}.txt`, text]]);
    const gz = gzipSync(tar);
    layers.push({ tar, gz, diffId: sha(tar), digest: sha(gz) });
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: l.digest, size: l.gz.length })),
  }));
  return { layers, config, manifest };
}

async function startRegistry(dir) {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}\nhttp: {addr: "127.0.0.1:${port}", secret: bench}\n`);
  const child = spawn(REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/v2/`)).ok) return { child, host: `127.0.0.1:${port}`, url };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('registry did not start');
}

async function push(url, repo, tag, img) {
  for (const blob of [img.config, ...img.layers.map((l) => l.gz)]) {
    const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(start.headers.get('location'), url);
    loc.searchParams.set('digest', sha(blob));
    const put = await fetch(loc, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`push blob: ${put.status}`);
  }
  const r = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: img.manifest, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' } });
  if (r.status !== 201) throw new Error(`push manifest: ${r.status}`);
}

function timed(cmd, args, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' | ')}`);
  return ms;
}

function duBytes(path) {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split('\t')[0]) : null;
}

const work = mkdtempSync(join(tmpdir(), 'tug-bench-pull-'));
const reg = await startRegistry(join(work, 'registry'));
// An interrupted run leaves no registry process and no scratch behind either.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    reg.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
const result = { benchmark: 'image-pull', runs, layers: layerCount, mbPerLayer, time: new Date().toISOString() };
try {
  const img = await makeImage();
  const compressed = img.layers.reduce((s, l) => s + l.gz.length, 0);
  const uncompressed = img.layers.reduce((s, l) => s + l.tar.length, 0);
  result.compressedBytes = compressed;
  result.uncompressedBytes = uncompressed;
  await push(reg.url, 'bench/big', '1', img);
  const ref = `${reg.host}/bench/big:1`;
  console.log(`image: ${layerCount} gzip layers, ${(compressed / 1e6).toFixed(1)} MB compressed, ${(uncompressed / 1e6).toFixed(1)} MB unpacked; ${runs} cold pulls each`);

  const tugSamples = [];
  let tugStore = null;
  for (let i = 0; i < runs; i++) {
    const home = mkdtempSync(join(work, 'home-'));
    tugSamples.push(timed('node', [tug, 'image', 'pull', '-q', ref], { TUG_HOME: home, DOCKER_CONFIG: join(home, 'none') }));
    tugStore = duBytes(join(home, 'images'));
    rmSync(home, { recursive: true, force: true });
  }
  result.tug = { median: median(tugSamples), samples: tugSamples, storeBytes: tugStore };

  const docker = spawnSync('docker', ['info'], { encoding: 'utf8' }).status === 0;
  if (docker) {
    const dockerSamples = [];
    for (let i = 0; i < runs; i++) {
      spawnSync('docker', ['image', 'rm', '-f', ref], { encoding: 'utf8' });
      dockerSamples.push(timed('docker', ['pull', '-q', ref]));
    }
    const df = spawnSync('docker', ['image', 'inspect', '-f', '{{.Size}}', ref], { encoding: 'utf8' });
    result.docker = { median: median(dockerSamples), samples: dockerSamples, imageBytes: Number(df.stdout.trim()) || null };
    spawnSync('docker', ['image', 'rm', '-f', ref], { encoding: 'utf8' });
  } else result.docker = { skipped: 'no Docker Engine answers' };

  if (hasCommand('skopeo')) {
    const skopeoSamples = [];
    for (let i = 0; i < runs; i++) {
      const dest = join(work, `oci-${i}`);
      // A private blob-info cache, so no earlier run's knowledge is reused.
      skopeoSamples.push(timed('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:1`], { XDG_RUNTIME_DIR: mkdtempSync(join(work, 'xdg-')), HOME: mkdtempSync(join(work, 'h-')) }));
      rmSync(dest, { recursive: true, force: true });
    }
    result.skopeo = { median: median(skopeoSamples), samples: skopeoSamples, note: 'copies to an OCI layout: no unpack' };
  } else result.skopeo = { skipped: 'skopeo not installed' };

  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : 'n/a');
  console.log(`tug image pull   median ${fmt(result.tug.median)}   store on disk ${(tugStore / 1e6).toFixed(1)} MB (blobs + unpacked layers)`);
  console.log(`docker pull      median ${fmt(result.docker.median)}   image size ${result.docker.imageBytes ? (result.docker.imageBytes / 1e6).toFixed(1) + ' MB (unpacked)' : 'n/a'}`);
  console.log(`skopeo copy      median ${fmt(result.skopeo.median)}   (no unpack)`);
  console.log(`tug / docker = ${ratio(result.tug.median, result.docker.median)}   tug / skopeo = ${ratio(result.tug.median, result.skopeo.median)}`);
} finally {
  reg.child.kill('SIGTERM');
  await new Promise((r) => reg.child.once('exit', r));
  rmSync(work, { recursive: true, force: true });
}
writeResult(join(root, 'bench/results/image-pull.json'), result);
