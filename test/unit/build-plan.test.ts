// The build plan on literal Dockerfiles: stages, target and skipped stages,
// ARG scoping, the config each metadata instruction produces, and the fully
// resolved RUN and COPY steps.
import { describe, expect, it } from 'vitest';
import { errorsOf } from '../helpers/user-errors.js';
import { parseDockerfile } from '../../src/core/build/dockerfile/parse.js';
import { planStages, type BuildOptions } from '../../src/core/build/plan/graph.js';
import { resolveStage, type CopyOp, type RunOp } from '../../src/core/build/plan/steps.js';
import { scratchConfig, type ImageConfig } from '../../src/core/build/image-config.js';
import { formatStages, formatSteps } from '../../src/core/build/plan/format.js';

const platform = { os: 'linux', architecture: 'amd64' };
const plan = (text: string, opts: Partial<BuildOptions> = {}) => planStages(parseDockerfile(text, 'Dockerfile'), { platform, ...opts });
const base = (config: ImageConfig['config'] = {}): ImageConfig => ({ ...scratchConfig(platform), config });

function resolve(text: string, opts: Partial<BuildOptions> = {}, baseConfig = base()) {
  const graph = plan(text, opts);
  return resolveStage(graph, graph.target, baseConfig);
}
const runs = (text: string, opts: Partial<BuildOptions> = {}, baseConfig = base()) =>
  resolve(text, opts, baseConfig).steps.flatMap((s) => (s.op.kind === 'run' ? [s.op as RunOp] : []));


describe('stages and target', () => {
  const multi = ['FROM busybox AS deps', 'RUN echo deps', 'FROM deps AS build', 'RUN echo build', 'FROM alpine AS unrelated', 'RUN echo x', 'FROM scratch', 'COPY --from=build /out /out', 'COPY --from=1 /b /b', 'COPY --from=nginx:1 /etc/nginx /n'].join('\n');

  it('finds bases, COPY --from stages and images, and builds only what the target needs', () => {
    const graph = plan(multi);
    expect(graph.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'busybox' }, { kind: 'stage', index: 0 }, { kind: 'image', ref: 'alpine' }, { kind: 'scratch' }]);
    expect(graph.target).toBe(3);
    expect(graph.stages[3]!.deps).toEqual([1]);
    expect([...graph.stages[3]!.copyFrom.values()]).toEqual([{ kind: 'stage', index: 1 }, { kind: 'stage', index: 1 }, { kind: 'image', ref: 'nginx:1' }]);
    expect(graph.needed).toEqual([0, 1, 3]);
  });

  it('selects build.target and skips the stages after it', () => {
    const graph = plan(multi, { target: 'DEPS' });
    expect(graph.target).toBe(0);
    expect(graph.needed).toEqual([0]);
  });

  it('refuses an unknown target with a suggestion, a reused stage name, and --from of a later stage', () => {
    expect(errorsOf(() => plan(multi, { target: 'buld' }))[0]).toMatchObject({ code: 'build.target', hint: 'did you mean build?' });
    expect(errorsOf(() => plan('FROM a AS x\nFROM b AS x\n'))[0]!.message).toMatch(/used twice/);
    expect(errorsOf(() => plan('FROM a\nCOPY --from=0 /a /a\n'))[0]!.message).toMatch(/this stage or a later one/);
  });

  it('treats a stage name used before it is defined as an image, as Docker does', () => {
    expect(plan('FROM later\nFROM a AS later\n').stages[0]!.base).toEqual({ kind: 'image', ref: 'later' });
  });
});

describe('the plan as text', () => {
  it('shows stages and resolved steps in one read', () => {
    const text = 'FROM busybox AS build\nWORKDIR /src\nCOPY --chown=app . .\nRUN make\nFROM alpine AS docs\nFROM scratch\nCOPY --from=build /src/app /app\nENTRYPOINT ["/app"]\n';
    const graph = plan(text);
    expect(formatStages(graph)).toBe(['stage build: image busybox', 'stage docs: image alpine [skipped]', 'stage 2: scratch after build [target]'].join('\n'));
    expect(formatSteps(resolveStage(graph, 0, base()))).toBe(['2: WORKDIR /src (mkdir)', '3: COPY ["."] -> /src/ chown=app', '4: RUN ["/bin/sh","-c","make"] workdir=/src'].join('\n'));
    expect(formatSteps(resolveStage(graph, 2, base()))).toBe(['7: COPY ["/src/app"] -> /app from=stage:0', '8: config: ENTRYPOINT ["/app"]'].join('\n'));
  });
});

