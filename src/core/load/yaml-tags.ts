// The Compose merge tags. `!reset` deletes what earlier files set at this key;
// `!override` replaces it wholesale instead of merging. The parser wraps the
// tagged value in a YamlTag; merge unwraps it; every other stage sees plain data.

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

/** Remove the wrappers (a reset becomes absent, an override its value). */
export function stripTags(value: unknown): unknown {
  if (value instanceof YamlTag) return value.tag === '!reset' ? undefined : stripTags(value.value);
  if (Array.isArray(value)) return value.map(stripTags).filter((v) => v !== undefined);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = stripTags(v);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value;
}
