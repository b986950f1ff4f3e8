// Loads one of tug's CommonJS bundles (dist/bundle/*.cjs, scripts/bundle.mjs)
// with V8's code cache: the bytecode V8 compiled on an earlier run of the same
// bundle is handed back to it instead of parsing and compiling 1.5 MB again,
// which is most of what a short command like a no-change `tug build` costs
// beyond Node's own start. Node 20 has no module compile cache of its own
// (module.enableCompileCache is Node 22), hence vm.Script with cachedData.
//
// Copied into dist/bundle/ as boot.cjs. Plain CommonJS so that loading it
// needs no ES module machinery.
//
// The cache lives under $XDG_CACHE_HOME/tug/v8 (~/.cache/tug/v8), a directory
// of the user's own (a cache anyone could write would be code anyone could
// run). Its name holds the bundle's name, a hash of its path, its size and
// mtime, and Node's version and architecture: V8 itself checks only the source's length and its own
// version and flags, so a rebuilt bundle must not find the old cache. A cache
// holds the functions that had been compiled when it was written, so it is
// rewritten after a run of a command it has not yet seen (a later `tug build`
// should not compile the builder lazily because the cache was made by `tug ps`).
// Anything wrong with the cache (missing, rejected, unwritable) only costs the
// compile it would have saved. TUG_NO_CODE_CACHE=1 turns it off.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const os = require('node:os');
const vm = require('node:vm');

/** The commands a cache may list before it is no longer rewritten (bounds the rewrites of a mistyped command). */
const MAX_COVERED = 64;

function cacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'tug', 'v8');
}

/** Never read or write a cache another user could replace: the directory must be the user's and writable by no one else. */
function ownDirectory(dir) {
  try {
    const st = fs.statSync(dir);
    return st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o022) === 0;
  } catch {
    // Missing (written on the first save) or unreadable.
    return false;
  }
}

/** FNV-1a of the bundle's path: installs in other places keep caches of their own (node:crypto would cost more to load than it saves). */
function pathHash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function readOrUndefined(file, encoding) {
  try {
    return fs.readFileSync(file, encoding);
  } catch {
    return undefined;
  }
}

/** Writes beside and renames, so a reader never sees half a file; owner-only. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Evaluates dist/bundle/<file> as a CommonJS module and returns its exports,
 * plus `saveCache(command)`: call it once the command has run, so the cache
 * holds what the command compiled.
 */
function load(file) {
  const filename = path.join(__dirname, file);
  const source = fs.readFileSync(filename, 'utf8');
  const enabled = process.env.TUG_NO_CODE_CACHE !== '1';
  const dir = cacheDir();
  let cacheFile;
  let stem;
  let cached;
  let covered = [];
  if (enabled) {
    const st = fs.statSync(filename);
    stem = `${path.basename(file, '.cjs')}-${pathHash(filename)}-`;
    const key = `${stem}${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}`;
    cacheFile = path.join(dir, `${key}.bin`);
    if (ownDirectory(dir)) {
      cached = readOrUndefined(cacheFile);
      if (cached) covered = (readOrUndefined(`${cacheFile}.json`, 'utf8') ?? '').split('\n').filter(Boolean);
    }
  }
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData: cached,
    // No importModuleDynamically: the bundle has no `import()` (scripts/bundle.mjs), and
    // code from the cache would not keep the hook anyway.
  });
  const accepted = cached !== undefined && !script.cachedDataRejected;
  const mod = { exports: {} };
  const requireHere = Module.createRequire(filename);
  script.runInThisContext()(mod.exports, requireHere, mod, filename, path.dirname(filename));

  let saved = false;
  function saveCache(command) {
    if (!enabled || saved) return;
    saved = true;
    const known = accepted ? covered : [];
    if (known.includes(command) || known.length >= MAX_COVERED) return;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!ownDirectory(dir)) return;
      writeAtomic(cacheFile, script.createCachedData());
      writeAtomic(`${cacheFile}.json`, [...known, command].join('\n') + '\n');
      // The caches of this bundle's earlier builds (or another Node) are never read again.
      for (const name of fs.readdirSync(dir)) {
        if (name.startsWith(stem) && !name.startsWith(path.basename(cacheFile))) fs.rmSync(path.join(dir, name), { force: true });
      }
    } catch {
      // No cache this time: the next run compiles again.
    }
  }
  return { exports: mod.exports, saveCache };
}

module.exports = { load };
