// `--format` templates, the small part of Go's text/template that docker users type most:
//   {{.State.Pid}}   {{.Name}}   {{json .Config.Env}}   text around them
// Anything else in {{ }} is refused with an error rather than guessed at.

import { EngineError } from '../errors.js';

function lookup(value: unknown, dotted: string): unknown {
  if (dotted === '.') return value;
  let v: unknown = value;
  for (const key of dotted.slice(1).split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  // Go's fmt prints a map's keys sorted
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${show((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

export function formatTemplate(template: string, value: unknown): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    let m = /^json\s+(\.[\w.]*)$/.exec(expr);
    if (m) return JSON.stringify(lookup(value, m[1]) ?? null);
    m = /^(\.[\w.]*)$/.exec(expr);
    if (m) return show(lookup(value, m[1]));
    throw new EngineError(`template: unsupported expression {{${expr}}} (minidock knows {{.Field.Path}} and {{json .Field}})`);
  });
}
