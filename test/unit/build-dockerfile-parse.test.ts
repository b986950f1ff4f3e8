// The Dockerfile parser on literal Dockerfiles, awkward ones included: what
// instructions, values and locations come out, and which errors (all at once).
import { describe, expect, it } from 'vitest';
import { errorsOf } from '../helpers/user-errors.js';
import { parseDockerfile } from '../../src/core/build/dockerfile/parse.js';
import type { Instruction } from '../../src/core/build/dockerfile/instructions.js';

const parse = (text: string) => parseDockerfile(text, '/ctx/Dockerfile');
const kinds = (text: string) => parse(text).instructions.map((i) => i.kind);
const errorsOfText = (text: string) => errorsOf(() => parse(text));
const at = (i: Instruction) => `${i.location.line}:${i.location.column}`;


describe('Dockerfile lines', () => {
  it('joins continuation lines, keeping the next line whitespace as BuildKit does', () => {
    const [, run] = parse('FROM a\nRUN echo a \\\n  b \\\n  c\n').instructions;
    expect(run).toMatchObject({ kind: 'run', command: { form: 'shell', text: 'echo a   b   c' } });
    expect(at(run!)).toBe('2:1');
  });

  it('drops comment lines between continuation lines and skips empty continuation lines with a notice', () => {
    const parsed = parse('FROM a\nRUN echo a \\\n# a comment\n  b \\\n\n  c\nENV X=1\n');
    expect(parsed.instructions[1]).toMatchObject({ command: { text: 'echo a   b   c' } });
    expect(at(parsed.instructions[2]!)).toBe('7:1');
    expect(parsed.notices.map((n) => n.message)).toEqual([expect.stringMatching(/empty continuation line/)]);
  });

  it('does not continue a line whose final escape character is itself escaped (as Docker 20.10 reads it)', () => {
    const parsed = parse('FROM a\nENV A=x\\\\\nENV B=y\\\\\\\nENV C=one \\\n\\\n  two=2\n');
    expect(parsed.instructions.map((i) => i.text)).toEqual(['FROM a', 'ENV A=x\\\\', 'ENV B=y\\\\\\', 'ENV C=one   two=2']);
    expect(parse('# escape=`\nFROM a\nENV R=``\nCMD x\n').instructions.map((i) => i.kind)).toEqual(['from', 'env', 'cmd']);
  });

  it('reads a JSON array continued over lines as the exec form', () => {
    const [, cmd] = parse('FROM a\nCMD ["echo", \\\n     "hello world"]\n').instructions;
    expect(cmd).toMatchObject({ kind: 'cmd', command: { form: 'exec', argv: ['echo', 'hello world'] } });
  });

  it('falls back to the shell form for text that is not JSON, and refuses an array of non-strings', () => {
    const [, cmd] = parse("FROM a\nCMD ['single', 'quotes']\n").instructions;
    expect(cmd).toMatchObject({ command: { form: 'shell', text: "['single', 'quotes']" } });
    const [err] = errorsOfText('FROM a\nCMD [1, 2]\n');
    expect(err!.message).toMatch(/only strings/);
    expect(err!.location).toEqual({ file: '/ctx/Dockerfile', line: 2, column: 1 });
  });

  it('honours the escape directive: a backtick continues lines and backslashes are plain', () => {
    const parsed = parse('# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nCOPY a\\b c:\\dest\\\n');
    expect(parsed.escape).toBe('`');
    expect(parsed.instructions[1]).toMatchObject({ command: { text: 'dir   c:\\' } });
    expect(parsed.instructions[2]).toMatchObject({ sources: ['a\\b'], dest: 'c:\\dest\\' });
  });

  it('takes directives only at the very top, and says the syntax directive is ignored', () => {
    const parsed = parse('# syntax=docker/dockerfile:1\n# escape=\\\nFROM a\n');
    expect(parsed.notices[0]!.message).toMatch(/syntax directive \(docker\/dockerfile:1\) is ignored/);
    expect(parse('FROM a\n# escape=`\nRUN x \\\n y\n').escape).toBe('\\');
    expect(parse('# a comment\n# escape=`\nFROM a\n').escape).toBe('\\');
    expect(errorsOfText('# escape=x\nFROM a\n')[0]!.message).toMatch(/invalid escape character/);
  });

  it('accepts a BOM, CRLF line ends and lowercase instructions', () => {
    const parsed = parse('\ufefffrom busybox as Build\r\nrun echo hi \\\r\n  there\r\nCopy . /app\r\n');
    expect(parsed.instructions[0]).toMatchObject({ kind: 'from', image: 'busybox', name: 'build' });
    expect(parsed.instructions[1]).toMatchObject({ command: { text: 'echo hi   there' } });
    expect(parsed.instructions[2]).toMatchObject({ kind: 'copy', sources: ['.'], dest: '/app' });
  });

  it('records the column of an indented instruction', () => {
    expect(at(parse('FROM a\n    RUN true\n').instructions[1]!)).toBe('2:5');
  });
});

