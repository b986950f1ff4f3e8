// Dockerfile variable substitution on literals: the forms, quotes, escapes, and
// the word splitting EXPOSE uses.
import { describe, expect, it } from 'vitest';
import { ExpansionError, expandRaw, expandWord, expandWords, lookupOf } from '../../src/core/build/expand.js';

const vars = lookupOf(new Map<string, string | undefined>([['NAME', 'web'], ['EMPTY', ''], ['SPACED', 'a b'], ['UNSETARG', undefined]]));
const x = (text: string, escape = '\\') => expandWord(text, vars, escape);

describe('expandWord', () => {
  it('substitutes $VAR and ${VAR}, unset ones as empty', () => {
    expect(x('$NAME-${NAME}_x')).toBe('web-web_x');
    expect(x('[$MISSING]')).toBe('[]');
    expect(x('[$UNSETARG]')).toBe('[]');
    expect(x('cost: $5 and $ alone')).toBe('cost:  and $ alone');
  });

  it('applies :- - :+ + with the unset/empty distinction of the shell', () => {
    expect(x('${MISSING:-dflt} ${EMPTY:-dflt} ${NAME:-dflt}')).toBe('dflt dflt web');
    expect(x('${MISSING-dflt}|${EMPTY-dflt}|${UNSETARG-dflt}')).toBe('dflt||dflt');
    expect(x('${NAME:+alt}|${EMPTY:+alt}|${MISSING:+alt}')).toBe('alt||');
    expect(x('${EMPTY+alt}|${MISSING+alt}')).toBe('alt|');
    expect(x('${MISSING:-${NAME}/x}')).toBe('web/x');
  });

  it('fails on ${VAR:?msg} when unset, and on unsupported modifiers', () => {
    expect(() => x('${MISSING:?set it please}')).toThrow(new ExpansionError('MISSING: set it please'));
    expect(x('${NAME:?x}')).toBe('web');
    expect(() => x('${NAME%%.*}')).toThrow(/unsupported substitution/);
    expect(() => x('${NAME')).toThrow(/"}" is missing/);
  });

  it('removes quotes: single quotes are literal, double quotes expand', () => {
    expect(x(`'$NAME' "$NAME" "a 'b'"`)).toBe(`$NAME web a 'b'`);
    expect(x('"say \\"hi\\" \\$NAME \\n"')).toBe('say "hi" $NAME \\n');
    expect(() => x('"open')).toThrow(/double quote/);
    expect(() => x("'open")).toThrow(/single quote/);
  });

  it('treats the escape character as escaping the next character outside quotes', () => {
    expect(x('a\\ b \\$NAME')).toBe('a b $NAME');
    expect(x('c:\\dir `$NAME', '`')).toBe('c:\\dir $NAME');
  });
});

describe('expandWords and expandRaw', () => {
  it('splits on unquoted whitespace, including whitespace a value brings', () => {
    expect(expandWords('$SPACED "c d" e', vars)).toEqual(['a', 'b', 'c d', 'e']);
    expect(expandWords('"" x', vars)).toEqual(['', 'x']);
  });

  it('keeps quotes in heredoc bodies while substituting', () => {
    expect(expandRaw('<a href="$NAME">\'$NAME\' \\$kept\n', vars)).toBe('<a href="web">\'$NAME\' $kept\n');
  });
});
