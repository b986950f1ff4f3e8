// One error family for everything tug reports to a user. A TugError carries a
// stable code, a message a user can act on, and when the problem comes from a
// Compose file: the file, line, column and YAML path, what was expected and a hint.
// Validation collects many of them into a ConfigErrors so a user sees all at once.

export interface SourceLocation {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export type PathSegment = string | number;

export interface TugErrorInit {
  code: string;
  message: string;
  location?: SourceLocation;
  path?: PathSegment[];
  expected?: string;
  hint?: string;
  /** 1 for failures (default), 2 for usage errors. */
  exitCode?: number;
}

export class TugError extends Error {
  readonly code: string;
  readonly location?: SourceLocation;
  readonly path?: PathSegment[];
  readonly expected?: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(init: TugErrorInit) {
    super(init.message);
    this.name = 'TugError';
    this.code = init.code;
    this.location = init.location;
    this.path = init.path;
    this.expected = init.expected;
    this.hint = init.hint;
    this.exitCode = init.exitCode ?? 1;
  }

  /** A copy of this error with a source location filled in (when it had none). */
  withLocation(location: SourceLocation | undefined): TugError {
    if (!location || this.location) return this;
    return new TugError({ ...this.toInit(), location });
  }

  toInit(): TugErrorInit {
    return {
      code: this.code,
      message: this.message,
      location: this.location,
      path: this.path,
      expected: this.expected,
      hint: this.hint,
      exitCode: this.exitCode,
    };
  }
}

/** Several user errors reported together (schema and semantic validation). */
export class ConfigErrors extends Error {
  readonly errors: TugError[];
  readonly exitCode = 1;

  constructor(errors: TugError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

/** A usage error: wrong flags or arguments on the command line (exit code 2). */
export function usageError(message: string, hint?: string): TugError {
  return new TugError({ code: 'usage', message, hint, exitCode: 2 });
}

/**
 * `services.web.ports[1]`: the way a user would write the path to a YAML node.
 * With `maxSegment`, longer keys are cut (for display: a 5,000-character key
 * should not fill the terminal).
 */
export function formatPath(path: readonly PathSegment[], opts: { maxSegment?: number } = {}): string {
  let out = '';
  const max = opts.maxSegment ?? Infinity;
  for (const whole of path) {
    const seg = typeof whole === 'string' && whole.length > max ? `${whole.slice(0, max - 3)}...` : whole;
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Throw all collected errors at once, or nothing when there are none. */
export function throwIfAny(errors: TugError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
}

export function isUserError(err: unknown): err is TugError | ConfigErrors {
  return err instanceof TugError || err instanceof ConfigErrors;
}