describe('heredocs', () => {
  it('takes the body of RUN <<EOF from the following lines', () => {
    const parsed = parse('FROM a\nRUN <<EOF\necho "hi $X"\necho bye\nEOF\nRUN echo after\n');
    expect(parsed.instructions[1]).toMatchObject({ kind: 'run', heredocs: [{ name: 'EOF', content: 'echo "hi $X"\necho bye\n', expand: true }] });
    expect(parsed.instructions[2]).toMatchObject({ command: { text: 'echo after' } });
    expect(at(parsed.instructions[2]!)).toBe('6:1');
  });

  it('marks a quoted name as literal and strips leading tabs for <<-', () => {
    const [, quoted] = parse('FROM a\nRUN <<"EOF" sh\necho "$HOME"\nEOF\n').instructions;
    expect(quoted).toMatchObject({ heredocs: [{ name: 'EOF', content: 'echo "$HOME"\n', expand: false }] });
    const [, single] = parse("FROM a\nRUN cat <<'END' > /f\n$X\nEND\n").instructions;
    expect(single).toMatchObject({ heredocs: [{ name: 'END', expand: false }] });
    const [, chomped] = parse('FROM a\nRUN <<-EOT\n\t\techo tab\n\tEOT\n').instructions;
    expect(chomped).toMatchObject({ heredocs: [{ name: 'EOT', content: 'echo tab\n' }] });
  });

  it('reads several heredocs in order, and COPY heredocs as inline sources', () => {
    const parsed = parse('FROM a\nCOPY <<one <<two /dest/\nfirst\none\nsecond\ntwo\n');
    expect(parsed.instructions[1]).toMatchObject({
      kind: 'copy',
      sources: [],
      dest: '/dest/',
      heredocs: [
        { name: 'one', content: 'first\n' },
        { name: 'two', content: 'second\n' },
      ],
    });
  });

  it('does not read heredocs in the exec form or in other instructions', () => {
    const parsed = parse('FROM a\nRUN ["sh", "-c", "cat <<EOF"]\nENV A=<<EOF\nRUN echo next\n');
    expect(parsed.instructions.map((i) => i.kind)).toEqual(['from', 'run', 'env', 'run']);
    expect(parsed.instructions[1]).toMatchObject({ command: { form: 'exec', argv: ['sh', '-c', 'cat <<EOF'] }, heredocs: [] });
  });

  it('refuses a heredoc that is never closed, naming its line', () => {
    const [err] = errorsOfText('FROM a\nRUN <<EOF\necho hi\n');
    expect(err!.message).toMatch(/<<EOF is never closed/);
    expect(err!.location?.line).toBe(2);
  });
});

describe('instructions', () => {
  it('parses every instruction of the reference', () => {
    const parsed = parse(
      [
        'ARG BASE=busybox',
        'FROM --platform=linux/amd64 ${BASE} AS base',
        'ENV A=1 B="two words" C=3',
        'ENV OLD value with spaces',
        'LABEL org.example.a="x y" b=c',
        'ARG V1 V2=two',
        'WORKDIR /app',
        'USER app:staff',
        'EXPOSE 80 443/tcp 53/udp',
        'VOLUME ["/data", "/logs"]',
        'VOLUME /cache /tmp/x',
        'COPY --chown=app:staff --chmod=640 --link a.txt b.txt ./',
        'ADD --chown=1000 archive.tar.gz /opt/',
        'COPY --from=base /etc/passwd /out/passwd',
        'HEALTHCHECK --interval=5s --timeout=2s --start-period=1m --retries=2 CMD ["/bin/true"]',
        'STOPSIGNAL SIGQUIT',
        'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]',
        'ONBUILD RUN echo triggered',
        'MAINTAINER someone',
        'ENTRYPOINT ["/entry"]',
        'CMD echo hello',
      ].join('\n'),
    );
    const byKind = Object.fromEntries(parsed.instructions.map((i) => [`${i.kind}@${i.location.line}`, i]));
    expect(byKind['arg@1']).toMatchObject({ args: [{ name: 'BASE', default: 'busybox' }] });
    expect(byKind['from@2']).toMatchObject({ image: '${BASE}', name: 'base', platform: 'linux/amd64' });
    expect(byKind['env@3']).toMatchObject({ pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }, { key: 'C', value: '3' }] });
    expect(byKind['env@4']).toMatchObject({ pairs: [{ key: 'OLD', value: 'value with spaces' }] });
    expect(byKind['label@5']).toMatchObject({ pairs: [{ key: 'org.example.a', value: '"x y"' }, { key: 'b', value: 'c' }] });
    expect(byKind['arg@6']).toMatchObject({ args: [{ name: 'V1' }, { name: 'V2', default: 'two' }] });
    expect(byKind['user@8']).toMatchObject({ value: 'app:staff' });
    expect(byKind['expose@9']).toMatchObject({ items: ['80', '443/tcp', '53/udp'] });
    expect(byKind['volume@10']).toMatchObject({ items: ['/data', '/logs'] });
    expect(byKind['volume@11']).toMatchObject({ items: ['/cache', '/tmp/x'] });
    expect(byKind['copy@12']).toMatchObject({ sources: ['a.txt', 'b.txt'], dest: './', chown: 'app:staff', chmod: '640', link: true });
    expect(byKind['add@13']).toMatchObject({ kind: 'add', sources: ['archive.tar.gz'], chown: '1000' });
    expect(byKind['copy@14']).toMatchObject({ from: 'base' });
    expect(byKind['healthcheck@15']).toMatchObject({ command: { form: 'exec', argv: ['/bin/true'] }, interval: 5e9, timeout: 2e9, startPeriod: 60e9, retries: 2 });
    expect(byKind['stopsignal@16']).toMatchObject({ value: 'SIGQUIT' });
    expect(byKind['shell@17']).toMatchObject({ argv: ['/bin/ash', '-eo', 'pipefail', '-c'] });
    expect(byKind['onbuild@18']).toMatchObject({ trigger: 'RUN echo triggered' });
    expect(byKind['maintainer@19']).toMatchObject({ value: 'someone' });
    expect(byKind['cmd@21']).toMatchObject({ command: { form: 'shell', text: 'echo hello' } });
  });

  it('parses HEALTHCHECK NONE and the shell form', () => {
    const none = parse('FROM a\nHEALTHCHECK NONE\n').instructions[1];
    expect(none).toMatchObject({ kind: 'healthcheck' });
    expect(none).not.toHaveProperty('command');
    expect(parse('FROM a\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n').instructions[1]).toMatchObject({
      command: { form: 'shell', text: 'curl -f http://localhost/ || exit 1' },
    });
  });

  it('keeps quotes inside ENV words for expansion, escapes included', () => {
    const [, env] = parse('FROM a\nENV MSG="say \\"hi\\"" ESC=a\\ b\n').instructions;
    expect(env).toMatchObject({ pairs: [{ key: 'MSG', value: '"say \\"hi\\""' }, { key: 'ESC', value: 'a\\ b' }] });
  });
});

