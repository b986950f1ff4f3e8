// The CLI parses flags and renders events: it sets no timers and calls no
// backend (issue 9's "done when"). Orchestration that creeps back into
// src/cli/ fails here, naming the file and line.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

it('src/cli/ sets no timers and makes no backend calls', () => {
  const forbidden = [/\bset(Timeout|Interval|Immediate)\s*\(/, /from '[./]*timers\.js'/, /\bbackend\s*\.\s*\w+/];
  const found: string[] = [];
  for (const file of sources(join(repoRoot, 'src', 'cli'))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line) || /^import type /.test(line)) return;
      if (forbidden.some((re) => re.test(line))) found.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(found).toEqual([]);
});
