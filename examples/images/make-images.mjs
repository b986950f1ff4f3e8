// Writes images.tar: a `docker save` archive of two small images made from the
// host's static busybox (Debian: apt-get install busybox-static), without Docker
// or a registry. `tug image load -i images.tar` (or `docker load -i images.tar`)
// brings them in. Usage: node make-images.mjs [output file, default ./images.tar]
//   tug-example/web:1     busybox httpd serving /www on port 80, with a HEALTHCHECK
//   tug-example/client:1  fetches $TARGET every 5 seconds and prints it
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';

const here = dirname(fileURLToPath(import.meta.url));
const busybox = readFileSync('/bin/busybox');
const sha = (b) => createHash('sha256').update(b).digest('hex');

async function tar(entries) {
  const p = pack();
  const chunks = [];
  p.on('data', (c) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  for (const e of entries) {
    await new Promise((resolve, reject) =>
      p.entry({ mtime: new Date(0), uid: 0, gid: 0, ...e, size: e.body ? e.body.length : 0 }, e.body, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const applets = ['sh', 'httpd', 'wget', 'sleep', 'echo', 'cat', 'ls', 'true', 'date'];
const base = await tar([
  { name: 'bin/', type: 'directory', mode: 0o755 },
  { name: 'bin/busybox', type: 'file', mode: 0o755, body: busybox },
  ...applets.map((a) => ({ name: `bin/${a}`, type: 'symlink', mode: 0o777, linkname: 'busybox' })),
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/passwd', type: 'file', mode: 0o644, body: Buffer.from('root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/www:/bin/false\n') },
  { name: 'etc/group', type: 'file', mode: 0o644, body: Buffer.from('root:x:0:\nwww:x:33:\n') },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
]);
const site = await tar([
  { name: 'www/', type: 'directory', mode: 0o755, uid: 33, gid: 33 },
  { name: 'www/index.html', type: 'file', mode: 0o644, uid: 33, gid: 33, body: Buffer.from('<h1>hello from an image</h1>\n') },
]);

const images = [
  {
    tag: 'tug-example/web:1',
    layers: [base, site],
    config: {
      Cmd: ['httpd', '-f', '-v', '-p', '80', '-h', '/www'],
      ExposedPorts: { '80/tcp': {} },
      WorkingDir: '/www',
      Env: ['PATH=/bin'],
      Healthcheck: { Test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/'], Interval: 2e9, Timeout: 2e9, Retries: 5 },
      Labels: { 'org.opencontainers.image.title': 'tug example web server' },
    },
  },
  {
    tag: 'tug-example/client:1',
    layers: [base],
    config: {
      Entrypoint: ['sh', '-c'],
      Cmd: ['while true; do wget -q -O - "$TARGET"; sleep 5; done'],
      Env: ['PATH=/bin', 'TARGET=http://127.0.0.1/'],
      StopSignal: 'SIGKILL',
    },
  },
];

const files = [];
const manifest = [];
const written = new Set();
for (const img of images) {
  const layerPaths = img.layers.map((l) => `${sha(l)}/layer.tar`);
  img.layers.forEach((l, i) => {
    if (written.has(layerPaths[i])) return;
    written.add(layerPaths[i]);
    files.push({ name: layerPaths[i], type: 'file', mode: 0o644, body: l });
  });
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: img.config,
    rootfs: { type: 'layers', diff_ids: img.layers.map((l) => `sha256:${sha(l)}`) },
  }));
  files.push({ name: `${sha(config)}.json`, type: 'file', mode: 0o644, body: config });
  manifest.push({ Config: `${sha(config)}.json`, RepoTags: [img.tag], Layers: layerPaths });
}
files.push({ name: 'manifest.json', type: 'file', mode: 0o644, body: Buffer.from(JSON.stringify(manifest)) });
const out = process.argv[2] ?? join(here, 'images.tar');
writeFileSync(out, await tar(files));
console.log(`wrote ${out}: ${images.map((i) => i.tag).join(', ')}`);
