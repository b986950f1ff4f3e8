// Bundles the CLI and the engine into dist/bundle/ (after tsc): start-up time
// is dominated by Node loading, parsing and compiling code. Each of the two is
// one CommonJS file (cli.cjs, engine.cjs), loaded by boot.cjs
// (scripts/bundle-boot.cjs) with V8's code cache, so a later run skips the
// compile; every `await import()` in the source becomes a lazy initializer, so
// what a command does not need is still never run. The entry points tug.cjs
// (package.json's `bin`) and engine-main.cjs (what engineEntry() in
// src/runtime/native/engine-process.ts starts) are a few lines each.
// The tsc output (dist/index.js and the rest) stays: it is the typed API.
//
//   node scripts/bundle.mjs [--metafile=FILE]   (writes esbuild's account of what each output holds)
import { build } from 'esbuild';
import { chmodSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

// Stay outside the bundle, loaded from node_modules at run time: packages with
// native or per-platform parts (a .node file found relative to the package),
// and dockerode, whose BuildKit session loads .proto files relative to its own
// files (__dirname); it is imported lazily, only by the Docker backend.
const external = ['@napi-rs/xattr', 'ssh2', 'cpu-features', 'dockerode'];

// Our modules are ES modules: `import.meta.url` (files found beside the code,
// e.g. package.json for the version) becomes the bundle's own URL.
const banner = "var __tugMetaUrl = require('node:url').pathToFileURL(__filename).href;";

// The bin: `--version` answered from package.json without loading the bundle;
// anything else runs the CLI, and once it is done saves the code cache.
const cliEntry = `#!/usr/bin/env -S node --
// tug's executable (written by scripts/bundle.mjs). The \`--\` above stops Node 20
// from reading tug's own \`--env-file\` argument as its option (nodejs/node#54232).
'use strict';
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'package.json'), 'utf8'));
  process.stdout.write(\`tug version \${pkg.version}\\n\`);
} else {
  const cli = require('./boot.cjs').load('cli.cjs');
  let command = '';
  cli.exports.run(argv, { onCommand: (name) => (command = name) }).then((code) => {
    process.exitCode = code;
    cli.saveCache(command);
  });
}
`;

// The engine runs until stopped: its cache is saved a few seconds in (after its
// first requests, usually) or when it exits, whichever comes first.
const engineEntry = `// A project's engine (written by scripts/bundle.mjs); see src/runtime/native/engine-main.ts.
'use strict';
const engine = require('./boot.cjs').load('engine.cjs');
setTimeout(() => engine.saveCache('engine'), 5000).unref();
process.on('exit', () => engine.saveCache('engine'));
`;

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/program.ts', engine: 'src/runtime/native/engine-main.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  define: { 'import.meta.url': '__tugMetaUrl' },
  // `import()` of a package left outside becomes a require: V8 does not carry
  // the dynamic-import hook into code that comes from the cache (the import
  // then fails with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
  supported: { 'dynamic-import': false },
  banner: { js: banner },
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: true,
});

copyFileSync(join(root, 'scripts', 'bundle-boot.cjs'), join(outdir, 'boot.cjs'));
writeFileSync(join(outdir, 'tug.cjs'), cliEntry);
chmodSync(join(outdir, 'tug.cjs'), 0o755);
writeFileSync(join(outdir, 'engine-main.cjs'), engineEntry);
// For looking into what each chunk holds (e.g. with esbuild's analyzer); not part of the package.
const metaArg = process.argv.find((a) => a.startsWith('--metafile='));
if (metaArg) writeFileSync(metaArg.slice('--metafile='.length), JSON.stringify(result.metafile));
