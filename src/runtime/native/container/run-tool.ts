// Runs one host tool (runc, ip, iptables) to completion and collects its
// output. Never through a shell: arguments go to the program as given. The
// child's stdin is a pipe carrying `input` (for `ip -batch -`) or nothing.
import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(file: string, args: readonly string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 30_000, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    let failure: Error | undefined;
    child.once('error', (e) => (failure = e));
    child.once('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8') + (failure ? failure.message : '');
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** The first meaningful line of a tool's complaint, for an error message. */
export function firstProblem(result: ToolResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[0] ?? `exit status ${result.code}`;
}
