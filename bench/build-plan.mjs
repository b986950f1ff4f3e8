// The part of a tug build that runs before any container does: parse a 6-step
// Dockerfile, plan it, read a 2,000-file context and hash what COPY reads, and
// compute every cache key. That is all a no-change rebuild does besides cache
// lookups, so it must be a small fraction of the 200 ms target.
// Peers measured in the same run: dockerfile-ast parsing the same Dockerfile,
// the docker backend packing the same context as a tar (what `docker build`
// sends before it starts), and, when a Docker Engine answers, `docker build`
// of the same Dockerfile with nothing changed (classic builder).
// Usage: node bench/build-plan.mjs [files=2000] [runs=15]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, hasCommand, median, timeCommand, writeResult } from './lib.mjs';

const files = Number(process.argv[2] ?? 2000);
const runs = Number(process.argv[3] ?? 15);
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => join(root, 'dist', p);
const { parseDockerfile } = await import(dist('core/build/dockerfile/parse.js'));
const { planStages } = await import(dist('core/build/plan/graph.js'));
const { resolveStage } = await import(dist('core/build/plan/steps.js'));
const { baseKey, stepKey } = await import(dist('core/build/cache-key.js'));
const { scratchConfig } = await import(dist('core/build/image-config.js'));
const { BuildContext } = await import(dist('runtime/build/context.js'));
const { FileDigester } = await import(dist('runtime/build/digest.js'));
const { buildContext } = await import(dist('runtime/docker/build-context.js'));
const { DockerfileParser } = await import('dockerfile-ast');

const DOCKERFILE = ['FROM tug-test/busybox:latest', 'RUN echo one > /one', 'RUN echo two > /two', 'WORKDIR /app', 'COPY . /app', 'CMD ["sh"]', ''].join('\n');
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-build-'));
for (let i = 0; i < files; i++) {
  const sub = join(dir, 'src', `d${i % 20}`);
  if (i < 20) mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, `f${i}.js`), `export const value${i} = ${i};\n`.repeat(10));
}
writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
writeFileSync(join(dir, '.dockerignore'), 'node_modules\n*.log\n');

const platform = { os: 'linux', architecture: 'amd64' };
const loc = (d) => d;
async function planAndHash(digestCache) {
  const parsed = parseDockerfile(DOCKERFILE, join(dir, 'Dockerfile'));
  const graph = planStages(parsed, { platform });
  const stage = resolveStage(graph, graph.target, scratchConfig(platform));
  const context = await BuildContext.open(dir);
  const digester = new FileDigester(digestCache);
  let key = baseKey({ kind: 'image', imageId: 'sha256:base' });
  for (const step of stage.steps) {
    if (step.op.kind === 'config') continue;
    const contentHash = step.op.kind === 'copy' ? await digester.contentHash(await context.match(step.op.sources, loc(step.location), 'COPY')) : undefined;
    key = stepKey(key, step.op, { contentHash });
  }
  return key;
}

async function timeAsync(fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: median(samples), samples };
}

const store = new Map();
const persistent = { get: (k) => store.get(k), set: (k, v) => store.set(k, v) };
await planAndHash(persistent);
const results = {
  files,
  runs,
  tug: {
    parseOnly: await timeAsync(async () => parseDockerfile(DOCKERFILE)),
    planAndHashCold: await timeAsync(() => planAndHash(undefined)),
    planAndHashWarmDigests: await timeAsync(() => planAndHash(persistent)),
  },
  peers: {
    dockerfileAstParse: await timeAsync(async () => DockerfileParser.parse(DOCKERFILE)),
    dockerBackendContextTar: await timeAsync(async () => {
      for await (const _chunk of (await buildContext(dir, {})).stream);
    }),
  },
};
// A fresh process: what `tug build` pays for loading the modules too.
const script = `const t=process.hrtime.bigint();const p=await import(${JSON.stringify(dist('core/build/dockerfile/parse.js'))});await import(${JSON.stringify(dist('runtime/build/builder.js'))});p.parseDockerfile(${JSON.stringify(DOCKERFILE)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
const loads = [];
for (let i = 0; i < 5; i++) loads.push(Number(spawnSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout.trim()));
results.tug.moduleLoad = { median: median(loads), samples: loads };

const dockerUp = hasCommand('docker') && spawnSync('docker', ['image', 'inspect', 'tug-test/busybox:latest'], { stdio: 'ignore' }).status === 0;
if (dockerUp) {
  const tag = `tug-bench-build:${process.pid}`;
  const env = { DOCKER_BUILDKIT: '0' };
  timeCommand('docker', ['build', '-q', '-t', tag, dir], { runs: 1, env });
  results.peers.dockerClassicNoChangeRebuild = timeCommand('docker', ['build', '-q', '-t', tag, dir], { runs: 5, env });
  spawnSync('docker', ['image', 'rm', '-f', tag], { stdio: 'ignore' });
}
rmSync(dir, { recursive: true, force: true });

console.log(`tug build planning: a 6-step Dockerfile with a ${files}-file context, median of ${runs} runs`);
console.log(`  parse only                             ${results.tug.parseOnly.median.toFixed(2)} ms   (dockerfile-ast: ${results.peers.dockerfileAstParse.median.toFixed(2)} ms)`);
console.log(`  parse + plan + hash + keys, cold       ${fmt(results.tug.planAndHashCold.median)}`);
console.log(`  the same, digests cached by stat       ${fmt(results.tug.planAndHashWarmDigests.median)}`);
console.log(`  module load + parse, fresh process     ${fmt(results.tug.moduleLoad.median)}`);
console.log(`  peer: docker backend context tar       ${fmt(results.peers.dockerBackendContextTar.median)}`);
if (results.peers.dockerClassicNoChangeRebuild) console.log(`  peer: docker build, no change (classic) ${fmt(results.peers.dockerClassicNoChangeRebuild.median)}`);
writeResult(join(root, 'bench/results/build-plan.json'), results);
