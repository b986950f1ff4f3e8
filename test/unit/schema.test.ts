// The Compose schema accepts real-world files and reports bad ones the way a
// user needs: every problem, at the right line, with what was expected.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/core/load/parse.js';
import { closest } from '../../src/core/load/suggest.js';
import { schemaErrorsToTugErrors, validateSchema } from '../../src/core/load/validate.js';
import type { TugError } from '../../src/core/errors.js';

const corpus = new URL('../../../shared/corpus/', import.meta.url);

function check(text: string, file = 'compose.yaml'): TugError[] {
  const { value, source } = parseYaml(file, text);
  return validateSchema(value, source);
}

function summary(errors: TugError[]): string[] {
  return errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.column} ${e.message}`);
}

function composeFilesUnder(dir: URL): URL[] {
  const out: URL[] = [];
  for (const name of readdirSync(dir).sort()) {
    const child = new URL(name, dir);
    if (statSync(child).isDirectory()) out.push(...composeFilesUnder(new URL(`${name}/`, dir)));
    else if (/^(docker-)?compose\.ya?ml$/.test(name)) out.push(child);
  }
  return out;
}

describe('schema: real-world files validate cleanly', () => {
  const awesome = composeFilesUnder(new URL('awesome-compose/', corpus));

  it('finds the 39 awesome-compose files', () => {
    expect(awesome).toHaveLength(39);
  });

  it.each(awesome.map((url) => [fileURLToPath(url).split('/awesome-compose/')[1]!, url] as const))(
    'awesome-compose/%s',
    (_name, url) => {
      expect(summary(check(readFileSync(url, 'utf8'), fileURLToPath(url)))).toEqual([]);
    },
  );

  it('accepts strings wherever a variable could feed a value (using-variables.yaml)', () => {
    const url = new URL('compose-go-testdata/schema/using-variables.yaml', corpus);
    expect(summary(check(readFileSync(url, 'utf8')))).toEqual([]);
  });

  it('accepts the long and short forms of every multi-shape key', () => {
    const text = `
version: "3.9"
name: demo
include:
  - other.yaml
  - path: [a.yaml, b.yaml]
    project_directory: ..
    env_file: .env
services:
  nil:
  web:
    build:
      context: .
      args: [A=1]
      ssh: [default]
      ulimits: { nofile: 1024 }
    command: null
    entrypoint: [sh, -c]
    env_file:
      - a.env
      - path: b.env
        required: false
    environment: { A: 1, B: true, C: null, D: text }
    labels: [a=b]
    extends: { service: base, file: base.yaml }
    ports:
      - 80
      - "8080:80/udp"
      - target: 80
        published: "8000-8005"
        protocol: tcp
        mode: host
    expose: [3000, "4000-4010"]
    volumes:
      - ./src:/src:ro
      - type: volume
        source: data
        target: /data
        volume: { nocopy: true, subpath: sub }
    depends_on:
      db: { condition: service_healthy, restart: true, required: false }
    networks:
      front: { aliases: [w], priority: 10 }
      back:
    ulimits: { nproc: 65535, nofile: { soft: 1, hard: 2 } }
    healthcheck: { test: [CMD, "true"], interval: 10s, retries: 3 }
    deploy:
      replicas: 2
      resources: { limits: { cpus: "0.5", memory: 512M }, reservations: { devices: [{ capabilities: [gpu], count: all }] } }
      restart_policy: { condition: on-failure, max_attempts: 3 }
      placement: { constraints: [node.role==manager] }
      update_config: { parallelism: 1, order: start-first }
    develop:
      watch:
        - { path: ./src, action: sync, target: /src, ignore: [node_modules] }
        - { path: package.json, action: rebuild }
        - { path: ./cfg, action: sync+exec, target: /cfg, exec: { command: [reload] } }
    post_start: [{ command: ./start.sh, user: root }]
    pre_stop: [{ command: [./stop.sh], environment: [A=1] }]
    pre_start: [{ command: migrate, per_replica: false }]
    models: { llm: { endpoint_var: URL } }
    gpus: all
    extra_hosts: { host.docker.internal: host-gateway }
    blkio_config: { weight: 300, device_read_bps: [{ path: /dev/sda, rate: 12mb }] }
    logging: { driver: json-file, options: { max-size: 10m } }
    user: 1001
    pull_policy: every_12h
    x-custom: { anything: [1, 2] }
  base:
    provider: { type: model, options: { model: ai/smollm2, flags: [a, b] } }
    extends: web
  db:
    image: postgres
    depends_on: [base]
    networks: [back]
    models: [llm]
