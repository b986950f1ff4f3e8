import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { normalizeService, type NormalizeContext } from '../../src/core/load/normalize/service.js';
import { splitShellWords } from '../../src/core/load/normalize/shell-words.js';

function context(files: Record<string, string> = {}, env: Record<string, string> = {}): NormalizeContext {
  return {
    workingDir: '/proj',
    homeDir: '/home/ada',
    lookupEnv: (name) => env[name],
    readFile: (path) => files[path],
    // A deliberately small parser: the real dotenv parser is tested on its own.
    parseEnvFile: (text, fileName) => {
      const vars: Record<string, string> = {};
      for (const line of text.split('\n')) {
        if (line.trim() === '' || line.startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq < 0) throw new TugError({ code: 'dotenv.syntax', message: `bad line in ${fileName}: ${line}` });
        vars[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return vars;
    },
  };
}

function normalize(raw: Record<string, unknown>, ctx = context()) {
  return normalizeService('web', raw, ctx);
}

describe('splitShellWords', () => {
  it('splits on whitespace and honours quotes', () => {
    expect(splitShellWords("echo 'a b'")).toEqual(['echo', 'a b']);
    expect(splitShellWords('sh -c "echo \\"hi\\" && exit 1"')).toEqual(['sh', '-c', 'echo "hi" && exit 1']);
    expect(splitShellWords('  a\tb\n c  ')).toEqual(['a', 'b', 'c']);
    expect(splitShellWords("a'b'\"c\"d")).toEqual(['abcd']);
    expect(splitShellWords('printf ""')).toEqual(['printf', '']);
    expect(splitShellWords('a\\ b')).toEqual(['a b']);
    expect(splitShellWords("'a\\b'")).toEqual(['a\\b']);
    expect(splitShellWords('')).toEqual([]);
  });

  it('keeps $(…) and `…` in one word', () => {
    expect(splitShellWords('echo $(date +%s) `id -u`')).toEqual(['echo', '$(date +%s)', '`id -u`']);
  });

  it('keeps shell operators as text instead of truncating the command', () => {
    expect(splitShellWords('echo a && echo b')).toEqual(['echo', 'a', '&&', 'echo', 'b']);
  });

  it('rejects unbalanced quotes', () => {
    expect(() => splitShellWords("echo 'oops")).toThrow(/unclosed/);
  });
});

describe('normalizeService: command and entrypoint', () => {
  it('splits string commands with shell quoting rules', () => {
    const { service } = normalize({ command: "echo 'a b' c", entrypoint: '/bin/sh -c' });
    expect(service.command).toEqual(['echo', 'a b', 'c']);
    expect(service.entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it('keeps list commands and null (explicitly empty)', () => {
    const { service } = normalize({ command: ['npm', 'start', 3], entrypoint: null });
    expect(service.command).toEqual(['npm', 'start', '3']);
    expect(service.entrypoint).toBeNull();
  });

  it('reports an unbalanced quote at the command path', () => {
    const { errors } = normalize({ command: 'echo "oops' });
    expect(errors.map((e) => [e.code, e.path])).toEqual([['normalize.command', ['services', 'web', 'command']]]);
  });
});

describe('normalizeService: depends_on', () => {
  it('turns a list into a map with defaults', () => {
    const { service } = normalize({ depends_on: ['db', 'cache'] });
    expect(service.depends_on).toEqual({
      db: { condition: 'service_started', required: true, restart: false },
      cache: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('fills defaults in the map form and casts booleans', () => {
    const { service } = normalize({ depends_on: { db: { condition: 'service_healthy', restart: 'true' }, cache: {} } });
    expect(service.depends_on).toEqual({
      db: { condition: 'service_healthy', required: true, restart: true },
      cache: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('adds dependencies implied by links, service: namespaces and volumes_from', () => {
    const { service } = normalize({
      links: ['db:database'],
      network_mode: 'service:vpn',
      volumes_from: ['data:ro', 'container:legacy'],
      depends_on: { db: { condition: 'service_healthy' } },
    });
    expect(service.links).toEqual(['db:database']);
    expect(service.depends_on).toEqual({
      db: { condition: 'service_healthy', required: true, restart: false },
      vpn: { condition: 'service_started', required: true, restart: true },
      data: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('adds no depends_on when nothing implies one', () => {
    expect(normalize({ image: 'nginx' }).service.depends_on).toBeUndefined();
  });
});

describe('normalizeService: networks', () => {
  it('joins the default network when no networks or network_mode are given', () => {
    expect(normalize({ image: 'nginx' }).service.networks).toEqual({ default: null });
    expect(normalize({ image: 'nginx', network_mode: 'host' }).service.networks).toBeUndefined();
  });

  it('turns a list into a map of null', () => {
    expect(normalize({ networks: ['front', 'back'] }).service.networks).toEqual({ front: null, back: null });
  });

  it('keeps attachment options and casts priority', () => {
    expect(normalize({ networks: { front: { aliases: ['w'], priority: '10' }, back: null } }).service.networks).toEqual({
      front: { aliases: ['w'], priority: 10 },
      back: null,
    });
  });
});

describe('normalizeService: build', () => {
  it('a string becomes an absolute context with the default Dockerfile', () => {
    expect(normalize({ build: './app' }).service.build).toEqual({ context: '/proj/app', dockerfile: 'Dockerfile' });
  });

  it('keeps URL contexts as written', () => {
    for (const url of ['https://github.com/docker/app.git#main', 'git@github.com:docker/app.git', 'github.com/docker/app']) {
      expect(normalize({ build: url }).service.build!.context).toBe(url);
      expect(normalize({ build: { context: url } }).service.build!.context).toBe(url);
    }
  });

  it('fills the long form and turns args into a map resolved from the environment', () => {
    const ctx = context({}, { TOKEN: 'secret' });
    const { service } = normalize({ build: { dockerfile: 'web.Dockerfile', args: ['VERSION=1', 'TOKEN', 'MISSING'] } }, ctx);
    expect(service.build).toEqual({
      context: '/proj',
      dockerfile: 'web.Dockerfile',
      args: { VERSION: '1', TOKEN: 'secret', MISSING: null },
    });
  });

  it('leaves dockerfile unset when dockerfile_inline is given', () => {
    expect(normalize({ build: { context: '.', dockerfile_inline: 'FROM alpine' } }).service.build).toEqual({
      context: '/proj',
      dockerfile_inline: 'FROM alpine',
    });
  });
});

describe('normalizeService: env_file', () => {
  const files = { '/proj/.env.web': 'A=file\nB=file\n', '/proj/extra.env': 'B=extra\nC=extra\n' };

  it('merges env files under environment, later files and environment winning', () => {
    const { service, errors } = normalize({ env_file: ['.env.web', './extra.env'], environment: { C: 'own' } }, context(files));
    expect(errors).toEqual([]);
    expect(service.env_file).toEqual([
      { path: '/proj/.env.web', required: true },
      { path: '/proj/extra.env', required: true },
    ]);
    expect(service.environment).toEqual({ A: 'file', B: 'extra', C: 'own' });
  });

  it('accepts a string and long-form entries', () => {
    const { service } = normalize({ env_file: '.env.web' }, context(files));
    expect(service.environment).toEqual({ A: 'file', B: 'file' });
    const long = normalize({ env_file: [{ path: 'extra.env', required: 'false', format: 'raw' }] }, context(files)).service;
    expect(long.env_file).toEqual([{ path: '/proj/extra.env', required: false, format: 'raw' }]);
  });

  it('a missing required file is normalize.env-file with its path; an optional one is skipped', () => {
    const { service, errors } = normalize(
      { env_file: ['missing.env', { path: 'optional.env', required: false }], environment: ['X=1'] },
      context(files),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('normalize.env-file');
    expect(errors[0]!.path).toEqual(['services', 'web', 'env_file', 0]);
    expect(errors[0]!.message).toContain('/proj/missing.env');
    expect(service.environment).toEqual({ X: '1' });
  });

  it('reports a parse error of the env file at its entry', () => {
    const { errors } = normalize({ env_file: 'bad.env' }, context({ '/proj/bad.env': 'not a pair' }));
    expect(errors.map((e) => [e.code, e.path])).toEqual([['dotenv.syntax', ['services', 'web', 'env_file', 0]]]);
  });
});

describe('normalizeService: durations, sizes and scalars', () => {
  it('healthcheck durations print in Go form and a string test runs in a shell', () => {
    const { service } = normalize({
      healthcheck: { test: 'curl -f http://localhost', interval: '90s', timeout: '500ms', retries: '3', start_period: '1m' },
    });
    expect(service.healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: '1m30s',
      timeout: '500ms',
      retries: 3,
      start_period: '1m0s',
    });
  });

  it('stop_grace_period and memory sizes', () => {
    const { service } = normalize({ stop_grace_period: '90s', mem_limit: '1.5G', memswap_limit: -1, shm_size: '64m' });
    expect(service.stop_grace_period).toBe('1m30s');
    expect(service.mem_limit).toBe(1_610_612_736);
    expect(service.memswap_limit).toBe(-1);
    expect(service.shm_size).toBe(64 * 1024 * 1024);
  });

  it('deploy: replicas, resources and restart policy', () => {
    const { service } = normalize({
      deploy: {
        replicas: '3',
        resources: { limits: { cpus: '0.5', memory: '512M', pids: '100' }, reservations: { memory: '128m' } },
        restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: '3' },
      },
    });
    expect(service.deploy).toEqual({
      replicas: 3,
      resources: { limits: { cpus: 0.5, memory: 536_870_912, pids: 100 }, reservations: { memory: 134_217_728 } },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3 },
    });
  });

  it('casts interpolated booleans and integers', () => {
    const { service, errors } = normalize({ scale: '2', init: 'true', tty: 'false', read_only: true, ports: [{ target: '80' }] });
    expect(errors).toEqual([]);
    expect(service).toMatchObject({ scale: 2, init: true, tty: false, read_only: true });
    expect(service.ports).toEqual([{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  });

  it('collects every error with its path', () => {
    const { errors } = normalize({
      ports: ['80', '8000-8001:80-82'],
      stop_grace_period: '10',
      mem_limit: 'lots',
      privileged: 'maybe',
      healthcheck: { interval: 'soon' },
      scale: 'two',
    });
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['normalize.port', ['services', 'web', 'ports', 1]],
      ['normalize.duration', ['services', 'web', 'stop_grace_period']],
      ['normalize.bytes', ['services', 'web', 'mem_limit']],
      ['normalize.boolean', ['services', 'web', 'privileged']],
      ['normalize.duration', ['services', 'web', 'healthcheck', 'interval']],
      ['normalize.integer', ['services', 'web', 'scale']],
    ]);
  });

  it('scale and deploy.replicas must agree', () => {
    expect(normalize({ scale: 2, deploy: { replicas: 3 } }).errors[0]!.code).toBe('normalize.scale');
  });
});

describe('normalizeService: maps, lists and pass-through', () => {
  it('labels, annotations and sysctls lists become maps', () => {
    const { service } = normalize({
      labels: ['com.example.a=1', 'flag'],
      annotations: { 'x.y': 2 },
      sysctls: ['net.core.somaxconn=1024'],
    });
    expect(service.labels).toEqual({ 'com.example.a': '1', flag: '' });
    expect(service.annotations).toEqual({ 'x.y': '2' });
    expect(service.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
  });

  it('extra_hosts become host → addresses', () => {
    const { service } = normalize({ extra_hosts: ['db=10.0.0.2', 'api:10.0.0.3', 'v6=::1', 'b:[::2]', 'multi=1.1.1.1,2.2.2.2'] });
    expect(service.extra_hosts).toEqual({
      db: ['10.0.0.2'],
      api: ['10.0.0.3'],
      v6: ['::1'],
      b: ['::2'],
      multi: ['1.1.1.1', '2.2.2.2'],
    });
  });

  it('expose entries become strings', () => {
    expect(normalize({ expose: [3000, '8000-8010', '53/udp'] }).service.expose).toEqual(['3000', '8000-8010', '53/udp']);
  });

  it('secrets and configs short forms become {source}', () => {
    const { service } = normalize({ secrets: ['token', { source: 'key', target: '/k', mode: '0440', uid: 1000 }], configs: ['app'] });
    expect(service.secrets).toEqual([{ source: 'token' }, { source: 'key', target: '/k', mode: 0o440, uid: '1000' }]);
    expect(service.configs).toEqual([{ source: 'app' }]);
  });

  it('keeps profiles, restart, volumes_from and x-* keys as written', () => {
    const ext = { nested: { deep: true } };
    const { service } = normalize({ image: 'a', profiles: ['dev'], restart: 'always', volumes_from: ['other'], 'x-meta': ext });
    expect(service.profiles).toEqual(['dev']);
    expect(service.restart).toBe('always');
    expect(service.volumes_from).toEqual(['other']);
    expect(service['x-meta']).toBe(ext);
  });

  it('devices become long form, pull_policy if_not_present becomes missing', () => {
    const { service } = normalize({ devices: ['/dev/ttyUSB0', '/dev/a:/dev/b:r'], pull_policy: 'if_not_present' });
    expect(service.devices).toEqual([
      { source: '/dev/ttyUSB0', target: '/dev/ttyUSB0', permissions: 'rwm' },
      { source: '/dev/a', target: '/dev/b', permissions: 'r' },
    ]);
    expect(service.pull_policy).toBe('missing');
  });

  it('volumes are normalized with the working directory', () => {
    expect(normalize({ volumes: ['./src:/app'] }).service.volumes).toEqual([
      { type: 'bind', source: '/proj/src', target: '/app', bind: { create_host_path: true } },
    ]);
  });

  it('does not modify its input', () => {
    const raw = { command: 'a b', ports: ['80'], environment: ['A=1'], depends_on: ['db'] };
    const copy = structuredClone(raw);
    normalize(raw);
    expect(raw).toEqual(copy);
  });
});

describe('normalizeService: performance', () => {
  // Prints the figure; the bound is loose on purpose (tests never fail on timing
  // noise) and only catches a pathological slowdown such as quadratic work.
  it('normalizes 1000 services quickly', () => {
    const ctx = context({ '/proj/.env': 'A=1\n' }, { HOME: '/home/ada' });
    const raw = {
      image: 'nginx:alpine',
      build: { context: './app', args: ['A=1', 'HOME'] },
      command: "sh -c 'echo hello && sleep 1'",
      ports: ['8080:80', '127.0.0.1:9000-9002:9000-9002/udp', { target: '443', published: 8443 }],
      volumes: ['./data:/data:ro', 'named:/var/lib', '/anon'],
      environment: ['A=1', 'HOME', 'B=2'],
      env_file: ['.env'],
      depends_on: ['db', 'cache'],
      labels: ['a=1', 'b=2'],
      healthcheck: { test: 'curl -f localhost', interval: '30s', timeout: '5s', retries: 3 },
      deploy: { replicas: '2', resources: { limits: { memory: '512m', cpus: '0.5' } } },
      stop_grace_period: '1m30s',
    };
    const run = () => {
      for (let i = 0; i < 1000; i++) normalizeService(`svc${i}`, raw, ctx);
    };
    run(); // warm up the JIT
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`normalizeService x1000: median ${times[2]!.toFixed(1)} ms`);
    expect(times[2]).toBeLessThan(500);
  });
});
