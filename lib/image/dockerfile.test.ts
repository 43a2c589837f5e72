// lib/image/dockerfile.ts and words.ts: a Dockerfile read into instructions (continuations,
// comments, shell and exec forms), K=v pairs, word splitting and $VAR expansion, on literal text.

import { describe, expect, it } from 'vitest';
import { keyValuePairs, parseDockerfile } from './dockerfile.js';
import { shellWords } from './words.js';

describe('parseDockerfile', () => {
  it('reads instructions with their lines, joins continuations and skips comments', () => {
    const ins = parseDockerfile('# a comment\nFROM busybox\n\nRUN echo a \\\n  # inside\n  && echo b\ncmd ["sh", "-c", "x"]\n');
    expect(ins.map((i) => [i.keyword, i.line])).toEqual([['FROM', 2], ['RUN', 4], ['CMD', 7]]);
    expect(ins[1].args).toBe('echo a   && echo b');
    expect(ins[2].json).toEqual(['sh', '-c', 'x']);
  });

  it('keeps the shell form when the brackets are not a JSON array of strings', () => {
    expect(parseDockerfile('FROM x\nCMD [not json]').at(-1)!.json).toBeUndefined();
  });

  it('names the line of an unknown instruction', () => {
    expect(() => parseDockerfile('FROM busybox\nFROOM x\n')).toThrow('dockerfile parse error on line 2: unknown instruction: FROOM');
  });

  it('wants FROM first and refuses an empty file', () => {
    expect(() => parseDockerfile('RUN x\n')).toThrow(/first instruction must be FROM/);
    expect(() => parseDockerfile('# nothing\n')).toThrow(/cannot be empty/);
  });
});

describe('keyValuePairs and shellWords', () => {
  it('reads K=v pairs with quotes, and the old one-pair form', () => {
    expect(keyValuePairs('A=1 B="two words" C=\'x y\'', 1)).toEqual([['A', '1'], ['B', 'two words'], ['C', 'x y']]);
    expect(keyValuePairs('GREETING hello there', 1)).toEqual([['GREETING', 'hello there']]);
  });

  it('splits on blanks but not inside quotes or after a backslash', () => {
    expect(shellWords('a "b c" d\\ e')).toEqual(['a', 'b c', 'd e']);
  });
});

describe('expand', () => {
  it('substitutes $NAME, ${NAME}, the :- and :+ forms, and keeps an escaped dollar', async () => {
    const { expand } = await import('./dockerfile.js');
    const vars = { WHO: 'learner', EMPTY: '' };
    expect(expand('/srv/$WHO/${WHO}x', vars)).toBe('/srv/learner/learnerx');
    expect(expand('${NOPE:-dflt} ${EMPTY:-e} ${WHO:-w}', vars)).toBe('dflt e learner');
    expect(expand('${WHO:+set}|${NOPE:+set}', vars)).toBe('set|');
    expect(expand('cost \\$5 $NOPE.', vars)).toBe('cost $5 .');
  });
});

describe('dockerignore', () => {
  it('ignores matching paths and what is under a matching directory; ! re-includes; the last rule wins', async () => {
    const { dockerignore } = await import('./dockerfile.js');
    const ignored = dockerignore('# comment\n*.key\nnode_modules\n**/*.log\n!keep.log\n');
    expect(ignored('secret.key')).toBe(true);
    expect(ignored('sub/secret.key')).toBe(false); // `*` stays inside one component
    expect(ignored('node_modules/x/y.js')).toBe(true);
    expect(ignored('a/b/c.log')).toBe(true);
    expect(ignored('keep.log')).toBe(false);
    expect(ignored('www/index.html')).toBe(false);
  });
});

describe('shellWords (lib/image/words.ts)', () => {
  it('refuses an unterminated quote, and the Dockerfile parser says on which line', () => {
    expect(() => shellWords('a "b')).toThrow(/^unterminated double quote$/);
    expect(() => shellWords("a 'b")).toThrow(/^unterminated single quote$/);
    expect(() => keyValuePairs('A="x y', 3)).toThrow(/^dockerfile line 3: unterminated double quote$/);
  });
});
