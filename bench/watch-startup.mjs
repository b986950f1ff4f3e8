// Watch start-up on a tree with 20,000 files under an ignored node_modules:
// time until the watcher is ready and the inotify watches it holds, for tug's
// watcher (ignores applied by the watcher) beside two naive peers on the same
// tree: chokidar without ignores (ignores applied to events only), and one
// fs.watch per directory, ignored ones included, as Compose's Linux watcher does.
// Each trial runs in a fresh process, so watch counts and caches do not mix.
// Usage: npm run build && node bench/watch-startup.mjs [files=20000] [runs=5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, writeResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(import.meta.url);

if (process.argv[2] === '--trial') {
  console.log(JSON.stringify(await trial(process.argv[3], process.argv[4])));
  process.exit(0);
}

const files = Number(process.argv[2] ?? 20000);
const runs = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-watch-'));
makeTree(dir, files);

const peers = {
  tug: 'tug watcher (ignores applied by the watcher)',
  chokidarNaive: 'chokidar without ignores (ignores on events only)',
  fsWatchPerDir: 'fs.watch on every directory (Compose on Linux)',
};
const results = { files, runs, tree: 'src/ (50 files in 5 dirs) + src/node_modules (ignored; npm-shaped, 8 files per directory) + src/.git', peers: {} };
for (const kind of Object.keys(peers)) {
  runTrial(kind, dir); // warm the page cache
  const samples = [];
  let watches;
  let failure;
  for (let i = 0; i < runs; i++) {
    const r = runTrial(kind, dir);
    if (r.error) {
      failure = r.error;
      break;
    }
    samples.push(r.ms);
    watches = r.watches;
  }
  results.peers[kind] = { label: peers[kind], medianMs: samples.length ? median(samples) : null, samples, inotifyWatches: watches, failure };
}
rmSync(dir, { recursive: true, force: true });

console.log(`watch start-up on ${files} files under an ignored node_modules, median of ${runs} runs`);
for (const [kind, r] of Object.entries(results.peers)) {
  const line = `  ${r.label.padEnd(52)} ${fmt(r.medianMs).padStart(8)}   ${String(r.inotifyWatches ?? 'n/a').padStart(6)} inotify watches`;
  console.log(r.failure ? `${line}   (failed: ${r.failure})` : line);
}
const tug = results.peers.tug;
for (const kind of ['chokidarNaive', 'fsWatchPerDir']) {
  const peer = results.peers[kind];
  if (tug.medianMs && peer.medianMs) console.log(`  ${kind}: ${(peer.medianMs / tug.medianMs).toFixed(1)}x the time, ${peer.inotifyWatches} vs ${tug.inotifyWatches} watches`);
}
writeResult(join(root, 'bench/results/watch-startup.json'), results);

function runTrial(kind, tree) {
  const r = spawnSync(process.execPath, [here, '--trial', kind, tree], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' | ') };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function makeTree(base, count) {
  const src = join(base, 'src');
  for (let d = 0; d < 5; d++) {
    mkdirSync(join(src, `mod${d}`), { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(join(src, `mod${d}`, `f${f}.js`), 'export {};\n');
  }
  // Shaped like an npm tree: packages of 4 directories (root, lib, lib/util, dist) of 8 files each.
  const perDir = 8;
  let made = 0;
  for (let p = 0; made < count; p++) {
    for (const sub of ['', 'lib', 'lib/util', 'dist']) {
      const d = join(src, 'node_modules', `pkg${p}`, sub);
      mkdirSync(d, { recursive: true });
      for (let f = 0; f < perDir && made < count; f++, made++) writeFileSync(join(d, `f${f}.js`), '');
    }
  }
  mkdirSync(join(src, '.git', 'objects'), { recursive: true });
  writeFileSync(join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
}

async function trial(kind, tree) {
  const { inotifyWatchCount } = await import(join(root, 'dist/runtime/watch/inotify.js'));
  // Modules are loaded before the clock starts: only the watching is timed.
  const { compileRule } = await import(join(root, 'dist/engine/watch/match.js'));
  const { watchRoots } = await import(join(root, 'dist/runtime/watch/watcher.js'));
  const { watch: chokidarWatch } = await import('chokidar');
  const src = join(tree, 'src');
  const start = performance.now();
  let close;
  if (kind === 'tug') {
    const rule = compileRule({ service: 'web', index: 0, rule: { path: src, action: 'sync', target: '/app', ignore: ['node_modules'] } });
    const watcher = watchRoots([{ id: 'web#0', path: src, prunes: (p, d) => rule.prunes(p, d) }], () => {});
    await watcher.ready;
    close = () => watcher.close();
  } else if (kind === 'chokidarNaive') {
    const watcher = chokidarWatch(src, { ignoreInitial: true, followSymlinks: false });
    await new Promise((resolve) => watcher.once('ready', resolve));
    close = () => watcher.close();
  } else {
    const watchers = [];
    const walk = (d) => {
      watchers.push(watch(d, () => {}));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    walk(src);
    close = async () => watchers.forEach((w) => w.close());
  }
  const ms = performance.now() - start;
  const watches = inotifyWatchCount();
  await close();
  return { ms, watches };
}
