// Renders watch events: one plain line per action (`web-1 ⟳ synced 3 files
// (12 ms)`), or one JSON object per line for `--progress json`. `quiet` keeps
// only what needs a user's attention: errors and rejected reloads.
import type { TugError } from '../../core/errors.js';
import type { WatchEvent } from '../../engine/watch/events.js';
import type { Chalk } from './colors.js';
import { formatUserError } from './errors.js';

export type WatchOutputMode = 'plain' | 'json' | 'quiet';

export interface WatchOutput {
  write(text: string): void;
  color: Chalk;
  /** Paths in errors are shown relative to it. */
  cwd: string;
}

export function watchRenderer(mode: WatchOutputMode, out: WatchOutput): (event: WatchEvent) => void {
  if (mode === 'json') return (event) => out.write(JSON.stringify(watchEventJson(event)) + '\n');
  return (event) => {
    if (mode === 'quiet' && event.type !== 'error' && event.type !== 'reload-rejected') return;
    const text = watchEventText(event, out.color, out.cwd);
    if (text !== '') out.write(text + '\n');
  };
}

export function watchEventText(e: WatchEvent, c: Chalk, cwd: string): string {
  switch (e.type) {
    case 'watching':
      return `${c.cyan('◉')} watching ${count(e.paths.length, 'path')} for ${e.services.join(', ')} ${c.dim('(Ctrl-C stops watching; the project keeps running)')}`;
    case 'sync': {
      const removed = e.removed > 0 ? `, removed ${e.removed}` : '';
      return `${e.replica} ${c.green('⟳')} synced ${count(e.files, 'file')}${removed} ${c.dim(`(${duration(e.ms)})`)}`;
    }
    case 'restart':
      return `${e.service} ${c.green('↻')} restarted ${e.replicas.join(', ') || 'no replica'} ${c.dim(`(${duration(e.ms)})`)}`;
    case 'rebuild':
      return `${e.service} ${c.green('⚒')} rebuilt and recreated${e.restarted.length > 0 ? `; restarted ${e.restarted.join(', ')}` : ''} ${c.dim(`(${duration(e.ms)})`)}`;
    case 'exec': {
      const status = e.exitCode === 0 ? c.dim(`(${duration(e.ms)})`) : c.red(`(exit ${e.exitCode}, ${duration(e.ms)})`);
      return `${e.replica} ${e.exitCode === 0 ? c.green('▶') : c.red('▶')} ran ${e.command.join(' ')} ${status}`;
    }
    case 'reload':
      if (e.services.length === 0) return `${c.cyan('↺')} project files changed; nothing to do`;
      return e.services.map((s) => `${s.service} ${c.cyan('↺')} ${s.change}`).join('\n');
    case 'reload-rejected':
      return [
        `${c.red('✘')} the project files have errors; the running project is left as it is until they are fixed`,
        ...e.errors.map((err) => indent(formatUserError(err, c, cwd))),
      ].join('\n');
    case 'notice':
      return `${c.yellow('!')} ${e.message}`;
    case 'error': {
      const who = e.replica ?? e.service;
      const hint = e.error.hint ? `\n  ${c.cyan('hint:')} ${e.error.hint}` : '';
      return `${who ? `${who} ` : ''}${c.red('✘')} ${e.error.message}${hint}`;
    }
  }
}

/** The event as plain JSON: ISO time, errors as {code, message, location, path, hint}. */
export function watchEventJson(e: WatchEvent): Record<string, unknown> {
  const { time, ...rest } = e;
  const out: Record<string, unknown> = { ...rest, time: new Date(time).toISOString() };
  if (e.type === 'error') out.error = errorJson(e.error);
  if (e.type === 'reload-rejected') out.errors = e.errors.map(errorJson);
  return out;
}

function errorJson(err: TugError): Record<string, unknown> {
  const out: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.location) out.location = err.location;
  if (err.path) out.path = err.path;
  if (err.hint) out.hint = err.hint;
  return out;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
