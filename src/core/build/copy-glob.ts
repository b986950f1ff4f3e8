// COPY/ADD source patterns: Go's filepath.Match (`*` and `?` stay within a path
// segment, `[a-z]` and `[^a-z]` classes, `\` escapes) plus `**` as a whole
// segment for any number of directories, as BuildKit's file copier allows.
// These match sources; .dockerignore rules have their own matcher (runtime/context).

/** Whether a source is a pattern rather than a plain path. */
export function hasWildcards(source: string): boolean {
  return /[*?[]/.test(source);
}

/** A matcher for context-relative paths ("a/b.txt"); throws on a malformed class. */
export function compileGlob(pattern: string): (rel: string) => boolean {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let source = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]*/)*';
      return;
    }
    source += segmentRegex(segment) + (last ? '' : '/');
  });
  const re = new RegExp(`^${source}$`);
  return (rel) => re.test(rel);
}

function segmentRegex(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\' && i + 1 < segment.length) out += escapeRegex(segment[++i]!);
    else if (ch === '[') {
      const end = classEnd(segment, i);
      if (end < 0) throw new Error(`the pattern ${JSON.stringify(segment)} has a "[" without its "]"`);
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/\\(.)/g, (_m, c: string) => escapeRegex(c)).replace(/[\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else out += escapeRegex(ch);
  }
  return out;
}

function classEnd(segment: string, open: number): number {
  for (let j = open + 1; j < segment.length; j++) {
    if (segment[j] === '\\') j++;
    else if (segment[j] === ']' && j > open + 1) return j;
  }
  return -1;
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? `\\${ch}` : ch;
}
