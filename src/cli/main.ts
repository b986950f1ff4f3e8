#!/usr/bin/env -S node --
// tug's executable. `--version` is answered before anything else is loaded so
// it stays instant; every command module is imported only when it runs.
// The `--` in the line above stops Node 20 from reading tug's own `--env-file`
// argument as its option (nodejs/node#54232: it exits 9 on a missing file or a
// directory before tug runs).
import { tugVersion } from '../version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`tug version ${tugVersion()}\n`);
} else {
  const { run } = await import('./program.js');
  process.exitCode = await run(argv);
}
