// The same Dockerfiles planned by tug and built by the real Docker Engine's
// (classic) builder: the image config tug computes (every metadata instruction,
// ARG scope and expansion included) must be the config Docker produces, and
// COPY must lay out files, modes and owners as Docker's does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/core/build/dockerfile/parse.js';
import { createdDirs, layoutCopy, type LayerEntry } from '../../src/core/build/copy-layout.js';
import { resolveChown } from '../../src/core/build/chown.js';
import { planStages } from '../../src/core/build/plan/graph.js';
import { resolveStage, type CopyOp, type RunOp } from '../../src/core/build/plan/steps.js';
import type { ImageConfig, ImageRuntimeConfig } from '../../src/core/images/image-config.js';
import { BuildContext } from '../../src/runtime/build/context.js';
import { buildImage } from '../../src/runtime/docker/images.js';
import { describeDocker, ensureTestImage, TEST_IMAGE, testDocker, uniqueDockerProject } from '../helpers/docker.js';

const DOCKERFILE = [
  `ARG BASE=${TEST_IMAGE}`,
  'FROM ${BASE}',
  'ARG APP=web',
  'ARG PORT=8080',
  'ENV A=1 B="two words" C=$A-${APP}',
  'ENV OLD value with spaces',
  `ENV D=\${MISSING:-dflt} E=\${A:+set} F='$A' G="\\$A" H=a\\ b`,
  'LABEL org.example.app=$APP other="x y"',
  'LABEL oldform value with spaces',
  'ENV X=old',
  'ENV X=new Y=$X',
  'ARG DIR=/vol',
  'VOLUME ["$DIR"]',
  'EXPOSE 80/TCP',
  'USER ${NOBODY:-nobody}',
  'WORKDIR /srv',
  'WORKDIR $APP/../data',
  'USER 1000:1000',
  'EXPOSE $PORT 53/udp 9000-9002',
  'VOLUME ["/data"]',
  'VOLUME /logs /cache',
  'STOPSIGNAL SIGQUIT',
  'HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=2 CMD ["/bin/true"]',
  'SHELL ["/bin/ash", "-c"]',
  'ENTRYPOINT ["/entry"]',
  'CMD serve --port $PORT',
  'ONBUILD RUN echo child',
  '',
].join('\n');

// Awkward lines: the escape directive, continuations with comments and an
// empty line between them, an indented instruction, lowercase keywords, CRLF.
const AWKWARD = [
  '# escape=`',
  `FROM ${TEST_IMAGE}`,
  'ENV PATHS="c:\\dir\\sub" `',
  '# a comment inside the instruction',
  '    MORE=joined`',
  '',
  '_tail',
  '  label a="one `',
  'two" b=`$NOT',
  'env Q="say ``hi``" R=``',
  'CMD ["echo", `',
  '     "continued"]',
  '',
].join('\r\n');

// COPY in its forms, each landing under /out: rename, into a directory, a
// directory's contents with and without a trailing slash, onto an existing
// directory, globs, --chown, and a deep new destination.
const COPIES = [
  `FROM ${TEST_IMAGE}`,
  'WORKDIR /out/existing',
  'WORKDIR /out',
  'COPY app/top.txt renamed.txt',
  'COPY app/top.txt ./',
  'COPY app dircopy',
  'COPY app/ dircopy2/',
  'COPY app/top.txt existing',
  'COPY app/*.txt app/sub/*.sh globbed/',
  'COPY --chown=1000:50 app/sub/ chowned/',
  'COPY app/sub/run.sh deep/er/run.sh',
  '',
].join('\n');

// What a RUN sees: ARG scope across FROM, build args over defaults, ENV over
// ARG, and a proxy build argument that no ARG declares.
const RUN_ENV = ['ARG META=m', `FROM ${TEST_IMAGE}`, 'ARG META', 'ARG LOCAL=l', 'ARG UNSET', 'ENV E=e', 'ARG OVERRIDDEN=argval', 'ENV OVERRIDDEN=envval', 'RUN env > /env.txt', ''].join('\n');
const RUN_ARGS = { LOCAL: 'given', HTTP_PROXY: 'http://proxy.invalid:3128' };

const FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'Healthcheck', 'StopSignal', 'Shell', 'OnBuild'] as const;

/** The fields both sides define, without Docker's empty placeholders (null, "", {}). */
function comparable(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = config[f];
    if (v === null || v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0)) continue;
    out[f] = v;
  }
  return out;
}

let dir: string;
let tag: string;
let awkwardTag: string;
let copiesTag: string;
let runTag: string;

