// Turns errors into what a user reads: location first (file:line:col and the
// YAML path), then what was expected and a hint. Stack traces only with --debug
// and only for internal errors, never for a user mistake.
import { relative } from 'node:path';
import type { Chalk } from './colors.js';
import { ConfigErrors, formatPath, TugError } from '../../core/errors.js';

export function formatUserError(err: TugError, c: Chalk, cwd: string): string {
  const where: string[] = [];
  if (err.location) {
    const file = err.location.file === '-' ? '<stdin>' : relative(cwd, err.location.file) || err.location.file;
    where.push(`${file}:${err.location.line}:${err.location.column}`);
  }
  // Messages often name the path or what was expected already; say each thing once.
  const path = err.path && err.path.length > 0 ? formatPath(err.path, { maxSegment: 60 }) : '';
  if (path && !err.message.includes(path)) where.push(path);
  const head = where.length > 0 ? `${c.bold(where.join(' '))}: ` : '';
  const lines = [`${c.red('error')} ${head}${err.message}`];
  if (err.expected && !err.message.includes(err.expected)) lines.push(`  ${c.dim('expected:')} ${err.expected}`);
  if (err.hint) lines.push(`  ${c.cyan('hint:')} ${err.hint}`);
  return lines.join('\n');
}

export function formatErrors(err: TugError | ConfigErrors, c: Chalk, cwd: string): string {
  const list = err instanceof ConfigErrors ? err.errors : [err];
  const body = list.map((e) => formatUserError(e, c, cwd)).join('\n');
  return list.length > 1 ? `${body}\n${c.red(`${list.length} errors`)}` : body;
}
