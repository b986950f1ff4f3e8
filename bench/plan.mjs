// Planning speed: the time `up` spends deciding what to do for one service
// scaled to N replicas (reconcile + the plan's topological order, as
// `up --dry-run` prints it), for a fresh project and for one where every
// replica is outdated (stop, remove, create, start each), plus `down` of N
// replicas. The peer, measured in the same run, is the floor for that much
// work: building the same number of plain step objects and serializing them.
// Usage: node bench/plan.mjs [sizes=1000,10000,100000] [runs=5] [dist=dist]
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, writeResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sizes = (process.argv[2] ?? '1000,10000,100000').split(',').map(Number);
const runs = Number(process.argv[3] ?? 5);
const dist = resolve(root, process.argv[4] ?? 'dist');
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
const { reconcile } = await load('core/reconcile/reconcile.js');
const { planDown } = await load('core/reconcile/down.js');
const { formatPlan } = await load('core/reconcile/plan.js');

const options = { recreate: 'diverged', recreateDependencies: 'diverged', removeOrphans: false, start: true, startExited: true, hostEnv: {}, tugVersion: 'bench' };

function project(replicas) {
  return {
    name: 'bench',
    workingDir: '/tmp',
    configFiles: [],
    services: { web: { command: ['sleep', '1000'], networks: { default: null }, scale: replicas } },
    disabledServices: {},
    networks: { default: { name: 'bench_default' } },
    volumes: {},
    secrets: {},
    configs: {},
    extensions: {},
  };
}

function observed(replicas) {
  return {
    project: 'bench',
    networks: [{ name: 'bench_default', labels: { 'com.docker.compose.project': 'bench' } }],
    volumes: [],
    replicas: Array.from({ length: replicas }, (_, i) => ({
      id: `id${i}`,
      name: `bench-web-${i + 1}`,
      project: 'bench',
      service: 'web',
      number: i + 1,
      oneoff: false,
      labels: { 'com.docker.compose.project': 'bench', 'com.docker.compose.config-hash': 'outdated' },
      state: 'running',
      restartCount: 0,
      ports: [],
    })),
  };
}

function timeIt(fn) {
  const samples = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    out = fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: median(samples), samples, steps: out };
}

/** The floor: as many step objects as the plan has, each with an `after` list, serialized once. */
function floor(steps) {
  const list = Array.from({ length: steps }, (_, i) => ({ id: String(i + 1), op: { kind: 'create-replica', name: `bench-web-${i}` }, after: i > 0 ? [String(i)] : [] }));
  return JSON.stringify(list).length > 0 ? steps : 0;
}

const results = { runs, dist, sizes: {} };
console.log(`planning one service scaled to N replicas, median of ${runs} runs (${dist})`);
console.log('  replicas   fresh up   outdated up   down      floor (same steps)');
for (const n of sizes) {
  const fresh = timeIt(() => formatPlan(reconcile(project(n), observed(0), options)).split('\n').length);
  const outdatedState = observed(n);
  const outdated = timeIt(() => formatPlan(reconcile(project(n), outdatedState, options)).split('\n').length);
  const down = timeIt(() => formatPlan(planDown(outdatedState, { removeVolumes: false, removeOrphans: false })).split('\n').length);
  const peer = timeIt(() => floor(outdated.steps));
  results.sizes[n] = { fresh, outdated, down, floor: peer };
  const cell = (r) => `${r.median.toFixed(0).padStart(6)} ms`;
  console.log(`  ${String(n).padStart(8)}  ${cell(fresh)}    ${cell(outdated)}   ${cell(down)}   ${cell(peer)}  (${outdated.steps} steps; outdated/floor ${(outdated.median / peer.median).toFixed(1)}x)`);
}
for (const r of Object.values(results.sizes)) for (const k of Object.keys(r)) delete r[k].steps;
writeResult(join(root, 'bench/results/plan.json'), results);
