// `exec` in a container: create the exec instance, start it attached, copy its
// output to our stdout/stderr (demultiplexed unless it has a TTY), pass our
// stdin through when asked, then read the exit code from the exec's inspect.
import type { Duplex, Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import type { ExecOptions } from '../backend.js';
import { shortId } from './containers.js';
import { engineError, engineMessage, isConflict, statusOf } from './engine-errors.js';
import { sleep } from '../../timers.js';

export interface ExecStdio {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
}

const HEADER = 8;

export async function execInContainer(docker: Dockerode, id: string, opts: ExecOptions, io: ExecStdio): Promise<number> {
  const tty = opts.tty === true;
  const withStdin = opts.stdin === true;
  let stream: Duplex;
  let exec: Dockerode.Exec;
  try {
    exec = await docker.getContainer(id).exec({
      Cmd: opts.command,
      Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
      User: opts.user,
      WorkingDir: opts.workdir,
      Privileged: opts.privileged === true,
      Tty: tty,
      AttachStdin: withStdin,
      AttachStdout: true,
      AttachStderr: true,
    });
    stream = (await exec.start({ hijack: withStdin, stdin: withStdin, Tty: tty })) as Duplex;
  } catch (err) {
    if (isConflict(err) || statusOf(err) === 500) {
      throw new TugError({ code: 'docker.not-running', message: `cannot exec in container ${shortId(id)}: ${engineMessage(err)}`, hint: 'start it with tug up or tug start' });
    }
    throw engineError(err, `exec in container ${shortId(id)}`);
  }

  const restoreStdin = withStdin ? attachStdin(io, stream, tty) : () => {};
  // The Engine cannot signal an exec: aborted, we stop waiting for it (Compose does the same when cancelled).
  const abort = (): void => void stream.destroy();
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      if (tty) stream.on('data', (chunk: Buffer) => io.stdout.write(chunk));
      else demultiplex(stream, io.stdout, io.stderr);
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', reject);
      if (opts.signal?.aborted) abort();
    });
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    restoreStdin();
  }
  return opts.signal?.aborted ? 130 : exitCodeOf(exec);
}

/** The exit code; the exec may report "running" for a moment after its stream closed. */
async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    await sleep(20);
  }
  return (await exec.inspect()).ExitCode ?? 1;
}

function attachStdin(io: ExecStdio, stream: Duplex, tty: boolean): () => void {
  const raw = tty && io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  if (raw) io.stdin.setRawMode!(true);
  const onEnd = () => stream.end();
  io.stdin.on('end', onEnd);
  io.stdin.pipe(stream);
  io.stdin.resume();
  return () => {
    io.stdin.unpipe(stream);
    io.stdin.off('end', onEnd);
    if (raw) io.stdin.setRawMode!(false);
    io.stdin.pause();
  };
}

/** Copies a multiplexed stream's frames to stdout or stderr by their stream byte. */
export function demultiplex(source: Readable, stdout: Writable, stderr: Writable): void {
  let pending: Buffer = Buffer.alloc(0);
  source.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER + size) break;
      (pending[0] === 2 ? stderr : stdout).write(pending.subarray(HEADER, HEADER + size));
      pending = pending.subarray(HEADER + size);
    }
  });
}
