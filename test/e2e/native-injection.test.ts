// Nothing runs that the user did not write: interpolated text in a string
// command stays data, on the native backend exactly as on docker.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { destroyHome, tempHome, uniqueProject, until } from '../helpers/native-env.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) destroyHome(h);
});

describe('native backend: string commands', () => {
  it('splits a string command into words and never hands it to a shell', async () => {
    const home = tempHome();
    homes.push(home);
    const dir = tempProject({
      'compose.yaml': [
        'services:',
        '  say:',
        '    command: echo said ${MSG}',
        '  entry:',
        '    entrypoint: /bin/echo ${MSG}',
        '    command: [tail]',
        '',
      ].join('\n'),
    });
    const project = uniqueProject('inj');
    const env = { TUG_HOME: home, MSG: 'hi; touch pwned $(touch pwned2)' };
    const up = tug(['-p', project, 'up', '-d'], { cwd: dir, env });
    expect(up.stderr).toBe(up.code === 0 ? up.stderr : '');
    expect(up.code).toBe(0);
    const logsOf = (service: string) => tug(['-p', project, 'logs', '--no-log-prefix', service], { cwd: dir, env }).stdout.trim();
    await until(() => logsOf('say') !== '' && logsOf('entry') !== '', 'the replicas\' output');
    // The value arrives as words of the argv: printed, not executed.
    expect(logsOf('say')).toBe('said hi; touch pwned $(touch pwned2)');
    expect(logsOf('entry')).toBe('hi; touch pwned $(touch pwned2) tail');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
    const ps = tug(['-p', project, 'ps', '-a', '--format', 'json', 'say'], { cwd: dir, env });
    // ps shows the argv, each word quoted as a shell would need it.
    expect(JSON.parse(ps.stdout.trim()).Command).toBe("echo said 'hi;' touch pwned '$(touch pwned2)'");
  });
});
