// Logical lines → typed instructions. Every problem is collected with its
// Dockerfile:line:col and reported at once; instructions and flags tug's
// builder does not support are refused by name instead of being ignored.
import { closest } from '../../load/suggest.js';
import { parseDuration } from '../../load/normalize/units.js';
import { msToNs } from '../../model/timing.js';
import { ConfigErrors, TugError, type SourceLocation } from '../../errors.js';
import { lexDockerfile, type Heredoc, type LogicalLine } from './lexer.js';
import type { CommandForm, HealthcheckInstruction, Instruction, KeyValue, ParsedDockerfile } from './instructions.js';
import { parseJsonArray, splitWhitespace, splitWords, type RawFlag } from './words.js';

const KEYWORDS = ['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'ENV', 'ARG', 'LABEL', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'STOPSIGNAL', 'SHELL', 'ONBUILD', 'MAINTAINER'];

/** Flags each instruction takes; a flag listed with a reason is known but refused. */
const FLAGS: Record<string, Record<string, string | true>> = {
  from: { platform: true },
  run: {
    network: true,
    mount: 'RUN --mount (cache, secret, ssh and bind mounts) is a BuildKit feature tug does not support; COPY what the step needs, or keep caches inside the image',
    security: 'RUN --security is a BuildKit feature tug does not support',
  },
  copy: {
    from: true,
    chown: true,
    chmod: true,
    link: true,
    parents: 'COPY --parents is not supported; copy each directory to its own destination',
    exclude: 'COPY --exclude is not supported; leave files out with .dockerignore',
  },
  add: {
    chown: true,
    chmod: true,
    link: true,
    checksum: 'ADD --checksum applies to downloads, and tug\'s builder does not download',
    'keep-git-dir': 'ADD of git repositories is not supported: tug\'s builder does not download',
    exclude: 'ADD --exclude is not supported; leave files out with .dockerignore',
  },
  healthcheck: { interval: true, timeout: true, 'start-period': true, 'start-interval': true, retries: true },
};

const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;

/** Parses a whole Dockerfile; throws every error found at once (TugError or ConfigErrors). */
export function parseDockerfile(text: string, file = 'Dockerfile'): ParsedDockerfile {
  const lexed = lexDockerfile(text, file);
  const errors = [...lexed.errors];
  const notices = lexed.warnings.map((w) => ({ ...w }));
  if (lexed.directives.syntax) {
    notices.unshift({
      message: `the syntax directive (${lexed.directives.syntax.value}) is ignored: tug parses Dockerfiles itself`,
      location: lexed.directives.syntax.location,
    });
  }
  const instructions: Instruction[] = [];
  for (const line of lexed.lines) {
    const parsed = parseLine(line, lexed.directives.escape, errors);
    if (parsed) instructions.push(parsed);
  }
  checkStageOrder(instructions, file, errors);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  return { file, escape: lexed.directives.escape, instructions, notices };
}

/** An ONBUILD trigger from a base image, parsed as if written at `location` (the FROM that runs it). */
export function parseTrigger(trigger: string, location: SourceLocation): Instruction {
  const errors: TugError[] = [];
  const lexed = lexDockerfile(trigger, location.file);
  errors.push(...lexed.errors);
  const line = lexed.lines[0];
  const parsed = line ? parseLine({ ...line, location }, '\\', errors) : undefined;
  if (!parsed && errors.length === 0) errors.push(syntax(location, `the ONBUILD trigger ${JSON.stringify(trigger)} of the base image is empty`));
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ConfigErrors(errors);
  return parsed!;
}

function checkStageOrder(instructions: Instruction[], file: string, errors: TugError[]): void {
  const firstFrom = instructions.findIndex((i) => i.kind === 'from');
  if (firstFrom < 0) {
    if (errors.length === 0) {
      errors.push(new TugError({ code: 'dockerfile.no-from', message: 'the Dockerfile has no FROM instruction', location: { file, line: 1, column: 1 }, hint: 'start the build with FROM <image> (or FROM scratch)' }));
    }
    return;
  }
  for (const ins of instructions.slice(0, firstFrom)) {
    if (ins.kind === 'arg') continue;
    errors.push(syntax(ins.location, `${ins.kind.toUpperCase()} comes before the first FROM`, 'only ARG may come before the first FROM'));
  }
}

function syntax(location: SourceLocation, message: string, hint?: string): TugError {
  return new TugError({ code: 'dockerfile.syntax', message, location, hint });
}

function parseLine(line: LogicalLine, escape: string, errors: TugError[]): Instruction | undefined {
  const kind = line.keyword.toLowerCase();
  const loc = line.location;
  if (!KEYWORDS.includes(kind.toUpperCase())) {
    const guess = closest(line.keyword.toUpperCase(), KEYWORDS);
    errors.push(
      new TugError({
        code: 'dockerfile.unknown-instruction',
        message: `unknown instruction ${line.keyword}`,
        location: loc,
        hint: guess ? `did you mean ${guess}?` : `instructions are ${KEYWORDS.join(', ')}`,
      }),
    );
    return undefined;
  }
  const flags = checkFlags(kind, line.flags, loc, errors);
  const base = { location: loc, text: line.original };
  const before = errors.length;
  const fail = (message: string, hint?: string): undefined => {
    errors.push(syntax(loc, `${kind.toUpperCase()}: ${message}`, hint));
    return undefined;
  };
  const args = line.args;
  switch (kind) {
    case 'from': {
      const words = splitWhitespace(args);
      if (!(words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === 'as'))) {
        return fail('expected an image and an optional AS name', 'write FROM <image> [AS <name>]');
      }
      const name = words[2]?.toLowerCase();
      if (name !== undefined && !STAGE_NAME.test(name)) {
        return fail(`invalid stage name ${JSON.stringify(words[2])}`, 'a stage name starts with a letter and holds only letters, digits, "-", "_" and "."');
      }
      return { ...base, kind, image: words[0]!, name, platform: flags.platform };
    }
    case 'run': {
      const command = commandForm(args, fail);
      if (!command) return undefined;
      if (flags.network !== undefined && !['none', 'default'].includes(flags.network)) {
        return fail(`--network=${flags.network} is not supported`, 'a RUN has the network of the build (build.network: none, the default, or host); to run RUN steps on the host\'s network, set build.network: host');
      }
      return { ...base, kind, command, heredocs: command.form === 'shell' ? line.heredocs : [], network: flags.network };
    }
    case 'cmd':
    case 'entrypoint': {
      const command = commandForm(args, fail);
      return command && { ...base, kind, command };
    }
    case 'copy':
    case 'add': {
      const json = parseJsonArray(args);
      if (!json.ok && json.notStrings) return fail('a JSON array must hold only strings');
      const items = json.ok ? json.items : splitWhitespace(args);
      if (items.length < 2) return fail('needs at least one source and a destination', `write ${kind.toUpperCase()} <src>... <dest>`);
      const { sources, heredocs } = splitHeredocSources(items.slice(0, -1), json.ok ? [] : line.heredocs);
      return { ...base, kind, sources, heredocs, dest: items[items.length - 1]!, from: flags.from, chown: flags.chown, chmod: flags.chmod, link: 'link' in flags };
    }
    case 'env':
    case 'label': {
      const pairs = nameValues(args, escape, fail);
      return pairs && { ...base, kind, pairs };
    }
    case 'arg': {
      const words = splitWords(args, escape);
      if (words.length === 0) return fail('needs a name', 'write ARG NAME or ARG NAME=default');
      const list = words.map((w) => {
        const eq = w.indexOf('=');
        return eq < 0 ? { name: w } : { name: w.slice(0, eq), default: w.slice(eq + 1) };
      });
      const bad = list.find((a) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.name));
      if (bad) return fail(`invalid argument name ${JSON.stringify(bad.name)}`);
      return { ...base, kind, args: list };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      if (args === '') return fail('needs a value');
      return { ...base, kind, value: args };
    case 'expose':
    case 'volume': {
      const json = kind === 'volume' ? parseJsonArray(args) : undefined;
      const items = json?.ok ? json.items : splitWhitespace(args);
      if (items.length === 0 || items.some((v) => v.trim() === '')) return fail('needs at least one non-empty value');
      return { ...base, kind, items };
    }
    case 'shell': {
      const json = parseJsonArray(args);
      if (!json.ok || json.items.length === 0) return fail('needs a JSON array', 'write SHELL ["/bin/bash", "-c"]');
      return { ...base, kind, argv: json.items };
    }
    case 'healthcheck':
      return healthcheck(base, args, flags, fail, errors.length === before);
    case 'onbuild': {
      const trigger = line.original.replace(/^\s*onbuild\s*/i, '');
      const inner = /^\S+/.exec(trigger)?.[0]?.toUpperCase();
      if (!inner) return fail('needs an instruction to trigger');
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(inner)) return fail(`${inner} is not allowed as an ONBUILD trigger`);
      const innerLine = lexDockerfile(trigger, loc.file).lines[0];
      if (innerLine) parseLine({ ...innerLine, location: loc }, escape, errors);
      return errors.length === before ? { ...base, kind, trigger } : undefined;
    }
  }
  return undefined;
}

