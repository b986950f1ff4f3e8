// The config hash decides whether a replica must be recreated. It covers what
// changes a running replica and ignores what does not: how many replicas, how
// the image is built, ordering (depends_on), profiles, pull policy, watch
// rules (develop) and x- fields.
import { createHash } from 'node:crypto';
import type { ServiceSpec } from './types.js';

// develop (watch rules) tells watch what to do with edits; a running replica is the same without it.
const IGNORED = new Set(['build', 'pull_policy', 'scale', 'depends_on', 'profiles', 'develop']);

export function serviceConfigHash(service: ServiceSpec): string {
  const relevant: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(service)) {
    if (IGNORED.has(key) || key.startsWith('x-') || value === undefined) continue;
    if (key === 'deploy' && value && typeof value === 'object') {
      const { replicas: _ignored, ...rest } = value as Record<string, unknown>;
      if (Object.keys(rest).length > 0) relevant.deploy = rest;
      continue;
    }
    relevant[key] = value;
  }
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex');
}

/** JSON with object keys sorted at every level, so equal data hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
