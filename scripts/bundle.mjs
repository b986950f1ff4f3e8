// Bundles the CLI and the engine into dist/bundle/ (after tsc): start-up time
// is dominated by Node resolving and linking modules, and a few chunks link
// far faster than hundreds of files. `splitting` keeps every `await import()`
// a separate chunk, so what a command does not need is still never loaded.
// The tsc output (dist/index.js and the rest) stays: it is the typed API.
//
//   node scripts/bundle.mjs [--metafile=FILE]   (writes esbuild's account of what each output holds)
import { build } from 'esbuild';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

// Stay outside the bundle, loaded from node_modules at run time: packages with
// native or per-platform parts (a .node file found relative to the package),
// and dockerode, whose BuildKit session loads .proto files relative to its own
// files (__dirname); it is imported lazily, only by the Docker backend.
const external = ['@napi-rs/xattr', 'ssh2', 'cpu-features', 'dockerode'];

// CommonJS dependencies call `require` for Node's built-in modules; an ES
// module has none, so each chunk gets one. It is made on first use: most chunks
// hold only our own code and never call it (68 createRequire calls would cost
// a couple of ms on every start). esbuild's CommonJS wrapper only calls it
// (no require.resolve or require.cache in what is bundled). No module of ours
// may declare a top-level `require` (it would clash once scope-hoisted).
const banner = [
  "import { createRequire as __tugCreateRequire } from 'node:module';",
  'let __tugRequire;',
  'const require = (id) => (__tugRequire ??= __tugCreateRequire(import.meta.url))(id);',
].join('\n');

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // Output names are what engineEntry() (src/runtime/native/engine-process.ts) expects: the engine beside the chunks.
  entryPoints: { tug: 'src/cli/main.ts', 'engine-main': 'src/runtime/native/engine-main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  banner: { js: banner },
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: true,
});

// The CLI entry keeps its shebang from src/cli/main.ts (esbuild moves it above the banner).
chmodSync(join(outdir, 'tug.js'), 0o755);
// For looking into what each chunk holds (e.g. with esbuild's analyzer); not part of the package.
const metaArg = process.argv.find((a) => a.startsWith('--metafile='));
if (metaArg) writeFileSync(metaArg.slice('--metafile='.length), JSON.stringify(result.metafile));
