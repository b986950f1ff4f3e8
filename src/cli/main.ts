#!/usr/bin/env node
// tug's executable. `--version` is answered before anything else is loaded so
// it stays instant; every command module is imported only when it runs.
import { tugVersion } from '../version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`tug version ${tugVersion()}\n`);
} else {
  const { run } = await import('./program.js');
  process.exitCode = await run(argv);
}
