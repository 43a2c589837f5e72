// The Dockerfile: one instruction a line (a trailing backslash continues it), `#` comments, and
// each instruction's arguments in a shell form (text) or an exec form (a JSON array).
//
// Dockerfile reference ("Format", "Parser directives" are not supported). Stage 6 notes,
// "minidock build".

import path from 'node:path';
import { EngineError } from '../errors.js';
import { shellWords } from './words.js';

export interface Instruction {
  /** upper case: FROM, RUN, … */
  keyword: string;
  /** the arguments as written (continuations joined) */
  args: string;
  /** the exec form, when the arguments are a JSON array of strings */
  json?: string[];
  /** 1-based line of the instruction's first line */
  line: number;
  /** the instruction as docker prints it: `RUN echo hi` */
  original: string;
}

export const KNOWN = ['FROM', 'ARG', 'RUN', 'COPY', 'ADD', 'ENV', 'WORKDIR', 'CMD', 'ENTRYPOINT', 'LABEL', 'EXPOSE', 'USER'] as const;

// #region parse-dockerfile
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i];
    if (/^\s*(#.*)?$/.test(line)) continue;
    // a trailing backslash joins the next line (comment lines inside are skipped, as docker does)
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, '');
      i++;
      while (i < lines.length - 1 && /^\s*#/.test(lines[i])) i++;
      if (/^\s*#/.test(lines[i])) break;
      line += lines[i];
    }
    const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*?))?\s*$/.exec(line);
    if (!m) throw new EngineError(`dockerfile parse error on line ${start}: unknown instruction: ${line.trim().split(/\s+/)[0]}`);
    const keyword = m[1].toUpperCase();
    const args = m[2] ?? '';
    if (!(KNOWN as readonly string[]).includes(keyword)) throw new EngineError(`dockerfile parse error on line ${start}: unknown instruction: ${m[1]}`);
    if (args === '') throw new EngineError(`dockerfile parse error on line ${start}: ${keyword} requires at least one argument`);
    let json: string[] | undefined;
    if (args.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(args);
        if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) json = parsed as string[];
      } catch {
        // not JSON: the shell form, as docker falls back to it
      }
    }
    out.push({ keyword, args, json, line: start, original: `${keyword} ${args}` });
  }
  if (out.length === 0) throw new EngineError('the dockerfile cannot be empty');
  const first = out.find((i) => i.keyword !== 'ARG') ?? out[0];
  if (first.keyword !== 'FROM') throw new EngineError(`dockerfile line ${first.line}: the first instruction must be FROM, not ${first.keyword}`);
  return out;
}
// #endregion

/** `K=v K2="a b"` or the old `K value` form (ENV, LABEL). */
export function keyValuePairs(args: string, line: number): [string, string][] {
  let tokens: string[];
  try {
    tokens = shellWords(args);
  } catch (e) {
    throw new EngineError(`dockerfile line ${line}: ${(e as Error).message}`);
  }
  if (tokens.length > 0 && !tokens[0].includes('=')) {
    const [key, ...rest] = args.trim().split(/\s+/);
    if (rest.length === 0) throw new EngineError(`dockerfile line ${line}: want KEY=VALUE or KEY VALUE`);
    return [[key, args.trim().slice(key.length).trim()]];
  }
  return tokens.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new EngineError(`dockerfile line ${line}: ${JSON.stringify(t)} is not KEY=VALUE`);
    return [t.slice(0, eq), t.slice(eq + 1)];
  });
}


// #region expand
/**
 * Variable substitution, as the builder does it for most instructions (not RUN, CMD and
 * ENTRYPOINT, whose shell does its own): `$NAME`, `${NAME}`, `${NAME:-default}`,
 * `${NAME:+alternative}`; `\$` is a literal dollar. Unknown names become empty.
 */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, braced, op, word, bare) => {
    if (all === '\\$') return '$';
    const name = braced ?? bare;
    const value = vars[name];
    if (op === '-') return value ? value : word;
    if (op === '+') return value ? word : '';
    return value ?? '';
  });
}
// #endregion

// #region dockerignore
/**
 * .dockerignore: one pattern a line (`#` comments), `*` and `?` within a path component, `**`
 * across components, a leading `!` re-includes. The last matching line decides. Returns a test
 * for a path relative to the context ("www/index.html").
 */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const keep = l.startsWith('!');
      const pattern = path.posix.normalize((keep ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      const re = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/');
      // a pattern that names a directory also excludes what is inside it
      return { keep, re: new RegExp(`^${re}(/.*)?$`) };
    });
  return (rel) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(rel)) ignored = !r.keep;
    return ignored;
  };
}
// #endregion
