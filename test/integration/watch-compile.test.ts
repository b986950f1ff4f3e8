// Rules compiled against a real build context: its .dockerignore applies to
// rules under it, and initial_sync walks only what the rule would sync.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectRules } from '../../src/engine/watch/compile.js';
import { initialSyncPaths } from '../../src/runtime/watch/initial-sync.js';
import { loadFromMemory } from '../helpers/memory-project.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-watch-compile-'));
  mkdirSync(join(dir, 'src', 'secret'), { recursive: true });
  mkdirSync(join(dir, 'src', 'node_modules', 'x'), { recursive: true });
  writeFileSync(join(dir, '.dockerignore'), 'src/secret\n');
  writeFileSync(join(dir, 'src', 'a.js'), 'a\n');
  writeFileSync(join(dir, 'src', 'b.js'), 'b\n');
  writeFileSync(join(dir, 'src', '.b.js.swp'), '');
  writeFileSync(join(dir, 'src', 'secret', 'key'), 'k\n');
  writeFileSync(join(dir, 'src', 'node_modules', 'x', 'i.js'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The project as the loader makes it from a compose.yaml in the temporary directory. */
const project = (build: boolean) =>
  loadFromMemory(
    {
      [join(dir, 'compose.yaml')]: [
        'services:',
        '  web:',
        build ? '    build: .' : '    image: x',
        '    develop:',
        '      watch: [{path: ./src, action: sync, target: /app, ignore: [node_modules], initial_sync: true}]',
      ].join('\n'),
    },
    { workingDir: dir, main: [join(dir, 'compose.yaml')] },
  ).project;

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('compiled project rules', () => {
  it("apply the build context's .dockerignore to rules under it, and initial_sync walks only what would sync", async () => {
    const [rule] = await compileProjectRules(project(true));
    expect(rule!.match(join(dir, 'src', 'secret', 'key'))).toBeUndefined();
    expect((await all(initialSyncPaths(rule!))).map((p) => `${p.rel} -> ${p.target}`)).toEqual(['a.js -> /app/a.js', 'b.js -> /app/b.js']);
  });

  it('have no context ignore for a service without a build', async () => {
    const [rule] = await compileProjectRules(project(false));
    expect(rule!.match(join(dir, 'src', 'secret', 'key'))).toEqual({ rel: 'secret/key', target: '/app/secret/key' });
  });
});
