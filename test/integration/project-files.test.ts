// The live reload watches every file a project is made of: the loader's reads
// are recorded, so files reached only through include and extends (which
// leave no trace in the loaded model) are watched too, and a load that fails
// still names the files to watch for the fix.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { projectFiles } from '../../src/core/watch/project-files.js';
import { openProject } from '../../src/host/open-project.js';
import { tempProject } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = tempProject(files, 'tug-project-files-');
  dirs.push(dir);
  return dir;
}

it('records the Compose files, .env, include and extends targets and env_file', () => {
  const dir = project({
    'compose.yaml': 'include: [more/other.yaml]\nservices:\n  web:\n    extends: {file: base.yaml, service: base}\n    env_file: [web.env]\n',
    'more/other.yaml': 'services:\n  other:\n    command: ["true"]\n',
    'base.yaml': 'services:\n  base:\n    command: ["sleep", "1"]\n',
    'web.env': 'A=1\n',
  });
  const loaded = openProject({}, { cwd: dir, env: {} });
  const files = projectFiles(loaded.project, loaded.sourceFiles);
  for (const f of ['compose.yaml', '.env', 'more/other.yaml', 'base.yaml', 'web.env']) expect(files).toContain(join(dir, f));
  // The model alone does not know the include and extends targets: only the recorded reads do.
  expect(projectFiles(loaded.project)).not.toContain(join(dir, 'base.yaml'));
  expect(projectFiles(loaded.project)).not.toContain(join(dir, 'more/other.yaml'));
});

it('records what it read when the load fails', () => {
  const dir = project({
    'compose.yaml': 'include: [other.yaml]\nservices:\n  web:\n    command: ["true"]\n',
    'other.yaml': 'services:\n  other:\n    prots: [1]\n',
  });
  const reads = new Set<string>();
  expect(() => openProject({}, { cwd: dir, env: {} }, reads)).toThrow();
  expect([...reads]).toEqual(expect.arrayContaining([join(dir, 'compose.yaml'), join(dir, 'other.yaml'), join(dir, '.env')]));
});
