// Wording for schema errors: what a schema node expects, in words a user reads,
// and the small helpers that map JSON pointers back to YAML paths and values.
import { composeSchema } from './generated/compose-validator.js';
import type { PathSegment } from '../errors.js';

export type SchemaNode = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Describing what a schema node accepts, in words.

export const TYPE_ORDER = ['boolean', 'integer', 'number', 'string', 'array', 'object', 'null'];

export function expectedOf(node: SchemaNode, keyword: string): string {
  const own = annotation(node);
  if (own) return own;
  if (keyword === 'anyOf' || keyword === 'oneOf') {
    const branches = (node[keyword] as unknown[] | undefined) ?? [];
    const phrases = [...new Set(branches.map((b) => expectedOf(resolve(b), 'type')))];
    return `one of: ${phrases.join(phrases.some((p) => p.includes(',')) ? '; ' : ', ')}`;
  }
  if (typeof node['$ref'] === 'string') return expectedOf(resolve(node), 'type');
  const raw = node['type'];
  const types = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map(String) : [];
  if (types.length === 0) return 'a valid value';
  types.sort((a, b) => TYPE_ORDER.indexOf(a) - TYPE_ORDER.indexOf(b));
  return joinOr(types.map((t) => typePhrase(t, node)));
}

export function typePhrase(type: string, node: SchemaNode): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = asNode(node['items']);
      const itemType = items ? resolve(items)['type'] : undefined;
      return itemType === 'string' ? 'a list of strings' : 'a list';
    }
    case 'object':
      return 'a mapping';
    default:
      return type;
  }
}

export function annotation(node: SchemaNode | undefined): string | undefined {
  const text = node?.['expected'];
  return typeof text === 'string' ? text : undefined;
}

/** Follow a local `#/definitions/...` reference in our schema. */
export function resolve(node: unknown): SchemaNode {
  let current = asNode(node) ?? {};
  for (let hops = 0; hops < 10 && typeof current['$ref'] === 'string'; hops++) {
    const ref = current['$ref'] as string;
    let target: unknown = composeSchema;
    for (const seg of ref.replace(/^#\/?/, '').split('/').filter(Boolean)) {
      target = asNode(target)?.[unescapePointer(seg)];
    }
    current = asNode(target) ?? {};
  }
  return current;
}

export function asNode(v: unknown): SchemaNode | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as SchemaNode) : undefined;
}

// ---------------------------------------------------------------------------
// Paths and values.

export function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** "/services/web/ports/1" → ["services", "web", "ports", 1], using the data to tell indexes from keys. */
export function pointerToPath(pointer: string, value: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let current: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = unescapePointer(raw);
    if (Array.isArray(current) && /^\d+$/.test(seg)) {
      const index = Number(seg);
      path.push(index);
      current = current[index];
    } else {
      path.push(seg);
      current = asNode(current)?.[seg];
    }
  }
  return path;
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const seg of path) {
    if (Array.isArray(current) && typeof seg === 'number') current = current[seg];
    else current = asNode(current)?.[String(seg)];
  }
  return current;
}

/** A value as a user would recognise it in an error message. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `"${value.slice(0, 37)}..."` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

export function joinOr(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

