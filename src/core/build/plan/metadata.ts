// Metadata instructions as changes to the image config: ENV, LABEL, USER,
// WORKDIR, EXPOSE, VOLUME, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, SHELL,
// ONBUILD, MAINTAINER. Values are expanded with the ARG and ENV state at the
// instruction; all of one ENV line sees the environment from before the line.
import { TugError } from '../../errors.js';
import type { CommandForm, Instruction } from '../dockerfile/instructions.js';
import { expandWord, expandWords, type VarLookup } from '../expand.js';
import type { ImageRuntimeConfig } from '../../images/image-config.js';
import { setEnv, type ImageConfig } from '../image-config.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export interface StageState {
  config: ImageConfig;
  /** Set once CMD appears in this stage, so a later ENTRYPOINT keeps it. */
  cmdSet: boolean;
  escape: string;
}

/** The argv a CMD/ENTRYPOINT/RUN/HEALTHCHECK command means under the current SHELL. */
export function commandArgv(command: CommandForm, config: ImageRuntimeConfig): string[] {
  return command.form === 'exec' ? [...command.argv] : [...(config.Shell ?? DEFAULT_SHELL), command.text];
}

/** The absolute directory WORKDIR `value` names from `current`. */
export function joinWorkdir(current: string | undefined, value: string): string {
  const joined = value.startsWith('/') ? value : `${current && current !== '' ? current : '/'}/${value}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

const PORT = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i;

/** Applies one metadata instruction to `state.config`; `lookup` is the ARG+ENV scope before it. */
export function applyMetadata(state: StageState, ins: Instruction, lookup: VarLookup): void {
  const c = state.config.config;
  const word = (text: string): string => expandWord(text, lookup, state.escape);
  switch (ins.kind) {
    case 'env': {
      let env = c.Env ?? [];
      for (const pair of ins.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }))) env = setEnv(env, pair.key, pair.value);
      c.Env = env;
      return;
    }
    case 'label':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const p of ins.pairs) c.Labels[word(p.key)] = word(p.value);
      return;
    case 'user':
      c.User = word(ins.value);
      return;
    case 'workdir':
      c.WorkingDir = joinWorkdir(c.WorkingDir, word(ins.value));
      return;
    case 'expose':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const spec of ins.items.flatMap((item) => expandWords(item, lookup, state.escape))) {
        for (const port of exposedPorts(spec, ins)) c.ExposedPorts[port] = {};
      }
      return;
    case 'volume':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const item of ins.items) {
        const path = word(item);
        if (path.trim() === '') throw valueError(ins, 'a VOLUME path is empty once expanded');
        c.Volumes[path] = {};
      }
      return;
    case 'cmd':
      c.Cmd = commandArgv(ins.command, c);
      state.cmdSet = true;
      return;
    case 'entrypoint':
      c.Entrypoint = commandArgv(ins.command, c);
      // An inherited CMD was written for the old entrypoint; one from this stage stays.
      if (!state.cmdSet) c.Cmd = null;
      return;
    case 'healthcheck': {
      if (!ins.command) {
        c.Healthcheck = { Test: ['NONE'] };
        return;
      }
      const test = ins.command.form === 'exec' ? ['CMD', ...ins.command.argv] : ['CMD-SHELL', ins.command.text];
      c.Healthcheck = { Test: test };
      if (ins.interval !== undefined) c.Healthcheck.Interval = ins.interval;
      if (ins.timeout !== undefined) c.Healthcheck.Timeout = ins.timeout;
      if (ins.startPeriod !== undefined) c.Healthcheck.StartPeriod = ins.startPeriod;
      if (ins.startInterval !== undefined) c.Healthcheck.StartInterval = ins.startInterval;
      if (ins.retries !== undefined) c.Healthcheck.Retries = ins.retries;
      return;
    }
    case 'stopsignal': {
      const signal = word(ins.value);
      if (!/^(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?$/.test(signal) && !/^\d+$/.test(signal)) {
        throw valueError(ins, `${JSON.stringify(signal)} is not a signal`, 'write a name such as SIGTERM or SIGQUIT, or a number');
      }
      c.StopSignal = signal;
      return;
    }
    case 'shell':
      c.Shell = [...ins.argv];
      return;
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), ins.trigger];
      return;
    case 'maintainer':
      state.config.author = word(ins.value);
      return;
    default:
      return;
  }
}

function exposedPorts(spec: string, ins: Instruction): string[] {
  const m = PORT.exec(spec);
  const first = m ? Number(m[1]) : NaN;
  const last = m?.[2] ? Number(m[2]) : first;
  if (!m || first < 1 || last > 65535 || last < first) {
    throw valueError(ins, `${JSON.stringify(spec)} is not a port`, 'write EXPOSE 80, 80/udp or 8000-8010/tcp');
  }
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = first; p <= last; p++) out.push(`${p}/${proto}`);
  return out;
}

export function valueError(ins: Instruction, message: string, hint?: string): TugError {
  return new TugError({ code: 'dockerfile.value', message: `${ins.kind.toUpperCase()}: ${message}`, location: ins.location, hint });
}
