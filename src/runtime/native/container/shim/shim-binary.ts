// tug-shim, built from its C source (shim-source.ts) as one of tug's C tools
// (c-tool.ts) into $TUG_HOME/lib.
import { cToolPath, ensureCTool, type CTool } from '../c-tool.js';
import { isExecutableFile } from '../executables.js';
import { SHIM_SOURCE } from './shim-source.js';

const SHIM: CTool = {
  name: 'tug-shim',
  source: SHIM_SOURCE,
  purpose: 'the process that supervises each container',
  codes: { noCompiler: 'container.no-compiler', build: 'container.shim-build' },
  buildHint: 'install the C library headers (apt-get install libc6-dev)',
};

export function shimPath(home: string): string {
  return cToolPath(home, SHIM);
}

export function shimBuilt(home: string): boolean {
  return isExecutableFile(shimPath(home));
}

/** The shim's path, building it first when needed; throws a TugError naming what is missing. */
export function ensureShim(home: string): string {
  return ensureCTool(home, SHIM);
}
