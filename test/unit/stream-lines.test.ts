// The line splitter RUN output and the container runtime's notify pipe share:
// what a user sees of a command's output, fed in the awkward chunks a pipe
// delivers (a UTF-8 character cut in two, CRLF, no final newline, a line of
// megabytes).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { streamLines } from '../../src/runtime/stream-lines.js';

async function linesOf(chunks: (string | Buffer)[], maxChars?: number): Promise<string[]> {
  const stream = new PassThrough();
  const out: string[] = [];
  const done = streamLines(stream, (l) => out.push(l), maxChars === undefined ? {} : { maxChars });
  for (const c of chunks) stream.write(c);
  stream.end();
  await done;
  return out;
}

describe('streamLines', () => {
  it('joins a line split across chunks, and a UTF-8 character split across them', async () => {
    const euro = Buffer.from('€ ok\n', 'utf8');
    expect(await linesOf([Buffer.from('hel'), Buffer.from('lo\nwor'), euro.subarray(0, 1), euro.subarray(1)])).toEqual(['hello', 'wor€ ok']);
  });

  it('drops the carriage return of CRLF output and keeps empty lines', async () => {
    expect(await linesOf(['a\r\n\r\nb\n'])).toEqual(['a', '', 'b']);
  });

  it('delivers the last line when the stream ends without a newline', async () => {
    expect(await linesOf(['one\ntwo'])).toEqual(['one', 'two']);
  });

  it('cuts a line longer than the limit into pieces instead of holding it', async () => {
    const out = await linesOf(['x'.repeat(25), 'y'.repeat(10), '\nend\n'], 10);
    expect(out).toEqual(['x'.repeat(10), 'x'.repeat(10), 'xxxxxyyyyy', 'yyyyy', 'end']);
  });

  it('resolves when the stream is destroyed before it ends', async () => {
    const stream = new PassThrough();
    const out: string[] = [];
    const done = streamLines(stream, (l) => out.push(l));
    stream.write('partial');
    await new Promise((r) => setImmediate(r));
    stream.destroy();
    await done;
    expect(out).toEqual(['partial']);
  });
});
