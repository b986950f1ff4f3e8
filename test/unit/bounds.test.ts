// Values with a range or a fixed vocabulary are checked at load, with their
// location: replica counts (bounded), restart policies, ports and counts.
import { describe, expect, it } from 'vitest';
import type { TugError } from '../../src/core/errors.js';
import { parseScaleArgs } from '../../src/cli/args.js';
import { loadErrors, loadFromMemory } from '../helpers/memory-project.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const errorsOf = (...lines: string[]) => loadErrors({ '/proj/compose.yaml': yaml('services:', '  web:', '    command: [x]', ...lines) });
const summary = (errors: TugError[]) => errors.map((e) => `${e.location?.line}:${e.location?.column} ${e.message}`);

describe('replica counts', () => {
  it('bounds deploy.replicas and scale, naming the limit (1e20 used to fail `up` with "Invalid array length")', () => {
    const errors = errorsOf('    deploy:', '      replicas: 1e20');
    expect(summary(errors)).toEqual(['5:17 100000000000000000000 replicas is more than the 1,000,000 tug allows']);
    expect(errors[0]!.expected).toBe('a whole number from 0 to 1,000,000');
    expect(summary(errorsOf('    scale: 1000001'))).toEqual(['4:12 1000001 replicas is more than the 1,000,000 tug allows']);
    expect(summary(errorsOf('    scale: -1'))).toEqual(['4:12 -1 is not a replica count']);
    expect(summary(errorsOf('    scale: "1.5"'))).toEqual(['4:12 "1.5" is not an integer']);
  });

  it('checks counts that arrive as strings through interpolation', () => {
    const errors = loadErrors({ '/proj/compose.yaml': yaml('services:', '  web:', '    command: [x]', '    scale: ${N}') }, { environment: { N: '99999999999999999999' } });
    expect(summary(errors)).toEqual(['4:12 100000000000000000000 replicas is more than the 1,000,000 tug allows']);
  });

  it('accepts 100,000 and the maximum itself', () => {
    const load = (n: number) => loadFromMemory({ '/proj/compose.yaml': yaml('services:', '  web:', '    command: [x]', `    scale: ${n}`) }).project;
    expect(load(100_000).services.web!.scale).toBe(100_000);
    expect(load(1_000_000).services.web!.scale).toBe(1_000_000);
  });

  it('bounds --scale and tug scale values as usage errors', () => {
    expect(parseScaleArgs(['web=100000'], ['web'])).toEqual({ web: 100_000 });
    expect(() => parseScaleArgs(['web=1000001'], ['web'])).toThrow(expect.objectContaining({ exitCode: 2, message: 'invalid scale "web=1000001": 1000001 replicas is more than the 1,000,000 tug allows' }));
    expect(() => parseScaleArgs(['web=99999999999999999999999'], ['web'])).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('refuses integers too large to compute with in other fields', () => {
    expect(summary(errorsOf('    cpu_quota: 1e20'))).toEqual(['4:16 100000000000000000000 is too large']);
    expect(summary(errorsOf('    healthcheck:', '      test: [CMD, x]', '      retries: -3'))).toEqual(['6:16 -3 is negative']);
  });

  it('refuses byte sizes and durations past what can be held exactly, at their location (they were printed as 1e+29 and 1e+22h)', () => {
    expect(summary(errorsOf('    mem_limit: 99999999999999999999', '    shm_size: "9999999999p"', '    memswap_limit: 8p'))).toEqual([
      '4:16 Invalid byte size "100000000000000000000": more than 9007199254740991 bytes, the largest size tug holds exactly (8 PiB less one byte)',
      '5:15 Invalid byte size "9999999999p": more than 9007199254740991 bytes, the largest size tug holds exactly (8 PiB less one byte)',
      '6:20 Invalid byte size "8p": more than 9007199254740991 bytes, the largest size tug holds exactly (8 PiB less one byte)',
    ]);
    expect(summary(errorsOf('    stop_grace_period: 99999999999999999999s', '    healthcheck:', '      test: [CMD, x]', '      interval: 2562048h'))).toEqual([
      '4:24 Invalid duration "99999999999999999999s": longer than 2562047h47m16.854775807s (about 292 years), the longest duration Compose allows',
      '7:17 Invalid duration "2562048h": longer than 2562047h47m16.854775807s (about 292 years), the longest duration Compose allows',
    ]);
    expect(errorsOf('    stop_grace_period: 2562047h', '    mem_limit: 9007199254740991')).toEqual([]);
  });

  it('refuses numbers that read as Infinity (cpus: 1e400 was printed as .inf)', () => {
    expect(summary(errorsOf('    cpus: 1e400', '    deploy:', '      resources:', '        limits:', '          cpus: "1e999"'))).toEqual([
      '4:11 "1e400" is too large',
      '8:17 "1e999" is too large',
    ]);
    expect(errorsOf('    cpus: 1.5e0')).toEqual([]);
  });
});

describe('restart policies', () => {
  it('accepts Docker\'s policies', () => {
    for (const policy of ['no', 'always', 'on-failure', 'on-failure:3', 'unless-stopped']) {
      expect(errorsOf(`    restart: "${policy}"`)).toEqual([]);
    }
  });

  it('rejects anything else at its location, listing the valid values', () => {
    const errors = errorsOf('    restart: sometimes');
    expect(summary(errors)).toEqual(['4:14 "sometimes" is not a restart policy']);
    expect(errors[0]!.expected).toBe('"no", "always", "on-failure", "on-failure:N" (N retries) or "unless-stopped"');
    expect(summary(errorsOf('    restart: always:3'))).toEqual(['4:14 "always:3" is not a restart policy']);
    expect(summary(errorsOf('    restart: on-failure:-1'))).toEqual(['4:14 "on-failure:-1" is not a restart policy']);
    expect(summary(errorsOf('    restart: on-failure:99999999999999999999'))).toEqual(['4:14 "on-failure:99999999999999999999" is not a restart policy: its retry count is too large']);
  });

  it('checks deploy.restart_policy.condition and max_attempts', () => {
    const errors = errorsOf('    deploy:', '      restart_policy:', '        condition: sometimes', '        max_attempts: -1');
    expect(summary(errors)).toEqual(['6:20 "sometimes" is not a restart condition', '7:23 -1 is negative']);
    expect(errors[0]!.expected).toBe('none, on-failure or any');
    expect(errorsOf('    deploy:', '      restart_policy:', '        condition: on-failure', '        max_attempts: 3')).toEqual([]);
  });
});

describe('ports', () => {
  it('rejects target port 0 in both syntaxes, at its location', () => {
    expect(summary(errorsOf('    ports: ["0"]'))).toEqual(['4:13 Invalid port "0": port 0 is not a valid container port']);
    expect(summary(errorsOf('    ports:', '      - target: 0'))).toEqual(['5:17 Port 0 is not a valid container port']);
  });

  it('rejects published port 0, pointing at leaving it out for a random port', () => {
    expect(summary(errorsOf('    ports: ["0:80"]'))).toEqual(['4:13 Invalid port "0:80": port 0 is not a valid host port; leave the host port out for a random one']);
    expect(summary(errorsOf('    ports:', '      - {target: 80, published: 0}'))).toEqual(['5:33 Invalid published port: port 0 is not a valid host port; leave the host port out for a random one']);
  });

  it('rejects ports past 65535 and bad ranges in the long form too', () => {
    expect(summary(errorsOf('    ports: ["70000:80"]'))[0]).toContain('"70000" is not a valid host port or range');
    expect(summary(errorsOf('    ports:', '      - {target: 70000}'))).toEqual(['5:18 Port 70000 is not a valid container port']);
    expect(summary(errorsOf('    ports:', '      - {target: 80, published: "9000-8000"}'))).toEqual(['5:33 Invalid published port: the host port range 9000-8000 ends before it starts']);
    expect(summary(errorsOf('    ports:', '      - {target: 80, published: "http"}'))[0]).toContain('"http" is not a valid host port or range');
  });

  it('checks exposed ports', () => {
    expect(errorsOf('    expose: [80, "8000-8010", "53/udp"]')).toEqual([]);
    expect(summary(errorsOf('    expose: ["0", "80/xyz", "99999"]'))).toEqual([
      '4:14 Invalid exposed port "0": port 0 is not a valid container port',
      '4:19 Invalid exposed port "80/xyz": unknown protocol "xyz"',
      '4:29 Invalid exposed port "99999": "99999" is not a valid container port or range',
    ]);
  });
});
