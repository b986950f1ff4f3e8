// tug's version, from package.json: one level above src/ and dist/, two above
// dist/bundle/ (where the bundled CLI lives). Read on demand and once:
// `--version` needs nothing else, and replica labels carry it.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function tugVersion(): string {
  if (cached === undefined) {
    cached = '0.0.0';
    for (const rel of ['../package.json', '../../package.json']) {
      try {
        const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
        // dist/bundle/../package.json does not exist; a package.json of some other package is not ours.
        if (pkg.name !== 'tug') continue;
        cached = pkg.version ?? '0.0.0';
        break;
      } catch {
        // Not there: try the next level up.
      }
    }
  }
  return cached;
}