networks:
  front:
  back: { driver: bridge, ipam: { config: [{ subnet: 10.0.0.0/24 }] }, external: false }
volumes:
  data: { external: true }
secrets:
  token: { file: ./token.txt }
configs:
  conf: { content: "hello" }
models:
  llm: { model: ai/smollm2, context_size: 1024, runtime_flags: [--x] }
x-anchors: &a { image: busybox }
`;
    expect(summary(check(text))).toEqual([]);
  });
});

describe('schema: bad files are reported precisely', () => {
  it('points at a misspelt service key and suggests the right one', () => {
    const errors = check(`services:\n  web:\n    image: nginx\n    prots:\n      - "80:80"\n`);
    expect(errors).toHaveLength(1);
    const [e] = errors;
    expect(e!.code).toBe('schema.unknown-key');
    expect(e!.message).toBe('unknown key "prots" in services.web');
    expect(e!.hint).toBe('did you mean "ports"?');
    expect(e!.path).toEqual(['services', 'web', 'prots']);
    expect(e!.location).toEqual({ file: 'compose.yaml', line: 4, column: 5 });
  });

  it('reports every problem in the file, not just the first', () => {
    const errors = check(
      [
        'services:',
        '  web:',
        '    imagee: nginx',
        '    read_only: [yes]',
        '  db:',
        '    image: postgres',
        '    depends_on:',
        '      web: { condition: service_healty }',
      ].join('\n'),
    );
    expect(summary(errors)).toEqual([
      'schema.unknown-key 3:5 unknown key "imagee" in services.web',
      'schema.type 4:16 services.web.read_only: expected a boolean, got a list',
      'schema.enum 8:25 services.db.depends_on.web.condition: "service_healty" is not one of service_started, service_healthy or service_completed_successfully',
    ]);
    expect(errors[0]!.hint).toBe('did you mean "image"?');
    expect(errors[2]!.hint).toBe('did you mean "service_healthy"?');
  });

  it('says what type was expected', () => {
    const errors = check(
      [
        'services:',
        '  web:',
        '    image: 5',
        '    command: { a: 1 }',
        '    ports: ["80", [81]]',
        '    environment: 12',
      ].join('\n'),
    );
    const byPath = Object.fromEntries(errors.map((e) => [e.message.split(':')[0], e]));
    expect(byPath['services.web.image']).toMatchObject({ code: 'schema.type', expected: 'a string' });
    expect(byPath['services.web.command']).toMatchObject({
      code: 'schema.type',
      expected: 'a string, a list of strings or null',
    });
    expect(byPath['services.web.ports[1]']).toMatchObject({
      code: 'schema.type',
      expected: 'a port string, a number or a mapping with a target',
      path: ['services', 'web', 'ports', 1],
      location: { file: "compose.yaml", line: 5, column: 19 },
    });
    expect(byPath['services.web.environment']!.message).toBe(
      'services.web.environment: expected a list of KEY=VALUE strings or a mapping, got 12',
    );
    expect(errors).toHaveLength(4);
  });

  it('reports a wrong value inside a multi-shape key at the inner path', () => {
    const errors = check('services:\n  web:\n    image: x\n    env_file:\n      - path: a.env\n        requird: true\n');
    expect(summary(errors)).toEqual(['schema.unknown-key 6:9 unknown key "requird" in services.web.env_file[0]']);
    expect(errors[0]!.hint).toBe('did you mean "required"?');
  });

  it('reports missing required keys', () => {
    const errors = check('services:\n  web:\n    image: x\n    ports:\n      - published: 8080\n');
    expect(summary(errors)).toEqual([
      'schema.required 5:9 missing required key "target" in services.web.ports[0]',
    ]);
  });

  it('reports duplicate list items at the second one', () => {
    const errors = check('services:\n  web:\n    image: x\n    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]\n');
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['schema.duplicate', ['services', 'web', 'cap_add', 2]],
    ]);
  });

  it('allows x- extension keys at the top level and in services', () => {
    const text = 'x-common: &c { restart: always }\nservices:\n  web:\n    image: nginx\n    x-meta: { team: a }\n';
    expect(check(text)).toEqual([]);
  });

  it('rejects an unknown top-level key', () => {
    const errors = check('services:\n  web:\n    image: nginx\nservice:\n  db: {}\n');
    expect(summary(errors)).toEqual(['schema.unknown-key 4:1 unknown top-level key "service"']);
    expect(errors[0]!.hint).toBe('did you mean "services"?');
  });

  it('hints at x- when an unknown key resembles nothing', () => {
    const errors = check('services:\n  web:\n    image: nginx\n    team_owner: me\n');
    expect(errors[0]!.hint).toBe('custom keys must start with "x-"');
  });

  it('rejects invalid resource names', () => {
    const errors = check('services:\n  "my web":\n    image: nginx\n');
    expect(summary(errors)).toEqual(['schema.name 2:3 invalid name "my web" in services']);
  });

  it('allows null services and rejects scalar ones', () => {
    expect(check('services:\n  empty:\n')).toEqual([]);
    const errors = check('services:\n  web: nginx\n');
    expect(summary(errors)).toEqual([
      'schema.type 2:8 services.web: expected a mapping of service settings, got "nginx"',
    ]);
  });

  it('does not throw on values YAML could never produce', () => {
    const locator = { file: '-', locate: () => ({ file: '-', line: 1, column: 1 }), has: () => false };
    expect(() => validateSchema(undefined, locator)).not.toThrow();
    expect(validateSchema([1, 2], locator)[0]!.code).toBe('schema.type');
    expect(validateSchema({ services: { a: { image: Symbol('x') } } }, locator)[0]!.code).toBe('schema.type');
  });

  it('validates a 1000-service file without compiling the schema again (well under a second)', () => {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      services[`svc${i}`] = {
        image: 'nginx:alpine',
        ports: [`${8000 + i}:80`, { target: 443, published: String(9000 + i) }],
        environment: { A: '1', B: 2 },
        volumes: [`./data${i}:/data`, { type: 'volume', source: `v${i}`, target: '/v' }],
        depends_on: i > 0 ? { [`svc${i - 1}`]: { condition: 'service_started' } } : undefined,
        healthcheck: { test: ['CMD', 'true'], interval: '5s' },
        labels: ['a=b'],
      };
      if (i === 0) delete (services[`svc${i}`] as Record<string, unknown>)['depends_on'];
    }
    const locator = { file: '-', locate: () => ({ file: '-', line: 1, column: 1 }), has: () => true };
    validateSchema({ services }, locator); // warm up
    const start = performance.now();
    const errors = validateSchema({ services }, locator);
    const elapsed = performance.now() - start;
    expect(errors).toEqual([]);
    // About 20 ms idle and 170 ms on a machine loaded ten times over; compiling the
    // schema per call, the mistake this guards against, takes seconds.
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('schema: anyOf/oneOf branches collapse to one error per path', () => {
  const locator = { file: '-', locate: () => ({ file: '-', line: 1, column: 1 }), has: () => true };
  const str = { type: 'string' };
  const list = { type: 'array', items: { type: 'string' } };
  const anyOf = { anyOf: [str, list] };
  const at = (instancePath: string, keyword: string, parentSchema: object, params = {}) => ({
    instancePath,
    schemaPath: '#',
    keyword,
    params,
    parentSchema: parentSchema as Record<string, unknown>,
  });

  it('reports the alternatives when no branch fits the value\'s type', () => {
    const errors = schemaErrorsToTugErrors(
      [at('/x', 'type', str), at('/x', 'type', list), at('/x', 'anyOf', anyOf)],
      { x: 5 },
      locator,
    );
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['schema.type', 'x: expected one of: a string, a list of strings, got 5'],
    ]);
  });

  it('reports the inner problem when a branch fits the type', () => {
    const errors = schemaErrorsToTugErrors(
      [at('/x', 'type', str), at('/x/1', 'type', str), at('/x', 'anyOf', anyOf)],
      { x: ['a', 5] },
      locator,
    );
    expect(errors.map((e) => e.message)).toEqual(['x[1]: expected a string, got 5']);
  });
});

describe('closest', () => {
  it('suggests near misses only', () => {
    expect(closest('prots', ['image', 'ports', 'expose'])).toBe('ports');
    expect(closest('Enviroment', ['environment', 'env_file'])).toBe('environment');
    expect(closest('zzz', ['image', 'ports'])).toBeUndefined();
    expect(closest('team_owner', ['tmpfs', 'tty', 'user'])).toBeUndefined();
  });
});
