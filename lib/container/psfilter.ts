// `ps --filter KEY=VALUE`: which containers docker ps lists (daemon/list.go's foldFilter and
// includeContainerInList). Repeated filters combine as docker combines them: values of the same
// key are alternatives (status=exited --filter status=created: either), different keys must all
// hold (status=exited --filter label=app: both) — except label=, where every one must hold
// (label=app --filter label=tier=front: both labels). A status filter lists stopped containers
// without -a (lib/cli/ps.ts, selectContainers). Stage 7 notes, "the states" and "ps --filter".

import { EngineError, UsageError } from '../errors.js';
import type { Container, State } from './records.js';
import { ZERO_TIME } from './state.js';

/** Each key with its values, in the order given. */
export type Filters = Map<string, string[]>;

export const STATES: readonly State['Status'][] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** docker's keys for ps that minidock does not have yet (they are refused, not ignored). */
const NOT_YET = ['before', 'since', 'network', 'volume', 'health', 'publish', 'expose', 'isolation', 'is-task'];
const KEYS = ['status', 'name', 'id', 'label', 'exited', 'ancestor'];

// #region ps-filter
/** `--filter KEY=VALUE`, repeated, checked as docker's daemon checks them (exit 1). */
export function parseFilters(flags: readonly string[]): Filters {
  const f: Filters = new Map();
  for (const flag of flags) {
    const at = flag.indexOf('=');
    // the CLI's own check: a flag error (125)
    if (at <= 0) throw new UsageError(`invalid argument "${flag}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = flag.slice(0, at).trim().toLowerCase();
    const value = flag.slice(at + 1).trim();
    if (NOT_YET.includes(key)) throw new EngineError(`filter '${key}' is not supported by minidock yet`, 1);
    if (!KEYS.includes(key)) throw new EngineError(`invalid filter '${key}'`, 1);
    if (key === 'status' && !STATES.includes(value as State['Status'])) throw new EngineError(`invalid filter 'status=${value}'`, 1);
    if (key === 'exited' && !/^[+-]?\d+$/.test(value)) throw new EngineError(`strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`, 1);
    f.set(key, [...(f.get(key) ?? []), value]);
  }
  return f;
}

/**
 * Does container `c` pass every key (AND), each by one of its values (OR)? `imageIdOf`
 * resolves an ancestor=IMAGE reference to an image ID (undefined: no such image, no match).
 */
export function matchesFilters(c: Container, f: Filters, imageIdOf: (ref: string) => string | undefined = () => undefined): boolean {
  const any = (key: string, test: (value: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
  return any('status', (v) => c.State.Status === v)
    && any('id', (v) => goMatch(v, c.ID))
    // docker keeps the name as "/web": either spelling of a pattern matches
    && any('name', (v) => goMatch(v, c.Name) || goMatch(v, c.Name.slice(1)))
    // labels are the exception: every label= must hold (docker's MatchKVList)
    && (f.get('label') ?? []).every((v) => labelMatch(v, c.Config.Labels ?? {}))
    && any('exited', (v) => !c.State.Running && c.State.StartedAt !== ZERO_TIME && c.State.ExitCode === Number(v))
    && any('ancestor', (v) => imageIdOf(v) === c.Image);
}

/** docker's filters.Match: the value is a regular expression (unanchored), or equal. */
function goMatch(pattern: string, text: string): boolean {
  if (pattern === text) return true;
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false; // not a valid expression: only equality counts
  }
}

/** label=KEY: the label is there; label=KEY=VALUE: with that value. */
function labelMatch(want: string, labels: Record<string, string>): boolean {
  const at = want.indexOf('=');
  if (at < 0) return want in labels;
  return labels[want.slice(0, at)] === want.slice(at + 1);
}
// #endregion