describe('ARG scope', () => {
  it('expands meta ARGs in FROM, with build args overriding defaults', () => {
    const text = 'ARG TAG=1.36\nARG IMG=busybox:${TAG}\nFROM ${IMG}\nFROM --platform=$BUILDPLATFORM alpine:$TAG\n';
    expect(plan(text).stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'busybox:1.36' },
      { kind: 'image', ref: 'alpine:1.36', platform: 'linux/amd64' },
    ]);
    expect(plan(text, { buildArgs: { TAG: 'latest' } }).stages[0]!.base).toEqual({ kind: 'image', ref: 'busybox:latest' });
  });

  it('makes a meta ARG visible in a stage only once re-declared there', () => {
    const text = 'ARG V=meta\nFROM a\nRUN echo before $V\nARG V\nRUN echo after $V\n';
    const [before, after] = runs(text);
    expect(before!.env).not.toContain('V=meta');
    expect(after!.env).toContain('V=meta');
    expect(runs(text, { buildArgs: { V: 'given' } })[1]!.env).toContain('V=given');
  });

  it('lets a build arg override an ARG default, and ENV override both', () => {
    const text = 'FROM a\nARG MODE=dev\nRUN one\nENV MODE=prod\nRUN two\n';
    const [one, two] = runs(text, { buildArgs: { MODE: 'ci' } });
    expect(one!.env).toContain('MODE=ci');
    expect(two!.env.filter((e) => e.startsWith('MODE='))).toEqual(['MODE=prod']);
  });

  it('passes proxy args to RUN without a declaration, keeping them out of the cache key', () => {
    const [run] = runs('FROM a\nRUN apt-get update\n', { buildArgs: { HTTP_PROXY: 'http://user:secret@proxy:3128' } });
    expect(run!.env).toContain('HTTP_PROXY=http://user:secret@proxy:3128');
    expect(run!.keyEnv.join()).not.toMatch(/secret/);
  });

  it('reports build args no built stage declares', () => {
    const graph = plan('FROM a AS x\nARG USED\nFROM b AS y\nARG OTHER\n', { target: 'x', buildArgs: { USED: '1', OTHER: '2', NOPE: '3', HTTPS_PROXY: 'p' } });
    expect(graph.unusedBuildArgs).toEqual(['OTHER', 'NOPE']);
  });

  it('gives RUN a default PATH when the image has none', () => {
    expect(runs('FROM scratch\nRUN x\n')[0]!.env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(runs('FROM a\nRUN x\n', {}, base({ Env: ['PATH=/opt/bin'] }))[0]!.env.filter((e) => e.startsWith('PATH='))).toEqual(['PATH=/opt/bin']);
  });
});

