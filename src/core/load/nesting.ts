// How deep user data may nest. Every later stage (interpolate, merge, the
// schema, normalize, render, hash) walks the data recursively, so the parser
// refuses more than MAX_NESTING levels and this module checks what aliases can
// add on top: an alias repeats a whole subtree, so a shallow file can still
// produce deep data, and an alias inside the node it names makes a cycle that
// no walk would ever finish. Found here, both become an error at a location
// instead of "Maximum call stack size exceeded".
import type { PathSegment } from '../errors.js';
import { YamlTag } from './yaml-tags.js';

/** Lists and mappings inside each other; Compose files use about ten. */
export const MAX_NESTING = 100;

export interface NestingProblem {
  problem: 'too-deep' | 'cycle';
  /** Where: the first node past the limit, or the alias that closes the cycle. */
  path: PathSegment[];
}

interface Frame {
  node: object;
  children: [PathSegment, unknown][];
  next: number;
  /** Levels of lists and mappings from this node down, itself included. */
  height: number;
}

/**
 * The first place `root` nests deeper than MAX_NESTING or refers to itself,
 * or undefined. Iterative, and each shared subtree is measured once, so
 * neither depth nor aliases can make it slow or overflow the stack.
 */
export function findNestingProblem(root: unknown): NestingProblem | undefined {
  const top = unwrap(root);
  if (!isContainer(top)) return undefined;
  const heights = new Map<object, number>();
  const onPath = new Set<object>([top]);
  const path: PathSegment[] = [];
  const stack: Frame[] = [frameOf(top)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.children.length) {
      stack.pop();
      onPath.delete(frame.node);
      heights.set(frame.node, frame.height);
      const parent = stack[stack.length - 1];
      if (parent) parent.height = Math.max(parent.height, frame.height + 1);
      path.pop();
      continue;
    }
    const [segment, raw] = frame.children[frame.next++]!;
    const child = unwrap(raw);
    if (!isContainer(child)) continue;
    if (onPath.has(child)) return { problem: 'cycle', path: [...path, segment] };
    const known = heights.get(child);
    if (known !== undefined) {
      if (stack.length + known > MAX_NESTING) return { problem: 'too-deep', path: [...path, segment] };
      frame.height = Math.max(frame.height, known + 1);
      continue;
    }
    if (stack.length + 1 > MAX_NESTING) return { problem: 'too-deep', path: [...path, segment] };
    path.push(segment);
    onPath.add(child);
    stack.push(frameOf(child));
  }
  return undefined;
}

function frameOf(node: object): Frame {
  const children: [PathSegment, unknown][] = Array.isArray(node)
    ? node.map((v, i) => [i, v])
    : Object.keys(node).map((k) => [k, (node as Record<string, unknown>)[k]]);
  return { node, children, next: 0, height: 1 };
}

/** `!reset`/`!override` wrap a value at the same place: not a level of their own. */
function unwrap(value: unknown): unknown {
  let v = value;
  while (v instanceof YamlTag) v = v.value;
  return v;
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
