// Schema validation of a merged Compose model: runs the ajv validator generated
// from schemas/compose.schema.json and turns its raw errors into TugErrors a user
// can act on — one per distinct problem, pointing at the offending line, with the
// YAML path, what was expected and a hint. Pure: data in, errors out.
import { TugError, formatPath, type PathSegment } from '../errors.js';
import {
  validateCompose,
  type ComposeSchemaError,
} from './generated/compose-validator.js';
import { shown } from './names.js';
import type { SourceLocator } from './source.js';
import { closest } from './suggest.js';
import { expectedOf, annotation, asNode, pointerToPath, valueAt, show, joinOr, type SchemaNode } from './schema-text.js';

/** Keywords that judge an object as a whole (not its property names). */
const OBJECT_KEYWORDS = new Set([
  'additionalProperties',
  'required',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'dependencies',
]);

/** An ajv error, or several collapsed into one "wrong type" at a path. */
interface Problem {
  error: ComposeSchemaError;
  /** Set when a combinator (anyOf/oneOf) failed on type alone: its wording. */
  collapsedExpected?: string;
  /** Set for an invalid map key (propertyNames): the key, what names look like, and the length limit it broke. */
  badName?: { name: string; expected?: string; maxLength?: number };
}

/** Validate `value` against the Compose schema. Returns every problem found; never throws. */
export function validateSchema(value: unknown, source: SourceLocator): TugError[] {
  let valid: boolean;
  try {
    valid = validateCompose(value);
  } catch (err) {
    return [
      new TugError({
        code: 'schema.invalid',
        message: `the file could not be checked against the Compose schema: ${String(err)}`,
        location: source.locate([]),
      }),
    ];
  }
  if (valid) return [];
  return schemaErrorsToTugErrors(validateCompose.errors ?? [], value, source);
}

/** Convert raw validator errors (in the order ajv reported them) to TugErrors. */
export function schemaErrorsToTugErrors(
  errors: readonly ComposeSchemaError[],
  value: unknown,
  source: SourceLocator,
): TugError[] {
  const seen = new Set<string>();
  const out: TugError[] = [];
  for (const problem of collapse(errors)) {
    let tugError: TugError;
    try {
      tugError = toTugError(problem, value, source);
    } catch {
      // A converter bug must not hide the user's problem: fall back to the raw facts.
      tugError = new TugError({
        code: 'schema.invalid',
        message: `${problem.error.instancePath || '/'}: fails the "${problem.error.keyword}" rule`,
      });
    }
    const key = `${tugError.code}|${formatPath(tugError.path ?? [])}|${tugError.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tugError);
  }
  return out.sort(byLocation);
}

// ---------------------------------------------------------------------------
// Collapsing: ajv reports every failed branch of an anyOf/oneOf and, for map
// keys, the inner failure before the propertyNames error. Both arrive as a
// contiguous run just before the summarising error, which lets us fold them.
// This assumes a schema node with anyOf/oneOf has no sibling keywords that
// descend into the same value (true of our schema, which prefers type unions
// so that most shapes need no combinator at all).

function collapse(errors: readonly ComposeSchemaError[]): Problem[] {
  const stack: Problem[] = [];
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      foldCombinator(stack, error);
    } else if (error.keyword === 'propertyNames') {
      foldPropertyName(stack, error);
    } else {
      stack.push({ error });
    }
  }
  return stack;
}

function within(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}/`);
}

function foldCombinator(stack: Problem[], error: ComposeSchemaError): void {
  const at = error.instancePath;
  const branches: Problem[] = [];
  while (stack.length > 0 && within(stack[stack.length - 1]!.error.instancePath, at)) {
    branches.unshift(stack.pop()!);
  }
  const isTypeMiss = (p: Problem) =>
    p.error.instancePath === at && (p.error.keyword === 'type' || p.collapsedExpected !== undefined);
  const deeper = branches.filter((p) => !isTypeMiss(p));
  if (deeper.length > 0) {
    // The value had the right shape for some branch; its inner problems are the news.
    stack.push(...deeper);
    return;
  }
  stack.push({ error, collapsedExpected: expectedOf(error.parentSchema ?? {}, error.keyword) });
}

function foldPropertyName(stack: Problem[], error: ComposeSchemaError): void {
  const at = error.instancePath;
  let expected: string | undefined;
  let maxLength: number | undefined;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!.error;
    if (top.instancePath !== at || OBJECT_KEYWORDS.has(top.keyword)) break;
    stack.pop();
    expected ??= annotation(top.parentSchema);
    if (top.keyword === 'maxLength') maxLength = Number(top.params['limit']);
  }
  const name = String(error.params['propertyName'] ?? '');
  stack.push({ error, badName: { name, expected, maxLength } });
}

// ---------------------------------------------------------------------------
// Conversion of one problem.