function checkFlags(kind: string, flags: RawFlag[], loc: SourceLocation, errors: TugError[]): Record<string, string> {
  const allowed = FLAGS[kind] ?? {};
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const rule = allowed[flag.name];
    if (rule === undefined) {
      const names = Object.keys(allowed);
      errors.push(
        new TugError({
          code: 'dockerfile.flag',
          message: `${kind.toUpperCase()} has no flag --${flag.name}`,
          location: loc,
          hint: names.length > 0 ? `${kind.toUpperCase()} takes ${names.map((n) => `--${n}`).join(', ')}` : `${kind.toUpperCase()} takes no flags`,
        }),
      );
    } else if (rule !== true) {
      errors.push(new TugError({ code: 'dockerfile.unsupported', message: `${flag.text}: not supported by tug's builder`, location: loc, hint: rule }));
    } else if (flag.name in out) {
      errors.push(syntax(loc, `--${flag.name} is given twice`));
    } else if (flag.value === undefined && flag.name !== 'link') {
      errors.push(syntax(loc, `--${flag.name} needs a value`, `write --${flag.name}=<value>`));
    } else out[flag.name] = flag.value ?? 'true';
  }
  return out;
}

function commandForm(args: string, fail: (m: string, h?: string) => undefined): CommandForm | undefined {
  const json = parseJsonArray(args);
  if (json.ok) return { form: 'exec', argv: json.items };
  if (json.notStrings) return fail('a JSON array must hold only strings', 'quote every element: ["echo", "1"]');
  if (args === '') return fail('needs a command');
  return { form: 'shell', text: args };
}

