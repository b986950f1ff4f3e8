// Dockerfile text → logical instruction lines, read as BuildKit's parser reads
// them: parser directives at the very top (`# escape=`, `# syntax=`), a BOM and
// CRLF tolerated, comment lines dropped (also between continuation lines),
// empty continuation lines skipped, the escape character joining lines, and
// the bodies of heredocs (`RUN <<EOF`) taken from the lines that follow.
import { TugError, type SourceLocation } from '../../errors.js';
import { splitFlags, parseJsonArray, type RawFlag } from './words.js';

export interface Heredoc {
  name: string;
  /** The body, each line with its "\n"; leading tabs already removed for `<<-`. */
  content: string;
  /** False when the name was quoted (`<<"EOF"`): the body is taken literally. */
  expand: boolean;
}

export interface LogicalLine {
  /** The instruction word as written (`run`, `COPY`). */
  keyword: string;
  flags: RawFlag[];
  /** Everything after the keyword and its flags, trimmed. */
  args: string;
  /** The whole joined line (keyword included), as the history shows it. */
  original: string;
  heredocs: Heredoc[];
  location: SourceLocation;
  endLine: number;
}

export interface Directives {
  escape: string;
  /** `# syntax=` names a frontend image; tug has one frontend and says so. */
  syntax?: { value: string; location: SourceLocation };
}

export interface LexResult {
  lines: LogicalLine[];
  directives: Directives;
  /** Empty continuation lines: accepted, but BuildKit warns about them. */
  warnings: { message: string; location: SourceLocation }[];
  errors: TugError[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);
const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

const trimLeft = (s: string): string => s.replace(/^[ \t\r\n\f\v]+/, '');
const isComment = (s: string): boolean => trimLeft(s).startsWith('#');

/** The logical lines of a Dockerfile; `file` is used in locations only. */
export function lexDockerfile(text: string, file: string): LexResult {
  const raw = text.startsWith('\ufeff') ? text.slice(1) : text;
  const physical = raw.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (physical.length > 0 && physical[physical.length - 1] === '' && raw.endsWith('\n')) physical.pop();
  const at = (index: number, column = 1): SourceLocation => ({ file, line: index + 1, column });
  const result: LexResult = { lines: [], directives: { escape: '\\' }, warnings: [], errors: [] };

  let i = readDirectives(physical, result, at);
  const escape = result.directives.escape;
  // A line continues when it ends in the escape character, unless that one is
  // itself escaped (`R=\\` ends the line with a literal backslash): measured
  // with Docker 20.10's builder, where any run of two or more escape characters
  // at the end does not continue, and a line of just one does.
  const e = escape === '\\' ? '\\\\' : escape;
  const continuation = new RegExp(`(^|[^${e}])${e}[ \\t]*$`);
  const trimContinuation = (s: string): { text: string; more: boolean } => {
    const m = continuation.exec(s);
    return m ? { text: s.slice(0, m.index) + m[1], more: true } : { text: s, more: false };
  };

  while (i < physical.length) {
    const start = i;
    const first = physical[i++]!;
    if (isComment(first)) continue;
    const head = trimContinuation(trimLeft(first));
    if (!head.more && head.text === '') continue;
    let joined = head.text;
    let more = head.more;
    let emptyContinuation = false;
    while (more && i < physical.length) {
      const next = physical[i++]!;
      if (isComment(next)) continue;
      if (trimLeft(next) === '') {
        emptyContinuation = true;
        continue;
      }
      const part = trimContinuation(next);
      joined += part.text;
      more = part.more;
    }
    const column = first.length - trimLeft(first).length + 1;
    const location = at(start, column);
    if (emptyContinuation) result.warnings.push({ message: 'empty continuation line (BuildKit will make these errors)', location });
    const line = toLogicalLine(joined, location);
    if (!line) continue;
    if (HEREDOC_KEYWORDS.has(line.keyword.toLowerCase()) && joined.includes('<<') && !parseJsonArray(line.args).ok) {
      for (const doc of heredocNames(joined)) {
        let content = '';
        let closed = false;
        while (i < physical.length) {
          const bodyLine = physical[i++]!;
          const candidate = doc.chomp ? bodyLine.replace(/^\t+/, '') : bodyLine;
          if (candidate === doc.name) {
            closed = true;
            break;
          }
          content += `${candidate}\n`;
        }
        if (!closed) {
          result.errors.push(
            new TugError({
              code: 'dockerfile.heredoc-unterminated',
              message: `the heredoc <<${doc.name} is never closed`,
              location,
              hint: `end it with a line holding only ${doc.name}`,
            }),
          );
        }
        line.heredocs.push({ name: doc.name, content, expand: doc.expand });
      }
    }
    line.endLine = i;
    result.lines.push(line);
  }
  return result;
}

function readDirectives(physical: string[], result: LexResult, at: (i: number, c?: number) => SourceLocation): number {
  const seen = new Set<string>();
  let i = 0;
  for (; i < physical.length; i++) {
    const m = DIRECTIVE.exec(physical[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break;
    const value = m[2]!;
    if (seen.has(name)) {
      result.errors.push(new TugError({ code: 'dockerfile.directive', message: `only one ${name} parser directive can be used`, location: at(i) }));
      continue;
    }
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        result.errors.push(
          new TugError({ code: 'dockerfile.directive', message: `invalid escape character ${JSON.stringify(value)}`, location: at(i), expected: '\\ or `' }),
        );
      } else result.directives.escape = value;
    } else if (name === 'syntax') result.directives.syntax = { value, location: at(i) };
  }
  return i;
}

function toLogicalLine(joined: string, location: SourceLocation): LogicalLine | undefined {
  const trimmed = joined.trim();
  if (trimmed === '') return undefined;
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed)!;
  const { flags, rest } = splitFlags(m[2] ?? '');
  return { keyword: m[1]!, flags, args: rest, original: trimmed, heredocs: [], location, endLine: location.line };
}

interface HeredocName {
  name: string;
  expand: boolean;
  chomp: boolean;
}

/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` among the shell words of a line. */
export function heredocNames(line: string): HeredocName[] {
  const found: HeredocName[] = [];
  for (const word of rawShellWords(line)) {
    const m = /^\d*<<(-?)([^<]+)$/.exec(word);
    if (!m) continue;
    const rest = m[2]!;
    const unquoted = rest.replace(/(["'])(.*?)\1/g, '$2').replace(/\\(.)/g, '$1');
    if (unquoted === '' || /\s/.test(unquoted)) continue;
    found.push({ name: unquoted, expand: unquoted === rest, chomp: m[1] === '-' });
  }
  return found;
}

/** Shell words with their quotes kept, split where unquoted whitespace is. */
function rawShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== '') {
      word += ch;
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]!;
      continue;
    }
    if (/\s/.test(ch)) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    if (ch === '\\' && i + 1 < line.length) {
      word += ch + line[++i]!;
      continue;
    }
    word += ch;
  }
  if (word !== '') words.push(word);
  return words;
}
