// Compose variable interpolation of one string value: `$VAR`, `${VAR}`, the six
// `${VAR<op>arg}` operators and `$$` escapes. Pure: the environment arrives as a
// lookup function, and "variable is not set" warnings leave through a callback
// so the caller decides how (and whether) to report them.
//
// Semantics follow compose-go's template package, which is what users' files
// were written against:
// - names are `[_a-zA-Z][_a-zA-Z0-9]*`; a `$` not followed by `$`, `{` or a name
//   is a literal `$` (so `a $ b`, `^REGEX$` and `$}` pass through);
// - the operator is whatever follows the name inside the braces; anything else
//   there (`${foo }`, `${foo!}`) is a syntax error, not a literal;
// - the closing brace is the one that balances the braces in between, so a
//   default may hold JSON (`${X:-{"json":1}}`);
// - defaults, alternates and error messages are interpolated lazily, only when
//   the operator actually uses them: an unused branch never warns or fails.

import { formatPath, TugError, type PathSegment } from '../errors.js';
import { MAX_NESTING } from './nesting.js';

export type VariableLookup = (name: string) => string | undefined;
export type UnsetVariableHandler = (name: string) => void;

/** A `${VAR:?msg}` / `${VAR?msg}` whose variable has no (acceptable) value. */
export class MissingVariableError extends TugError {
  readonly variable: string;
  readonly reason: string;

  constructor(variable: string, reason: string, path?: readonly PathSegment[]) {
    const base = reason === ''
      ? `required variable ${variable} is missing a value`
      : `required variable ${variable} is missing a value: ${reason}`;
    super({
      code: 'interpolate.required',
      message: path && path.length > 0 ? `error while interpolating ${formatPath(path)}: ${base}` : base,
      path: path ? [...path] : undefined,
      hint: `set ${variable} in the environment or in the .env file`,
    });
    this.variable = variable;
    this.reason = reason;
  }
}

const NAME = /[_a-zA-Z][_a-zA-Z0-9]*/y;

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';

interface Context {
  readonly template: string; // the whole value, for error messages
  readonly lookup: VariableLookup;
  readonly onUnset: UnsetVariableHandler | undefined;
  readonly path: readonly PathSegment[] | undefined;
}

/**
 * Interpolate one string. `path`, when given, is where the value sits in the
 * Compose model (e.g. `['services','web','image']`); it only improves messages.
 * Throws TugError `interpolate.syntax` or MissingVariableError (`interpolate.required`).
 */
export function interpolateString(
  template: string,
  lookup: VariableLookup,
  onUnset?: UnsetVariableHandler,
  path?: readonly PathSegment[],
): string {
  // Fast path: most values in a big file contain no `$` at all.
  if (template.indexOf('$') === -1) return template;
  return substitute(template, { template, lookup, onUnset, path });
}

function substitute(text: string, ctx: Context, depth = 0): string {
  // `${A:-${B:-${C…}}}` recurses once per level: bounded like nesting in the YAML itself.
  if (depth > MAX_NESTING) throw tooDeep(ctx);
  let out = '';
  let i = 0;
  for (;;) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) return out + text.slice(i);
    out += text.slice(i, dollar);
    const next = text.charCodeAt(dollar + 1);
    if (next === 0x24 /* $ */) {
      out += '$';
      i = dollar + 2;
    } else if (next === 0x7b /* { */) {
      const braced = substituteBraced(text, dollar, ctx, depth);
      out += braced.value;
      i = braced.end;
    } else {
      const name = matchName(text, dollar + 1);
      if (name === undefined) {
        out += '$';
        i = dollar + 1;
      } else {
        out += resolvePlain(name, ctx);
        i = dollar + 1 + name.length;
      }
    }
  }
}

/** `${…}` starting at `start` (the `$`). Returns the replacement and the index after `}`. */
function substituteBraced(text: string, start: number, ctx: Context, depth: number): { value: string; end: number } {
  const nameStart = start + 2;
  const name = matchName(text, nameStart);
  if (name === undefined) throw syntaxError(ctx);
  const afterName = nameStart + name.length;
  if (text[afterName] === '}') return { value: resolvePlain(name, ctx), end: afterName + 1 };

  const op = matchOperator(text, afterName);
  if (op === undefined) throw syntaxError(ctx);
  const argStart = afterName + op.length;
  const close = findClosingBrace(text, argStart);
  if (close === -1) throw syntaxError(ctx);
  const arg = text.slice(argStart, close);
  return { value: applyOperator(name, op, arg, ctx, depth + 1), end: close + 1 };
}

function applyOperator(name: string, op: Operator, arg: string, ctx: Context, depth: number): string {
  const value = ctx.lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case ':-':
      return nonEmpty ? value : substitute(arg, ctx, depth);
    case '-':
      return set ? value : substitute(arg, ctx, depth);
    case ':+':
      return nonEmpty ? substitute(arg, ctx, depth) : (value ?? '');
    case '+':
      return set ? substitute(arg, ctx, depth) : '';
    case ':?':
      if (nonEmpty) return value;
      throw new MissingVariableError(name, substitute(arg, ctx, depth), ctx.path);
    case '?':
      if (set) return value;
      throw new MissingVariableError(name, substitute(arg, ctx, depth), ctx.path);
  }
}

function resolvePlain(name: string, ctx: Context): string {
  const value = ctx.lookup(name);
  if (value !== undefined) return value;
  ctx.onUnset?.(name);
  return '';
}

function matchName(text: string, at: number): string | undefined {
  NAME.lastIndex = at;
  const m = NAME.exec(text);
  return m ? m[0] : undefined;
}

function matchOperator(text: string, at: number): Operator | undefined {
  const c = text[at];
  if (c === '-' || c === '+' || c === '?') return c;
  if (c === ':') {
    const d = text[at + 1];
    if (d === '-' || d === '+' || d === '?') return `:${d}`;
  }
  return undefined;
}

/**
 * Index of the `}` closing a `${` whose argument starts at `from`, or -1.
 * Every `{` opens a level, so JSON-ish defaults like `${X:-{"a":1}}` keep their
 * own braces. When the braces do not balance, compose-go ends the argument at
 * the last `}` instead of failing; do the same so such files keep loading.
 */
function findClosingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      depth++;
    } else if (c === 0x7d /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  const last = text.lastIndexOf('}');
  return last >= from ? last : -1;
}

function tooDeep(ctx: Context): TugError {
  const where = ctx.path && ctx.path.length > 0 ? ` for ${formatPath(ctx.path)}` : '';
  return new TugError({
    code: 'interpolate.too-deep',
    message: `invalid interpolation format${where}: \${…} nested more than ${MAX_NESTING} levels deep`,
    path: ctx.path ? [...ctx.path] : undefined,
    hint: 'nest defaults a few levels at most',
  });
}

function syntaxError(ctx: Context): TugError {
  const where = ctx.path && ctx.path.length > 0 ? ` for ${formatPath(ctx.path)}` : '';
  return new TugError({
    code: 'interpolate.syntax',
    message: `invalid interpolation format${where}: Invalid template: ${JSON.stringify(ctx.template)}`,
    path: ctx.path ? [...ctx.path] : undefined,
    expected: '$VAR, ${VAR} or ${VAR<op>value} with <op> one of :- - :? ? :+ +',
    hint: 'You may need to escape any $ with another $ (write $$ for a literal $).',
  });
}