describe('errors', () => {
  it('reports every error at once, each with Dockerfile:line:col', () => {
    const errors = errorsOfText('FROM a\nRUNN echo\nCOPY onlyone\nFROM b AS 9bad\nEXPOSE\n');
    expect(errors.map((e) => [e.location?.line, e.code])).toEqual([
      [2, 'dockerfile.unknown-instruction'],
      [3, 'dockerfile.syntax'],
      [4, 'dockerfile.syntax'],
      [5, 'dockerfile.syntax'],
    ]);
    expect(errors[0]!.hint).toBe('did you mean RUN?');
    expect(errors.every((e) => e.location?.file === '/ctx/Dockerfile')).toBe(true);
  });

  it('refuses RUN --mount clearly instead of ignoring it', () => {
    const [err] = errorsOfText('FROM a\nRUN --mount=type=cache,target=/root/.cache pip install x\n');
    expect(err).toMatchObject({ code: 'dockerfile.unsupported', location: { line: 2 } });
    expect(err!.message).toMatch(/--mount=type=cache/);
    expect(err!.hint).toMatch(/BuildKit feature/);
  });

  it('refuses unknown flags, naming the ones the instruction takes', () => {
    const [err] = errorsOfText('FROM a\nCOPY --own=1 a b\n');
    expect(err!.message).toBe('COPY has no flag --own');
    expect(err!.hint).toMatch(/--from, --chown, --chmod, --link/);
    expect(errorsOfText('FROM a\nENV --x=1 A=b\n')[0]!.hint).toBe('ENV takes no flags');
  });

  it('refuses instructions before the first FROM other than ARG, and a file without FROM', () => {
    expect(errorsOfText('ARG X\nENV A=1\nFROM a\n')[0]).toMatchObject({ location: { line: 2 }, hint: 'only ARG may come before the first FROM' });
    expect(errorsOfText('# just a comment\n')[0]!.code).toBe('dockerfile.no-from');
  });

  it('refuses bad ONBUILD triggers and bad HEALTHCHECK options', () => {
    expect(errorsOfText('FROM a\nONBUILD FROM b\n')[0]!.message).toMatch(/FROM is not allowed as an ONBUILD trigger/);
    expect(errorsOfText('FROM a\nONBUILD COPY onlyone\n')[0]!.location?.line).toBe(2);
    expect(errorsOfText('FROM a\nHEALTHCHECK --interval=5 CMD true\n')[0]!.hint).toMatch(/"5s"/);
    expect(errorsOfText('FROM a\nHEALTHCHECK --retries=-1 CMD true\n')[0]!.message).toMatch(/whole number/);
    expect(errorsOfText('FROM a\nHEALTHCHECK WHAT\n')[0]!.message).toMatch(/expected CMD or NONE/);
  });

  it('refuses SHELL without JSON', () => {
    expect(errorsOfText('FROM a\nSHELL /bin/bash -c\n')[0]!.hint).toMatch(/SHELL \["\/bin\/bash", "-c"\]/);
  });
});

it('parses lines of the same instruction kinds in order', () => {
  expect(kinds('FROM a\nRUN a\nRUN b\n')).toEqual(['from', 'run', 'run']);
});
