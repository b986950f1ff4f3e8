// The user errors something throws, as a list whatever their packaging
// (one TugError, or a ConfigErrors holding several).
import { ConfigErrors, TugError } from '../../src/core/errors.js';

/** Runs fn, which must throw user errors; returns them. */
export function errorsOf(fn: () => unknown): TugError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors;
    if (err instanceof TugError) return [err];
    throw err;
  }
  throw new Error('expected an error');
}