/** ENV/LABEL: `k=v k2="v 2"`, or the old single `KEY value with spaces`. */
function nameValues(args: string, escape: string, fail: (m: string, h?: string) => undefined): KeyValue[] | undefined {
  const words = splitWords(args, escape);
  if (words.length === 0) return fail('needs at least one name=value');
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
    if (!m) return fail(`${words[0]} has no value`, 'write NAME=value');
    return [{ key: m[1]!, value: m[2]! }];
  }
  const pairs: KeyValue[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) return fail(`no "=" in ${JSON.stringify(word)}`, 'every item must be NAME=value');
    if (eq === 0) return fail(`a name is missing before "=" in ${JSON.stringify(word)}`);
    pairs.push({ key: word.slice(0, eq), value: word.slice(eq + 1) });
  }
  return pairs;
}

function splitHeredocSources(items: string[], heredocs: Heredoc[]): { sources: string[]; heredocs: Heredoc[] } {
  const sources: string[] = [];
  const used: Heredoc[] = [];
  let next = 0;
  for (const item of items) {
    if (next < heredocs.length && /^\d*<<-?/.test(item)) used.push(heredocs[next++]!);
    else sources.push(item);
  }
  return { sources, heredocs: used };
}

const HEALTH_DURATIONS = { interval: 'interval', timeout: 'timeout', 'start-period': 'startPeriod', 'start-interval': 'startInterval' } as const;

function healthcheck(
  base: { location: SourceLocation; text: string },
  args: string,
  flags: Record<string, string>,
  fail: (m: string, h?: string) => undefined,
  flagsOk: boolean,
): HealthcheckInstruction | undefined {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(args);
  const type = m?.[1]?.toUpperCase();
  if (type === 'NONE') {
    if (m![2] !== '' || Object.keys(flags).length > 0) return fail('NONE takes no arguments or flags');
    return { ...base, kind: 'healthcheck' };
  }
  if (type !== 'CMD') return fail(`expected CMD or NONE, not ${JSON.stringify(m?.[1] ?? '')}`, 'write HEALTHCHECK [options] CMD <command>, or HEALTHCHECK NONE');
  const command = commandForm(m![2]!, fail);
  if (!command || !flagsOk) return undefined;
  const out: HealthcheckInstruction = { ...base, kind: 'healthcheck', command };
  for (const [flag, field] of Object.entries(HEALTH_DURATIONS)) {
    const value = flags[flag];
    if (value === undefined) continue;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      return fail(`--${flag}: ${(err as TugError).message}`, (err as TugError).hint);
    }
    if (ms !== 0 && ms < 1) return fail(`--${flag}=${value} is shorter than 1ms`);
    if (ms < 0) return fail(`--${flag}=${value} is negative`);
    out[field] = msToNs(ms);
  }
  if (flags.retries !== undefined) {
    if (!/^\d+$/.test(flags.retries)) return fail(`--retries=${flags.retries} is not a whole number of 0 or more`);
    out.retries = Number(flags.retries);
  }
  return out;
}