function toTugError(problem: Problem, value: unknown, source: SourceLocator): TugError {
  const { error } = problem;
  const path = pointerToPath(error.instancePath, value);
  const where = path.length === 0 ? 'the top level' : formatPath(path);
  const node = error.parentSchema ?? {};

  if (problem.badName) {
    const { name, maxLength } = problem.badName;
    const keyPath = [...path, name];
    return new TugError({
      code: 'schema.name',
      message: maxLength !== undefined
        ? `invalid name ${shown(name)} in ${where}: it is ${name.length} characters long, more than the ${maxLength} allowed`
        : `invalid name ${shown(name)} in ${where}`,
      location: source.locate(keyPath, { key: true }),
      path: keyPath,
      expected: problem.badName.expected ?? 'a valid name',
    });
  }
  if (problem.collapsedExpected !== undefined) {
    return typeError(path, where, problem.collapsedExpected, valueAt(value, path), source);
  }

  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKey(path, String(error.params['additionalProperty']), node, source);
    case 'type':
      return typeError(path, where, expectedOf(node, 'type'), valueAt(value, path), source);
    case 'required': {
      const key = String(error.params['missingProperty']);
      return new TugError({
        code: 'schema.required',
        message: `missing required key ${JSON.stringify(key)} in ${where}`,
        location: source.locate(path),
        path,
        hint: `add "${key}:" to ${where}`,
      });
    }
    case 'enum': {
      const allowed = ((error.params['allowedValues'] as unknown[]) ?? []).map(String);
      const actual = valueAt(value, path);
      const suggestion = typeof actual === 'string' ? closest(actual, allowed) : undefined;
      return new TugError({
        code: 'schema.enum',
        message: `${where}: ${show(actual)} is not one of ${joinOr(allowed)}`,
        location: source.locate(path),
        path,
        expected: `one of ${joinOr(allowed)}`,
        hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
      });
    }
    case 'pattern':
    case 'format': {
      const expected = annotation(node) ?? `a value matching ${String(error.params['pattern'] ?? 'the format')}`;
      return new TugError({
        code: 'schema.format',
        message: `${where}: expected ${expected}, got ${show(valueAt(value, path))}`,
        location: source.locate(path),
        path,
        expected,
      });
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const comparison = String(error.params['comparison']);
      const limit = String(error.params['limit']);
      return new TugError({
        code: 'schema.range',
        message: `${where}: must be ${comparison} ${limit}, got ${show(valueAt(value, path))}`,
        location: source.locate(path),
        path,
        expected: `a number ${comparison} ${limit}`,
      });
    }
    case 'uniqueItems':
      return duplicateItem(path, where, error, value, source);
    default:
      return new TugError({
        code: 'schema.invalid',
        message: `${where}: ${error.message ?? `fails the "${error.keyword}" rule ${JSON.stringify(error.params)}`}`,
        location: source.locate(path),
        path,
      });
  }
}

function unknownKey(
  path: PathSegment[],
  key: string,
  node: SchemaNode,
  source: SourceLocator,
): TugError {
  const keyPath = [...path, key];
  const allowed = Object.keys(asNode(node['properties']) ?? {});
  const suggestion = closest(key, allowed);
  const allowsExtensions = Object.keys(asNode(node['patternProperties']) ?? {}).includes('^x-');
  let hint: string | undefined;
  if (suggestion) hint = `did you mean "${suggestion}"?`;
  else if (allowsExtensions) hint = 'custom keys must start with "x-"';
  else if (allowed.length > 0) hint = `allowed keys: ${allowed.join(', ')}`;
  return new TugError({
    code: 'schema.unknown-key',
    message:
      path.length === 0
        ? `unknown top-level key ${JSON.stringify(key)}`
        : `unknown key ${JSON.stringify(key)} in ${formatPath(path)}`,
    location: source.locate(keyPath, { key: true }),
    path: keyPath,
    hint,
  });
}

function typeError(
  path: PathSegment[],
  where: string,
  expected: string,
  actual: unknown,
  source: SourceLocator,
): TugError {
  return new TugError({
    code: 'schema.type',
    message: `${where}: expected ${expected}, got ${show(actual)}`,
    location: source.locate(path),
    path,
    expected,
  });
}

function duplicateItem(
  path: PathSegment[],
  where: string,
  error: ComposeSchemaError,
  value: unknown,
  source: SourceLocator,
): TugError {
  const i = Number(error.params['i']);
  const j = Number(error.params['j']);
  const [first, second] = i < j ? [i, j] : [j, i];
  const itemPath = [...path, second];
  const item = valueAt(value, itemPath);
  const shown = item !== null && typeof item === 'object' ? '' : ` (${show(item)})`;
  return new TugError({
    code: 'schema.duplicate',
    message: `${where}: items [${first}] and [${second}] are the same${shown}`,
    location: source.locate(itemPath),
    path: itemPath,
    hint: `remove one of them`,
  });
}

function byLocation(a: TugError, b: TugError): number {
  const la = a.location;
  const lb = b.location;
  if (la && lb && (la.line !== lb.line || la.column !== lb.column)) {
    return la.line - lb.line || la.column - lb.column;
  }
  return 0;
}
