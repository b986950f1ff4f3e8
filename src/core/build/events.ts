// What a build reports while it runs, as typed events: the CLI renders them
// (cli/render/build-progress.ts), tests assert on them. Each step is named as
// users see it: `[web 3/7] RUN npm ci`, with its Dockerfile location.
import type { SourceLocation } from '../errors.js';

export interface StepRef {
  /** `web` for the target stage, `web:builder` for another stage of the same build. */
  label: string;
  /** 1-based; step 1 of a stage is its FROM. */
  index: number;
  total: number;
  /** `RUN npm ci`, `FROM node:20`. */
  text: string;
  location: SourceLocation;
}

export type BuildEvent =
  | { type: 'notice'; build: string; message: string; location?: SourceLocation }
  | { type: 'stage-skipped'; build: string; stage: string }
  | { type: 'step-start'; build: string; step: StepRef }
  | { type: 'step-cached'; build: string; step: StepRef }
  | { type: 'step-output'; build: string; step: StepRef; line: string; stream: 'stdout' | 'stderr' }
  | { type: 'step-done'; build: string; step: StepRef; ms: number }
  | {
      type: 'step-failed';
      build: string;
      step: StepRef;
      message: string;
      exitCode?: number;
      /** The last lines the step printed, for the error report. */
      lastLines: string[];
      ms: number;
    }
  | { type: 'build-done'; build: string; imageId: string; tags: string[]; ms: number; steps: number; cached: number };

export function stepLabel(step: StepRef): string {
  return `[${step.label} ${step.index}/${step.total}]`;
}
