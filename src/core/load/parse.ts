// YAML → plain data, keeping a way back to source positions. Data comes from
// js-yaml, which is several times faster than the `yaml` library on large files;
// `yaml` builds a full document with positions only when an error needs a
// line and column (and reports every syntax error at once). `!reset` and
// `!override` survive as YamlTag wrappers; anchors, aliases and `<<` merge keys
// resolve the way Compose does.
import { createRequire } from 'node:module';
import jsYaml from 'js-yaml';
import type {
  Alias,
  Document,
  Node as YamlNode,
  Pair,
} from 'yaml';
import { ConfigErrors, TugError, type PathSegment, type SourceLocation } from '../errors.js';
import { findNestingProblem, MAX_NESTING, type NestingProblem } from './nesting.js';
import type { SourceLocator } from './source.js';
import { YamlTag, type MergeTag } from './yaml-tags.js';

export interface ParsedYaml {
  /** Plain JS data; `!reset`/`!override` values are YamlTag wrappers. */
  value: unknown;
  source: SourceLocator;
}

const tagTypes = (['!reset', '!override'] as const).flatMap((tag) =>
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) => new jsYaml.Type(tag, { kind, construct: (data: unknown) => new YamlTag(tag as MergeTag, data) }),
  ),
);
/** YAML 1.2 core (so yes/no/on/off stay strings, as in Compose) plus merge keys and the merge tags. */
// The merge type is exported at run time but missing from the type declarations.
const mergeType = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge;
const COMPOSE_SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [mergeType], explicit: tagTypes });

/** Aliases share objects; expanding them (later stages copy) must stay bounded: no "billion laughs". */
const MAX_EXPANDED_NODES = 2_000_000;

type YamlModule = typeof import('yaml');
// Not named `require`: in the CommonJS bundle (scripts/bundle.mjs) that is Node's own.
const requireHere = createRequire(import.meta.url);
let yamlModule: YamlModule | undefined;
/** The `yaml` library is loaded only when positions are needed. */
function yamlLib(): YamlModule {
  return (yamlModule ??= requireHere('yaml') as YamlModule);
}

export function parseYaml(file: string, text: string): ParsedYaml {
  let value: unknown;
  try {
    value = jsYaml.load(text, { schema: COMPOSE_SCHEMA, filename: file, maxDepth: MAX_NESTING, maxTotalMergeKeys: MAX_MERGE_KEYS } as jsYaml.LoadOptions);
  } catch (err) {
    throw syntaxErrors(file, text, err);
  }
  if (value === undefined) value = null;
  const source = new DocumentLocator(file, text);
  const nesting = findNestingProblem(value);
  if (nesting) throw nestingError(nesting, source);
  // Without a "*" there is no alias, so nothing can multiply.
  const expanded = text.includes('*') ? countExpanded(value) : 0;
  if (expanded > MAX_EXPANDED_NODES) {
    throw new TugError({
      code: 'yaml.aliases',
      message: `invalid YAML: too many alias expansions (${expanded} nodes)`,
      location: { file, line: 1, column: 1 },
      hint: 'aliases that refer to aliases multiply; use fewer levels',
    });
  }
  return { value, source };
}

/** `<<: *x` merges, in all; js-yaml's default (10,000) refuses a large but ordinary file. */
const MAX_MERGE_KEYS = 1_000_000;

/** Past this, the `yaml` library (used to list every syntax error) runs out of memory or stack. */
const MAX_ROUGH_NESTING = 300;

function nestingError(found: NestingProblem, source: SourceLocator): TugError {
  const location = source.locate(found.path);
  return found.problem === 'cycle'
    ? new TugError({
        code: 'yaml.alias-cycle',
        message: 'invalid YAML: an alias refers to the node that contains it, which would repeat forever',
        location,
        path: found.path,
        hint: 'an alias (*name) may only refer to an anchor (&name) outside the node it appears in',
      })
    : tooDeep(location, ' (aliases count with the nodes they repeat)');
}

