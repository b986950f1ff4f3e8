// All 39 real-world files of the awesome-compose corpus load and validate with
// their own .env, and `config` prints them the same way every time.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openProject } from '../../src/host/open-project.js';
import { renderConfig } from '../../src/core/render/config.js';

const root = fileURLToPath(new URL('../../../shared/corpus/awesome-compose/', import.meta.url));
const samples = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('awesome-compose corpus', () => {
  it('has all 39 samples', () => {
    expect(samples).toHaveLength(39);
  });

  for (const sample of samples) {
    it(`${sample} loads, validates and renders deterministically`, () => {
      const dir = join(root, sample);
      const file = ['compose.yaml', 'compose.yml'].map((f) => join(dir, f)).find((f) => existsSync(f))!;
      const host = { cwd: dir, env: { HOME: '/home/tester' } };
      const first = openProject({ files: [file] }, host);
      const second = openProject({ files: [file] }, host);
      expect(Object.keys(first.project.services).length).toBeGreaterThan(0);
      const yaml = renderConfig(first.project, 'yaml');
      expect(renderConfig(second.project, 'yaml')).toBe(yaml);
      expect(renderConfig(second.project, 'json')).toBe(renderConfig(first.project, 'json'));
      // Canonical forms a user relies on: ports are objects, paths absolute, no unresolved variables.
      for (const svc of Object.values(first.project.services)) {
        for (const p of svc.ports ?? []) expect(typeof p.target).toBe('number');
        for (const v of svc.volumes ?? []) if (v.type === 'bind') expect(v.source!.startsWith('/')).toBe(true);
      }
      expect(yaml).not.toMatch(/\$\{[A-Z_]+/);
    });
  }

  it('fills variables from the sample .env (postgresql-pgadmin)', () => {
    const dir = join(root, 'postgresql-pgadmin');
    const { project } = openProject({}, { cwd: dir, env: {} });
    const env = project.services.postgres!.environment!;
    expect(env.POSTGRES_DB).toBeTruthy();
    expect(env.POSTGRES_DB).not.toContain('$');
  });

  it('expands ~ in bind sources and keeps fractional byte sizes (minecraft)', () => {
    const dir = join(root, 'minecraft');
    const { project } = openProject({}, { cwd: dir, env: { HOME: '/home/tester' } });
    const svc = Object.values(project.services)[0]!;
    expect(svc.volumes!.some((v) => v.source === '/home/tester/minecraft_data')).toBe(true);
    const limits = (svc.deploy as { resources: { limits: { memory: number } } }).resources.limits;
    expect(limits.memory).toBe(Math.floor(1.5 * 1024 ** 3));
  });

  it('strips the inline comment from a .env value (wireguard)', () => {
    const { project } = openProject({}, { cwd: join(root, 'wireguard'), env: {} });
    const values = Object.values(project.services).flatMap((s) => Object.values(s.environment ?? {}));
    expect(values).toContain('your-domain.dyndns.com');
  });
});
