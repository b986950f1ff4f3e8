// The typed instructions of a parsed Dockerfile. Values are kept as written
// (quotes and `$VAR` included) wherever Dockerfile expansion applies, because
// what they expand to depends on the ARG and ENV state at that point of the
// build, which the planner tracks; the parser only knows the text.
import type { SourceLocation } from '../../errors.js';
import type { Heredoc } from './lexer.js';

/** RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK CMD: a JSON argv or a shell command line. */
export type CommandForm = { form: 'exec'; argv: string[] } | { form: 'shell'; text: string };

interface Base {
  location: SourceLocation;
  /** The instruction as written, continuations joined (`RUN apt-get update`). */
  text: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface FromInstruction extends Base {
  kind: 'from';
  image: string;
  /** Lower-cased, as stage names are matched case-insensitively. */
  name?: string;
  platform?: string;
}

export interface RunInstruction extends Base {
  kind: 'run';
  command: CommandForm;
  heredocs: Heredoc[];
  /** `--network=none|default`: none, or the build's own (build.network). */
  network?: string;
}

export interface CopyInstruction extends Base {
  kind: 'copy' | 'add';
  /** Sources as written (before expansion); heredoc sources are in `heredocs`. */
  sources: string[];
  heredocs: Heredoc[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
}

export interface CommandInstruction extends Base {
  kind: 'cmd' | 'entrypoint';
  command: CommandForm;
}

export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  /** undefined: `HEALTHCHECK NONE`. */
  command?: CommandForm;
  /** Nanoseconds; absent means "inherit" (0 in the image config). */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface ArgInstruction extends Base {
  kind: 'arg';
  args: { name: string; default?: string }[];
}

export interface PairsInstruction extends Base {
  kind: 'env' | 'label';
  pairs: KeyValue[];
}

export interface WordInstruction extends Base {
  kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer';
  value: string;
}

export interface ListInstruction extends Base {
  kind: 'expose' | 'volume';
  items: string[];
}

export interface ShellInstruction extends Base {
  kind: 'shell';
  argv: string[];
}

export interface OnbuildInstruction extends Base {
  kind: 'onbuild';
  /** The trigger as stored in the image config (`RUN make`). */
  trigger: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | CommandInstruction
  | HealthcheckInstruction
  | ArgInstruction
  | PairsInstruction
  | WordInstruction
  | ListInstruction
  | ShellInstruction
  | OnbuildInstruction;

export interface ParsedDockerfile {
  file: string;
  escape: string;
  instructions: Instruction[];
  /** Things a user should know that are not errors (`# syntax` ignored, empty continuation lines). */
  notices: { message: string; location: SourceLocation }[];
}
