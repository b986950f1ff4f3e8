// What `tug config` prints: the resolved project in Compose's canonical form,
// with sorted keys so the output is byte-for-byte deterministic.
import { createRequire } from 'node:module';
import { escapeDollars } from '../load/interpolate-model.js';
import type { Project } from '../model/types.js';
import { dict } from '../dict.js';

export type ConfigFormat = 'yaml' | 'json';

// The `yaml` library is loaded only to print YAML: `config -q` and JSON output skip it.
// Not named `require`: in the CommonJS bundle (scripts/bundle.mjs) that is Node's own.
const requireHere = createRequire(import.meta.url);

export function projectToConfig(project: Project, opts: { escape?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { name: project.name, services: sortDeep(project.services) };
  const sections = ['networks', 'volumes', 'secrets', 'configs'] as const;
  for (const key of sections) {
    if (Object.keys(project[key]).length > 0) out[key] = sortDeep(project[key]);
  }
  for (const key of Object.keys(project.extensions).sort()) out[key] = project.extensions[key];
  return opts.escape === false ? out : (escapeDollars(out) as Record<string, unknown>);
}

export function renderConfig(project: Project, format: ConfigFormat, opts: { escape?: boolean } = {}): string {
  const data = projectToConfig(project, opts);
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  const { stringify } = requireHere('yaml') as typeof import('yaml');
  return stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== 'object') return value;
  const out = dict();
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortDeep(v);
  }
  return out;
}