function tooDeep(location: SourceLocation, detail = ''): TugError {
  return new TugError({
    code: 'yaml.too-deep',
    message: `invalid YAML: nesting too deep at ${location.line}:${location.column}: more than ${MAX_NESTING} levels of lists and mappings${detail}`,
    location,
    hint: 'a Compose file needs a dozen levels at most; flatten the structure',
  });
}

/** An upper bound on how deeply `text` nests: brackets of flow collections, plus indentation and "- " at line starts. */
function roughNesting(text: string): number {
  let max = 0;
  let flow = 0;
  let lineStart = true;
  let block = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = true;
      block = 0;
    } else if (lineStart && (c === 0x20 || c === 0x2d /* - */)) {
      block++;
    } else {
      lineStart = false;
      if (c === 0x5b || c === 0x7b) flow++;
      else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    }
    max = Math.max(max, flow + block);
  }
  return max;
}

/** Every syntax error with its position, from the `yaml` library (js-yaml stops at the first). */
function syntaxErrors(file: string, text: string, first: unknown): ConfigErrors {
  const mark = (first as { mark?: { line: number; column: number } }).mark;
  const reason = (first as { reason?: string }).reason ?? String(first);
  const at = { file, line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1 };
  if (reason.startsWith('nesting exceeded maxDepth')) return new ConfigErrors([tooDeep(at)]);
  // Deep text is too much for the `yaml` library: report js-yaml's one error.
  if (roughNesting(text) > MAX_ROUGH_NESTING) {
    return new ConfigErrors([new TugError({ code: 'yaml.syntax', message: `invalid YAML: ${reason}`, location: at })]);
  }
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true, customTags: LENIENT_TAGS as never });
  const errors = doc.errors.map((e) => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return new TugError({
      code: 'yaml.syntax',
      message: `invalid YAML: ${lowerFirst(e.message)}`,
      location: { file, line, column: col },
      hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear only once in a mapping' : undefined,
    });
  });
  if (errors.length > 0) return new ConfigErrors(errors);
  return new ConfigErrors([new TugError({ code: 'yaml.syntax', message: `invalid YAML: ${reason}`, location: at })]);
}

const identity = (v: unknown) => v;
const LENIENT_TAGS = (['!reset', '!override'] as const).flatMap((tag) => [
  { tag, resolve: identity },
  { tag, collection: 'map' as const, resolve: identity },
  { tag, collection: 'seq' as const, resolve: identity },
]);

function countExpanded(root: unknown): number {
  const memo = new Map<object, number>();
  const count = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    memo.set(v, 1); // a self-referencing alias counts once
    let n = 1;
    const children = v instanceof YamlTag ? [v.value] : Array.isArray(v) ? v : Object.values(v);
    for (const child of children) n += count(child);
    memo.set(v, n);
    return n;
  };
  return count(root);
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
    yamlLib().visit(doc, {
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

function keyString(key: YamlNode | null): string {
  if (key === null) return '';
  if (yamlLib().isScalar(key)) return String(key.value);
  return String(key);
}

/** Finds nodes by YAML path (including through aliases and `<<`); parses positions on first use. */
class DocumentLocator implements SourceLocator {
  private parsed?: { doc: Document; anchors: AnchorIndex; position: (offset: number) => SourceLocation };

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  private get doc(): Document {
    return this.load().doc;
  }

  private get anchors(): AnchorIndex {
    return this.load().anchors;
  }

  private position(offset: number): SourceLocation {
    return this.load().position(offset);
  }

  private load() {
    if (!this.parsed) {
      const { LineCounter, parseDocument } = yamlLib();
      const lineCounter = new LineCounter();
      const doc = parseDocument(this.text, { lineCounter, merge: true, prettyErrors: false, customTags: LENIENT_TAGS as never });
      const position = (offset: number): SourceLocation => {
        const { line, col } = lineCounter.linePos(offset);
        return { file: this.file, line, column: col };
      };
      this.parsed = { doc, anchors: new AnchorIndex(doc), position };
    }
    return this.parsed;
  }

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
    const { isAlias, isMap, isScalar, isSeq } = yamlLib();
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
