#!/usr/bin/env node
// tug's executable. `--version` is answered before anything else is loaded so
// it stays instant; every command module is imported only when it runs.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`tug version ${pkg.version}\n`);
} else {
  const { run } = await import('./program.js');
  process.exitCode = await run(argv);
}
