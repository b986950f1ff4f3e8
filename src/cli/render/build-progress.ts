// How a build reads on screen. Plain lines, one per thing that happened, in
// BuildKit's plain style: `[web 3/7] RUN npm ci`, the step's output as
// `[web 3/7] | ...`, `DONE 1.2s` or `CACHED`, and on failure the step, its exit
// code, its last lines and Dockerfile:line. `quiet` prints only the image ID
// (`tug build -q`); `json` prints each event as one JSON line.
import { relative } from 'node:path';
import { stepLabel, type BuildEvent } from '../../core/build/events.js';
import type { Chalk } from './colors.js';

export type BuildProgressMode = 'plain' | 'quiet' | 'json';

export interface BuildProgressOptions {
  color: Chalk;
  /** Locations are shown relative to this directory. */
  cwd: string;
  /** Step output is shown unless false (it is always kept for a failure report). */
  showOutput?: boolean;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The text one event prints (lines ending in "\n"), or "" for an event that prints nothing. */
export function formatBuildEvent(event: BuildEvent, opts: BuildProgressOptions): string {
  const c = opts.color;
  const where = (loc: { file: string; line: number }): string => `${relative(opts.cwd, loc.file) || loc.file}:${loc.line}`;
  switch (event.type) {
    case 'notice':
      return `${c.yellow(`${event.build} notice:`)} ${event.message}${event.location ? c.dim(` (${where(event.location)})`) : ''}\n`;
    case 'stage-skipped':
      return c.dim(`[${event.build}:${event.stage}] skipped: the target does not need this stage\n`);
    case 'step-start':
      return `${c.bold(stepLabel(event.step))} ${event.step.text}\n`;
    case 'step-output':
      return opts.showOutput === false ? '' : `${c.dim(`${stepLabel(event.step)} |`)} ${event.line}\n`;
    case 'step-cached':
      return `${c.bold(stepLabel(event.step))} ${event.step.text} ${c.cyan('CACHED')}\n`;
    case 'step-done':
      return c.dim(`${stepLabel(event.step)} DONE ${seconds(event.ms)}\n`);
    case 'step-failed': {
      const label = stepLabel(event.step);
      const lines = [`${c.red(`${label} ERROR`)} ${event.message} ${c.dim(`(${where(event.step.location)})`)}`];
      if (event.lastLines.length > 0) lines.push(c.dim(`${label} last output:`), ...event.lastLines.map((l) => `${c.dim(`${label} |`)} ${l}`));
      return `${lines.join('\n')}\n`;
    }
    case 'build-done': {
      const tags = event.tags.length > 0 ? `, tagged ${event.tags.join(', ')}` : '';
      return `${c.green(`${event.build} built`)} ${shortId(event.imageId)} in ${seconds(event.ms)} (${event.cached} of ${event.steps} steps cached)${tags}\n`;
    }
  }
}

/** `sha256:0123456789ab`: the short form docker shows. */
export function shortId(imageId: string): string {
  return imageId.replace(/^(sha256:)?([0-9a-f]{12}).*$/, 'sha256:$2');
}

/** A listener that prints build events in `mode` through `write`. */
export function buildPrinter(mode: BuildProgressMode, write: (text: string) => void, opts: BuildProgressOptions): (event: BuildEvent) => void {
  if (mode === 'json') return (event) => write(`${JSON.stringify(event)}\n`);
  if (mode === 'quiet') return (event) => (event.type === 'build-done' ? write(`${event.imageId}\n`) : undefined);
  return (event) => {
    const text = formatBuildEvent(event, opts);
    if (text !== '') write(text);
  };
}
