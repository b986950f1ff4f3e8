import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { familiarReference, formatReference, parseReference } from '../../src/core/images/reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

describe('parseReference normalizes as Docker does', () => {
  const cases: [string, string, string][] = [
    ['redis', 'docker.io/library/redis:latest', 'redis:latest'],
    ['postgres:16', 'docker.io/library/postgres:16', 'postgres:16'],
    ['library/redis:7', 'docker.io/library/redis:7', 'redis:7'],
    ['docker.io/redis', 'docker.io/library/redis:latest', 'redis:latest'],
    ['index.docker.io/library/redis', 'docker.io/library/redis:latest', 'redis:latest'],
    ['myreg/app', 'docker.io/myreg/app:latest', 'myreg/app:latest'],
    ['myorg/team/app:1.2', 'docker.io/myorg/team/app:1.2', 'myorg/team/app:1.2'],
    ['reg:5000/app', 'reg:5000/app:latest', 'reg:5000/app:latest'],
    ['127.0.0.1:5055/t/bb:1', '127.0.0.1:5055/t/bb:1', '127.0.0.1:5055/t/bb:1'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest', 'localhost:5000/a/b:latest'],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1', 'ghcr.io/org/app:v1'],
    [`ghcr.io/org/app@${D}`, `ghcr.io/org/app@${D}`, `ghcr.io/org/app@${D}`],
    [`redis:7@${D}`, `docker.io/library/redis@${D}`, `redis@${D}`],
    ['Registry/app', 'Registry/app:latest', 'Registry/app:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    ['a__b/c-d.e_f:T_1.x-y', 'docker.io/a__b/c-d.e_f:T_1.x-y', 'a__b/c-d.e_f:T_1.x-y'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ];
  for (const [input, full, familiar] of cases) {
    it(`${input} → ${full}`, () => {
      const ref = parseReference(input);
      expect(formatReference(ref)).toBe(full);
      expect(familiarReference(ref)).toBe(familiar);
    });
  }

  it('splits the parts', () => {
    expect(parseReference('reg.example.com:443/team/app:2')).toEqual({ domain: 'reg.example.com:443', path: 'team/app', tag: '2' });
    expect(parseReference(`app@${D}`)).toEqual({ domain: 'docker.io', path: 'library/app', digest: D });
  });
});

describe('parseReference refuses what Docker refuses, saying why', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['ab'.repeat(32), /image ID/],
    ['Redis', /must be lowercase/],
    ['myorg/App', /must be lowercase/],
    ['redis:', /not a valid tag/],
    ['redis:-x', /not a valid tag/],
    ['redis:' + 'a'.repeat(129), /not a valid tag/],
    ['redis@sha256:abc', /not a digest/],
    ['redis@sha256:' + 'AB'.repeat(32), /not a sha256 digest/],
    ['redis@sha256:' + 'a'.repeat(63), /not a sha256 digest/],
    ['a//b', /not a repository name/],
    ['a/b/', /not a repository name/],
    ['-a', /not a repository name/],
    ['a..b', /not a repository name/],
    ['reg:5000/', /not a repository name/],
    ['re_g.io/app', /not a registry host/],
    ['x/' + 'a'.repeat(260), /longer than 255/],
  ];
  for (const [input, why] of bad) {
    it(JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input), () => {
      let caught: unknown;
      try {
        parseReference(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TugError);
      expect((caught as TugError).code).toBe('image.reference-invalid');
      expect((caught as TugError).message).toMatch(why);
    });
  }
});