describe('metadata instructions', () => {
  it('turns each one into the image config docker image inspect shows', () => {
    const { config } = resolve(
      [
        'FROM a',
        'ARG APP=web',
        'ENV A=1 B="two words"',
        'ENV C=$A-${APP}',
        'LABEL org.example.app=$APP other="x y"',
        'WORKDIR /srv',
        'WORKDIR $APP/../data',
        'USER 1000:1000',
        'EXPOSE 80 53/udp 9000-9002',
        'VOLUME ["/data"]',
        'VOLUME /logs',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD ["/bin/true"]',
        'SHELL ["/bin/ash", "-c"]',
        'ENTRYPOINT ["/entry"]',
        'CMD serve --port 80',
        'ONBUILD RUN echo child',
      ].join('\n'),
      {},
      base({ Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { base: 'yes' } }),
    );
    expect(config.config).toEqual({
      Env: ['PATH=/bin', 'A=1', 'B=two words', 'C=1-web'],
      Labels: { base: 'yes', 'org.example.app': 'web', other: 'x y' },
      WorkingDir: '/srv/data',
      User: '1000:1000',
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {}, '9002/tcp': {} },
      Volumes: { '/data': {}, '/logs': {} },
      StopSignal: 'SIGQUIT',
      Healthcheck: { Test: ['CMD', '/bin/true'], Interval: 5e9, Timeout: 2e9, Retries: 2 },
      Shell: ['/bin/ash', '-c'],
      Entrypoint: ['/entry'],
      Cmd: ['/bin/ash', '-c', 'serve --port 80'],
      OnBuild: ['RUN echo child'],
    });
  });

  it('resets an inherited CMD when ENTRYPOINT is set, but keeps a CMD of the same stage', () => {
    expect(resolve('FROM a\nENTRYPOINT ["/e"]\n', {}, base({ Cmd: ['sh'] })).config.config.Cmd).toBeNull();
    expect(resolve('FROM a\nCMD ["x"]\nENTRYPOINT ["/e"]\n', {}, base({ Cmd: ['sh'] })).config.config.Cmd).toEqual(['x']);
  });

  it('sees, within one ENV line, the environment from before the line', () => {
    expect(resolve('FROM a\nENV X=old\nENV X=new Y=$X\n').config.config.Env).toEqual(['X=new', 'Y=old']);
  });

  it('HEALTHCHECK NONE disables, and the last one wins', () => {
    expect(resolve('FROM a\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n').config.config.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(resolve('FROM a\nHEALTHCHECK CMD curl -f x\n').config.config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl -f x'] });
  });

  it('runs the base image ONBUILD triggers first and does not pass them on', () => {
    const stage = resolve('FROM a\nRUN echo own\n', {}, base({ OnBuild: ['RUN echo triggered', 'ENV FROM_TRIGGER=1'] }));
    expect(stage.steps.map((s) => s.text)).toEqual(['ONBUILD RUN echo triggered', 'ONBUILD ENV FROM_TRIGGER=1', 'RUN echo own']);
    expect(stage.steps[0]!.location.line).toBe(1);
    expect(stage.config.config.Env).toEqual(['FROM_TRIGGER=1']);
    expect(stage.config.config.OnBuild).toBeNull();
  });

  it('reads COPY --from in a base image trigger as an image, never as the context', () => {
    const stage = resolve('FROM a\n', {}, base({ OnBuild: ['COPY --from=tools:1 /bin/tool /usr/bin/tool'] }));
    expect(stage.steps[0]!.op).toMatchObject({ kind: 'copy', from: { kind: 'image', ref: 'tools:1' } });
  });

  it('refuses values that are not ports or signals, each with its line', () => {
    const errors = errorsOf(() => resolve('FROM a\nEXPOSE 80/tpc\nSTOPSIGNAL kill me\nENV X="${Y:?Y is required}"\n'));
    expect(errors.map((e) => [e.location?.line, e.message])).toEqual([
      [2, 'EXPOSE: "80/tpc" is not a port'],
      [3, 'STOPSIGNAL: "kill me" is not a signal'],
      [4, 'Y: Y is required'],
    ]);
  });
});

describe('filesystem steps', () => {
  it('resolves RUN with the current SHELL, USER, WORKDIR and ENV, exec form unexpanded', () => {
    const [shell, exec] = runs('FROM a\nENV GREETING=hi\nUSER app\nWORKDIR /w\nSHELL ["/bin/bash", "-c"]\nRUN echo $GREETING\nRUN ["echo", "$GREETING"]\n');
    expect(shell).toMatchObject({ argv: ['/bin/bash', '-c', 'echo $GREETING'], user: 'app', workdir: '/w', network: 'default' });
    expect(shell!.env).toContain('GREETING=hi');
    expect(exec!.argv).toEqual(['echo', '$GREETING']);
  });

  it('runs heredocs as BuildKit does: a plain body through the shell, a #! body as a file, others appended', () => {
    const [plain, script, appended] = runs('FROM a\nRUN <<EOF\necho one\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN cat > /f <<EOF\nbody\nEOF\n');
    expect(plain!.argv).toEqual(['/bin/sh', '-c', 'echo one\n']);
    expect(script).toMatchObject({ argv: ['/dev/pipes/EOF'], files: [{ path: '/dev/pipes/EOF', content: '#!/usr/bin/env python3\nprint(1)\n', mode: 0o755 }] });
    expect(appended!.argv).toEqual(['/bin/sh', '-c', 'cat > /f <<EOF\nbody\nEOF']);
  });

  it('resolves COPY/ADD: expanded sources, destination against WORKDIR, flags, heredoc files', () => {
    const steps = resolve(
      'FROM a\nARG SRC=app\nWORKDIR /srv\nCOPY --chown=app:$SRC --chmod=0755 $SRC/ ./\nCOPY one.txt renamed.txt\nCOPY <<conf <<"raw" /etc/\nname=$SRC "q"\nconf\n$SRC\nraw\n',
    ).steps.flatMap((s) => (s.op.kind === 'copy' ? [s.op as CopyOp] : []));
    expect(steps[0]).toMatchObject({ sources: ['app/'], dest: '/srv', destIsDir: true, chown: 'app:app', chmod: 0o755 });
    expect(steps[1]).toMatchObject({ sources: ['one.txt'], dest: '/srv/renamed.txt', destIsDir: false });
    expect(steps[2]!.inline).toEqual([{ name: 'conf', content: 'name=app "q"\n' }, { name: 'raw', content: '$SRC\n' }]);
  });

  it('makes WORKDIR a step of its own, so the directory exists', () => {
    const steps = resolve('FROM a\nWORKDIR /app\nLABEL x=y\n').steps;
    expect(steps.map((s) => s.op)).toEqual([{ kind: 'workdir', path: '/app' }, { kind: 'config' }]);
    expect(steps[1]!.history).toEqual({ created_by: 'LABEL x=y', empty_layer: true });
  });

  it('refuses several sources to a non-directory, ADD of URLs, and a non-octal --chmod', () => {
    const errors = errorsOf(() => resolve('FROM a\nCOPY a b /dest\nADD https://example.com/x.tgz /x\nCOPY --chmod=u+x a /a\n'));
    expect(errors.map((e) => e.location?.line)).toEqual([2, 3, 4]);
    expect(errors[0]!.hint).toBe('write /dest/');
    expect(errors[1]!.message).toMatch(/downloads are not supported/);
    expect(errors[2]!.message).toMatch(/not an octal mode/);
  });
});
