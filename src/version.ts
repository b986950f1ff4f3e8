// tug's version, from package.json (one level above src/ and dist/). Read on
// demand and once: `--version` needs nothing else, and replica labels carry it.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function tugVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
      cached = pkg.version ?? '0.0.0';
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}
