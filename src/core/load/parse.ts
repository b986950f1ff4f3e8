// YAML → plain data, keeping a way back to source positions. We convert the
// AST ourselves (instead of doc.toJS) so `!reset`/`!override` survive as YamlTag
// wrappers and anchors/aliases/`<<` merge keys resolve the way Compose does.
// Positions are only computed when an error asks for one.
import {
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { ConfigErrors, TugError, type PathSegment, type SourceLocation } from '../errors.js';
import type { SourceLocator } from './source.js';
import { YamlTag, type MergeTag } from './yaml-tags.js';

export interface ParsedYaml {
  /** Plain JS data; `!reset`/`!override` values are YamlTag wrappers. */
  value: unknown;
  source: SourceLocator;
}

const identity = (v: unknown) => v;
const CUSTOM_TAGS = (['!reset', '!override'] as const).flatMap((tag) => [
  { tag, resolve: identity },
  { tag, collection: 'map' as const, resolve: identity },
  { tag, collection: 'seq' as const, resolve: identity },
]);

/** A guard against "billion laughs" alias expansion. */
const MAX_ALIAS_EXPANSIONS = 100_000;

export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    merge: true,
    prettyErrors: false,
    uniqueKeys: true,
    // The AST is converted by hand below; the library's own alias limit does not apply.
    customTags: CUSTOM_TAGS as never,
  });
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigErrors(
      doc.errors.map(
        (e) =>
          new TugError({
            code: 'yaml.syntax',
            message: `invalid YAML: ${lowerFirst(e.message)}`,
            location: position(e.pos[0]),
            hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear only once in a mapping' : undefined,
          }),
      ),
    );
  }
  const anchors = new AnchorIndex(doc);
  const converter = new Converter(anchors, position);
  const value = doc.contents === null ? null : converter.toValue(doc.contents as YamlNode);
  return { value, source: new DocumentLocator(file, doc, anchors, position) };
}

/**
 * Resolves aliases in O(log n). The library's own Alias.resolve walks the whole
 * document for every alias, which is quadratic on files that use `<<: *x` in
 * every service. An anchor may be redefined: an alias refers to the last
 * definition before it.
 */
class AnchorIndex {
  private readonly byName = new Map<string, { offset: number; node: YamlNode }[]>();

  constructor(doc: Document) {
    visit(doc, {
      Node: (_key, node) => {
        const anchor = (node as { anchor?: string }).anchor;
        if (anchor) {
          const list = this.byName.get(anchor) ?? [];
          list.push({ offset: node.range?.[0] ?? 0, node: node as YamlNode });
          this.byName.set(anchor, list);
        }
      },
    });
  }

  resolve(alias: Alias): YamlNode | undefined {
    const list = this.byName.get(alias.source);
    if (!list) return undefined;
    const at = alias.range?.[0] ?? Number.MAX_SAFE_INTEGER;
    let found: YamlNode | undefined;
    for (const entry of list) {
      if (entry.offset >= at) break;
      found = entry.node;
    }
    return found;
  }
}

class Converter {
  private expansions = 0;

  constructor(
    private readonly anchors: AnchorIndex,
    private readonly position: (offset: number) => SourceLocation,
  ) {}

  toValue(node: YamlNode): unknown {
    if (isAlias(node)) {
      if (++this.expansions > MAX_ALIAS_EXPANSIONS) {
        throw new TugError({
          code: 'yaml.aliases',
          message: 'invalid YAML: too many alias expansions',
          location: node.range ? this.position(node.range[0]) : undefined,
        });
      }
      const target = this.anchors.resolve(node);
      return target ? this.toValue(target) : null;
    }
    const value = this.untagged(node);
    const tag = node.tag;
    if (tag === '!reset' || tag === '!override') return new YamlTag(tag as MergeTag, value);
    return value;
  }

  private untagged(node: YamlNode): unknown {
    if (isScalar(node)) {
      // A tagged `!reset null` resolves to the string "null"; the value does not matter there.
      return node.value;
    }
    if (isSeq(node)) return node.items.map((item) => this.toValue(item as YamlNode));
    if (isMap(node)) return this.mapToObject(node);
    return null;
  }

  private mapToObject(map: YAMLMap): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merged: YamlNode[] = [];
    for (const pair of map.items as Pair<YamlNode, YamlNode>[]) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === 'symbol') {
        // `<<: *a` or `<<: [*a, *b]`: explicit keys win, then earlier sources.
        const v = pair.value;
        if (isSeq(v)) merged.push(...(v.items as YamlNode[]));
        else if (v) merged.push(v);
        continue;
      }
      const name = keyString(key);
      out[name] = pair.value == null ? null : this.toValue(pair.value);
    }
    for (const source of merged) {
      const value = this.toValue(source);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      for (const [k, v] of Object.entries(value)) if (!(k in out)) out[k] = v;
    }
    return out;
  }
}

function keyString(key: YamlNode | null): string {
  if (key === null) return '';
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Finds nodes by YAML path in the parsed document (including through aliases and `<<`). */
class DocumentLocator implements SourceLocator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly anchors: AnchorIndex,
    private readonly position: (offset: number) => SourceLocation,
  ) {}

  locate(path: readonly PathSegment[], opts: { key?: boolean } = {}): SourceLocation {
    const found = this.walk(path);
    const node = opts.key && found.keyNode && found.depth === path.length ? found.keyNode : found.node;
    const offset = node?.range?.[0] ?? 0;
    return this.position(offset);
  }

  has(path: readonly PathSegment[]): boolean {
    return this.walk(path).depth === path.length;
  }

  private walk(path: readonly PathSegment[]): { node?: YamlNode; keyNode?: YamlNode; depth: number } {
    let node = this.doc.contents as YamlNode | null;
    let keyNode: YamlNode | undefined;
    let depth = 0;
    for (const seg of path) {
      const next = node ? this.child(node, seg) : undefined;
      if (!next) break;
      node = next.value ?? next.key ?? null;
      keyNode = next.key;
      depth++;
      if (!next.value) break;
    }
    return { node: node ?? undefined, keyNode, depth };
  }

  private child(node: YamlNode, seg: PathSegment): { key?: YamlNode; value?: YamlNode } | undefined {
    const resolved = isAlias(node) ? this.anchors.resolve(node) : node;
    if (!resolved) return undefined;
    if (isSeq(resolved) && typeof seg === 'number') {
      const item = resolved.items[seg] as YamlNode | undefined;
      return item ? { value: item } : undefined;
    }
    if (isMap(resolved)) {
      const want = String(seg);
      const mergeSources: YamlNode[] = [];
      for (const pair of resolved.items as Pair<YamlNode, YamlNode>[]) {
        if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
          if (isSeq(pair.value)) mergeSources.push(...(pair.value.items as YamlNode[]));
          else if (pair.value) mergeSources.push(pair.value);
          continue;
        }
        if (keyString(pair.key) === want) return { key: pair.key ?? undefined, value: pair.value ?? undefined };
      }
      for (const source of mergeSources) {
        const hit = this.child(source, seg);
        if (hit) return hit;
      }
    }
    return undefined;
  }
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
