// Seeded mutations of Compose files for the fuzz test: on the parsed data
// (type swaps, deletions, huge numbers, odd strings, deep nesting, keys named
// like Object members) and on the bytes (invalid UTF-8, truncation, stray
// YAML punctuation, alias tricks). Deterministic for a given seed, so a
// failure can be replayed exactly.
import jsYaml from 'js-yaml';

/** mulberry32: small, fast and good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A per-case seed, so one case can be replayed without the others. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

const HUGE_NUMBERS = [1e20, -1e20, 1e308, -0, 2 ** 53 + 1, 99999999999999999999, 0, -1, 65536, 4294967296, 0.5];
const ODD_STRINGS = [
  '',
  ' ',
  '\t',
  '\u0000',
  '../../evil',
  '/',
  '.',
  '..',
  '-',
  'a'.repeat(5000),
  '${',
  '${X:?boom}',
  '$${X}',
  '${A:-${B:-${C}}}',
  '\u202egnp.exe',
  '😀',
  'line\nbreak',
  'key=value',
  'on-failure:-1',
  '0:0',
  '70000:80',
  '1e20',
  'true',
  'null',
  '__proto__',
  '* & ! | >',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

type Slot = [Record<string, unknown> | unknown[], string | number];

/** Every [container, key] pair in the data, so a mutation can pick any node; deep ones apart. */
function slots(root: unknown): { all: Slot[]; deep: Slot[] } {
  const all: Slot[] = [];
  const deep: Slot[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 40) return;
    seen.add(v);
    const add = (slot: Slot) => (depth >= 2 ? deep : all).push(slot);
    if (Array.isArray(v)) v.forEach((child, i) => (add([v, i]), walk(child, depth + 1)));
    else for (const k of Object.keys(v)) add([v as Record<string, unknown>, k]), walk((v as Record<string, unknown>)[k], depth + 1);
  };
  walk(root, 0);
  return { all: [...all, ...deep], deep };
}

function randomValue(r: Random, depth = 0): unknown {
  switch (Math.floor(r() * (depth > 2 ? 5 : 7))) {
    case 0:
      return pick(r, HUGE_NUMBERS);
    case 1:
      return pick(r, ODD_STRINGS);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return Math.floor(r() * 100_000);
    case 5:
      return [randomValue(r, depth + 1), randomValue(r, depth + 1)];
    default:
      return { [pick(r, ['a', 'target', 'image', ...PROTO_KEYS])]: randomValue(r, depth + 1) };
  }
}

function nest(value: unknown, levels: number): unknown {
  let v = value;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** One mutation of the parsed data; returns what it did. */
function mutateData(r: Random, data: unknown): string {
  const { all, deep } = slots(data);
  if (all.length === 0) return 'nothing to mutate';
  // Mostly inside services and resources, where most of the loader's rules live.
  const [container, key] = pick(r, deep.length > 0 && r() < 0.8 ? deep : all);
  const at = `${Array.isArray(container) ? `[${key}]` : JSON.stringify(key)}`;
  const set = (v: unknown) => ((container as Record<string | number, unknown>)[key] = v);
  switch (Math.floor(r() * 7)) {
    case 0:
      set(randomValue(r));
      return `swap type at ${at}`;
    case 1:
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key as string];
      return `delete ${at}`;
    case 2:
      set(pick(r, HUGE_NUMBERS));
      return `huge number at ${at}`;
    case 3:
      set(pick(r, ODD_STRINGS));
      return `odd string at ${at}`;
    case 4: {
      const levels = pick(r, [20, 99, 101, 150, 400]);
      set(nest((container as Record<string | number, unknown>)[key], levels));
      return `nest ${levels} deep at ${at}`;
    }
    case 5: {
      if (Array.isArray(container)) {
        set({ [pick(r, PROTO_KEYS)]: container[key as number] });
        return `wrap ${at} in a proto-named key`;
      }
      const name = pick(r, PROTO_KEYS);
      const value = container[key as string];
      delete container[key as string];
      Object.defineProperty(container, name, { value, enumerable: true, writable: true, configurable: true });
      return `rename ${at} to ${name}`;
    }
    default:
      set([randomValue(r), randomValue(r), randomValue(r)]);
      return `list at ${at}`;
  }
}

/** One mutation of the bytes; returns what it did. */
function mutateBytes(r: Random, bytes: Buffer): { bytes: Buffer; what: string } {
  const at = Math.floor(r() * (bytes.length + 1));
  const splice = (insert: Buffer | string, remove = 0) =>
    Buffer.concat([bytes.subarray(0, at), Buffer.isBuffer(insert) ? insert : Buffer.from(insert), bytes.subarray(at + remove)]);
  switch (Math.floor(r() * 8)) {
    case 0:
      return { bytes: splice(Buffer.from([pick(r, [0xff, 0xfe, 0xc3, 0x80, 0xed, 0xf8])])), what: `invalid UTF-8 byte at ${at}` };
    case 1:
      return { bytes: bytes.subarray(0, at), what: `truncate at ${at}` };
    case 2:
      return { bytes: splice(pick(r, ['{', '[', ':', '*', '&', '!', '|', '>', '%', '@', '`', '"', "'", '\t', '\r', '\u0000', '- '])), what: `punctuation at ${at}` };
    case 3:
      return { bytes: Buffer.concat([bytes, Buffer.from('\nx-cycle: &c\n  self: *c\n')]), what: 'alias cycle' };
    case 4:
      return { bytes: Buffer.concat([bytes, Buffer.from(`\nx-deep: ${'['.repeat(3000)}${']'.repeat(3000)}\n`)]), what: 'deep flow nesting' };
    case 5:
      return { bytes: splice('<<: *nowhere\n'), what: `merge of an unknown alias at ${at}` };
    case 6:
      return { bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), bytes]), what: 'UTF-16 byte order mark' };
    default:
      return { bytes: splice(bytes.subarray(Math.max(0, at - 40), at)), what: `repeat 40 bytes at ${at}` };
  }
}

/** `count` mutations of one file: on the data when it parses with plain YAML, then perhaps one on the bytes. */
export function mutate(seed: number, text: string, count: number): { bytes: Buffer; mutations: string[] } {
  const r = rng(seed);
  const mutations: string[] = [];
  let bytes: Buffer = Buffer.from(text);
  let data: unknown;
  try {
    data = jsYaml.load(text);
  } catch {
    data = undefined; // custom tags (!reset): mutate the bytes only
  }
  const dataMutations = data === undefined || data === null ? 0 : count;
  for (let i = 0; i < dataMutations; i++) mutations.push(mutateData(r, data));
  if (dataMutations > 0) bytes = Buffer.from(jsYaml.dump(data, { noRefs: true, lineWidth: -1 }));
  if (dataMutations === 0 || r() < 0.35) {
    const m = mutateBytes(r, bytes);
    bytes = m.bytes;
    mutations.push(m.what);
  }
  return { bytes, mutations };
}
