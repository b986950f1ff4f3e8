// tug-sync, built from its C source (sync-helper-source.ts) as one of tug's C
// tools (container/c-tool.ts) into $TUG_HOME/lib.
import { cToolPath, ensureCTool, type CTool } from '../container/c-tool.js';
import { SYNC_HELPER_SOURCE } from './sync-helper-source.js';

const SYNC_HELPER: CTool = {
  name: 'tug-sync',
  source: SYNC_HELPER_SOURCE,
  purpose: 'which copies watched files into containers',
  codes: { noCompiler: 'sync.no-compiler', build: 'sync.helper-build' },
  buildHint: 'install the C library and kernel headers (apt-get install libc6-dev linux-libc-dev)',
};

export function syncHelperPath(home: string): string {
  return cToolPath(home, SYNC_HELPER);
}

/** The helper's path, built first when needed; a TugError says what is missing. */
export function ensureSyncHelper(home: string): string {
  return ensureCTool(home, SYNC_HELPER);
}
