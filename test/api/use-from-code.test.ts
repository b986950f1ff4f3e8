// The README's "Use it from code" example, run as written: open the
// quickstart through the package's own entry point, bring it up, call its
// HTTP port, and let `await using` tear it down.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openProject, TugError } from 'tug';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { destroyHome, freePort, tempHome, uniqueProject } from '../helpers/native-env.js';

const home = tempHome();
afterAll(() => destroyHome(home));

it('starts the quickstart, calls its HTTP port, and disposes of it', async () => {
  const dir = tempDir('tug-api-');
  cpSync(join(repoRoot, 'examples/quickstart'), dir, { recursive: true });
  const webPort = await freePort();
  const env = { ...process.env, TUG_HOME: home, WEB_PORT: String(webPort), API_PORT: String(await freePort()) };

  let name: string;
  {
    // --- the example, as in the README ---
    await using project = await openProject({ projectDirectory: dir, projectName: uniqueProject('api'), env });
    await project.up({ wait: true, waitTimeout: 60 });
    const res = await fetch(`http://127.0.0.1:${webPort}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^Hello from tug! The API has been visited \d+ times/);
    expect((await project.ps()).map((r) => [r.Service, r.State])).toEqual([
      ['api', 'running'],
      ['web', 'running'],
      ['worker', 'running'],
    ]);
    // --- end of the example ---
    name = project.name;
  }
  // Disposed: nothing of the project runs any more.
  const again = await openProject({ projectDirectory: dir, projectName: name, env });
  try {
    expect(await again.ps({ all: true })).toEqual([]);
  } finally {
    await again.close();
  }
});

it('reports a bad file as the TugError family, with its location', async () => {
  const dir = tempDir('tug-api-');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    prots: ["80"]\n');
  const failure = await openProject({ projectDirectory: dir, env: { TUG_HOME: home } }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(Error);
  const [first] = (failure as { errors?: TugError[] }).errors ?? [failure as TugError];
  expect(first).toBeInstanceOf(TugError);
  expect(first!.location).toMatchObject({ line: 3 });
  expect(first!.message).toContain('prots');
});
