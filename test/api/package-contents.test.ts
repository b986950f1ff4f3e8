// What `npm pack` would publish: the API entry point and its types, the CLI,
// the schema; never test code or the fake backend.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

it('the package holds dist/index.js with its types, and no test code', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('dist/cli/main.js');
  expect(files.filter((f) => /(^|\/)test\/|\.test\.|fake/i.test(f))).toEqual([]);
  expect(new Set(files.map((f) => f.split('/')[0]))).toEqual(new Set(['README.md', 'package.json', 'dist', 'schemas']));
});