describeDocker('tug and the Docker builder agree', () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), 'tug-build-parity-'));
    mkdirSync(join(dir, 'app/sub'), { recursive: true });
    writeFileSync(join(dir, 'app/top.txt'), 'top\n');
    writeFileSync(join(dir, 'app/sub/run.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'app/sub/run.sh'), 0o750);
    writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    tag = `${uniqueDockerProject('tugparity')}:latest`;
    await buildImage(await testDocker(), 'parity', 'web', { context: dir, args: { APP: 'api' } }, tag, () => {});
    writeFileSync(join(dir, 'Awkward.Dockerfile'), AWKWARD);
    awkwardTag = `${uniqueDockerProject('tugparity')}:awkward`;
    await buildImage(await testDocker(), 'parity', 'web', { context: dir, dockerfile: 'Awkward.Dockerfile' }, awkwardTag, () => {});
    writeFileSync(join(dir, 'Copies.Dockerfile'), COPIES);
    copiesTag = `${uniqueDockerProject('tugparity')}:copies`;
    await buildImage(await testDocker(), 'parity', 'web', { context: dir, dockerfile: 'Copies.Dockerfile' }, copiesTag, () => {});
    writeFileSync(join(dir, 'Run.Dockerfile'), RUN_ENV);
    runTag = `${uniqueDockerProject('tugparity')}:run`;
    await buildImage(await testDocker(), 'parity', 'web', { context: dir, dockerfile: 'Run.Dockerfile', args: RUN_ARGS }, runTag, () => {});
  }, 120_000);

  afterAll(async () => {
    for (const t of [tag, awkwardTag, copiesTag, runTag]) if (t) await (await testDocker()).getImage(t).remove({ force: true }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('computes the image config Docker does', async () => {
    const docker = await testDocker();
    const base = (await docker.getImage(TEST_IMAGE).inspect()).Config as unknown as ImageRuntimeConfig;
    const built = (await docker.getImage(tag).inspect()).Config as unknown as Record<string, unknown>;
    const graph = planStages(parseDockerfile(DOCKERFILE), { platform: { os: 'linux', architecture: 'amd64' }, buildArgs: { APP: 'api' } });
    const baseConfig: ImageConfig = { architecture: 'amd64', os: 'linux', config: comparable(base as Record<string, unknown>) as ImageRuntimeConfig, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    const ours = resolveStage(graph, graph.target, baseConfig).config.config;
    expect(comparable(ours as Record<string, unknown>)).toEqual(comparable(built));
  });

  it('reads escape directives, continuations, comments and CRLF as Docker does', async () => {
    const docker = await testDocker();
    const built = (await docker.getImage(awkwardTag).inspect()).Config as unknown as Record<string, unknown>;
    const base = (await docker.getImage(TEST_IMAGE).inspect()).Config as unknown as Record<string, unknown>;
    const graph = planStages(parseDockerfile(AWKWARD), { platform: { os: 'linux', architecture: 'amd64' } });
    const baseConfig: ImageConfig = { architecture: 'amd64', os: 'linux', config: comparable(base) as ImageRuntimeConfig, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    expect(comparable(resolveStage(graph, graph.target, baseConfig).config.config as Record<string, unknown>)).toEqual(comparable(built));
  });

  it('gives RUN the environment Docker gives it', async () => {
    // The daemon adds HOSTNAME, HOME and PATH, the shell PWD and SHLVL.
    const theirs = (await exportedContent(runTag, 'env.txt')).split('\n').filter((l) => l !== '' && !/^(HOSTNAME|HOME|PATH|PWD|SHLVL)=/.test(l));
    const graph = planStages(parseDockerfile(RUN_ENV), { platform: { os: 'linux', architecture: 'amd64' }, buildArgs: RUN_ARGS });
    const run = resolveStage(graph, graph.target, { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] }).steps.find((s) => s.op.kind === 'run')!.op as RunOp;
    expect(run.env.filter((l) => !l.startsWith('PATH=')).sort()).toEqual(theirs.sort());
  });

  it('lays out COPY files, modes and owners as Docker does', async () => {
    const theirs = await exportedFiles(copiesTag, 'out/');
    expect(theirs).toContain('out/chowned/run.sh file 750 1000:50');
    expect(theirs.length).toBeGreaterThan(15);
    const graph = planStages(parseDockerfile(COPIES), { platform: { os: 'linux', architecture: 'amd64' } });
    const steps = resolveStage(graph, graph.target, { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] }).steps;
    const context = await BuildContext.open(dir);
    // Layer after layer, as an overlay would stack them: what a step wrote exists for the next one.
    const image = new Map<string, LayerEntry>();
    const existing = (p: string) => (p === '/' || image.get(p.slice(1))?.type === 'directory' ? 'directory' : image.has(p.slice(1)) ? 'other' : undefined);
    for (const step of steps) {
      let entries: LayerEntry[] = [];
      if (step.op.kind === 'workdir') entries = createdDirs(step.op.path, [], { existing });
      else if (step.op.kind === 'copy') {
        const op = step.op as CopyOp;
        const owner = op.chown ? resolveChown(op.chown, {}, step.location) : undefined;
        entries = layoutCopy({ op, matches: await context.match(op.sources, step.location, 'COPY'), existing, owner, keepOwners: false });
      }
      for (const e of entries) image.set(e.path, e);
    }
    const ours = [...image.values()].filter((e) => e.path.startsWith('out/')).map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid}`);
    expect(ours.sort()).toEqual(theirs.sort());
  });
});

/** The content of one file in a container of `image`, from `docker export`. */
async function exportedContent(image: string, path: string): Promise<string> {
  let content = '';
  await exportEach(image, (name, data) => {
    if (name === path) content = data.toString('utf8');
  });
  return content;
}

async function exportEach(image: string, onFile: (name: string, data: Buffer, header: tar.Header) => void): Promise<void> {
  const docker = await testDocker();
  const container = await docker.createContainer({ Image: image, Entrypoint: ['/bin/true'] });
  try {
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        onFile(header.name.replace(/\/$/, ''), Buffer.concat(chunks), header);
        next();
      });
    });
    const exported = (await container.export()) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      exported.pipe(extract as unknown as NodeJS.WritableStream);
    });
  } finally {
    await container.remove({ force: true });
  }
}

/** `path type mode uid:gid` of every file under `prefix` in a container of `image`, from `docker export`. */
async function exportedFiles(image: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  await exportEach(image, (name, _data, header) => {
    if (name.startsWith(prefix)) out.push(`${name} ${header.type} ${((header.mode ?? 0) & 0o7777).toString(8)} ${header.uid}:${header.gid}`);
  });
  return out;
}
