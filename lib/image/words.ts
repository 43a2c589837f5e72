// Shell words: how docker splits an argument list written as text — a Dockerfile instruction in
// its shell form (`EXPOSE 80 443`, `ENV A="x y"`) and `import --change`. Blanks separate words;
// "double" and 'single' quotes keep blanks inside a word; a backslash escapes the next
// character (inside double quotes too, not inside single ones). No variables, no globs: those
// are the shell's, not docker's. Used by stage 3 (import --change) and stage 6 (build).

import { EngineError } from '../errors.js';

/** The words of `s`; an unterminated quote is an error (the caller says where). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new EngineError(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) out.push(word);
  return out;
}
