// The Compose merge tags. `!reset` deletes what earlier files set at this key;
// `!override` replaces it wholesale instead of merging. The parser wraps the
// tagged value in a YamlTag; merge unwraps it; every other stage sees plain data.
import { put } from '../dict.js';

export type MergeTag = '!reset' | '!override';

export class YamlTag {
  constructor(
    readonly tag: MergeTag,
    readonly value: unknown,
  ) {}
}

export function isYamlTag(value: unknown): value is YamlTag {
  return value instanceof YamlTag;
}

/**
 * Remove the wrappers (a reset becomes absent, an override its value). Parts
 * without tags are returned as they are, not copied: most files have none.
 */
export function stripTags(value: unknown): unknown {
  if (value instanceof YamlTag) return value.tag === '!reset' ? undefined : stripTags(value.value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const stripped = stripTags(item);
      if (stripped !== item && !out) out = value.slice(0, i);
      if (out && stripped !== undefined) out.push(stripped);
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    const entries = Object.entries(value);
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      const stripped = stripTags(v);
      if (stripped !== v && !out) {
        // An ordinary object: the schema validator sees it next.
        out = {};
        for (const [key, value] of entries.slice(0, i)) put(out, key, value);
      }
      if (out && stripped !== undefined) put(out, k, stripped);
    }
    return out ?? value;
  }
  return value;
}
