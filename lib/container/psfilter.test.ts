// lib/container/psfilter.ts: ps --filter keys parsed and matched as docker's daemon does (same key
// OR, different keys AND, every label), with docker's errors; on made-up container records.

import { describe, expect, it } from 'vitest';
import { matchesFilters, parseFilters } from './psfilter.js';
import type { Container, State } from './records.js';
import { ZERO_TIME } from './state.js';

/** A container record with only what ps looks at. */
function ctr(name: string, status: State['Status'], over: { exitCode?: number; labels?: Record<string, string>; image?: string; started?: boolean } = {}): Container {
  return {
    ID: name.padEnd(64, '0'), Name: `/${name}`, Image: over.image ?? 'sha256:b0x',
    Config: { Labels: over.labels ?? {} },
    State: { Status: status, Running: status === 'running' || status === 'paused', Paused: status === 'paused', ExitCode: over.exitCode ?? 0, StartedAt: over.started === false ? ZERO_TIME : '2026-01-01T00:00:00Z' },
  } as unknown as Container;
}

const web = ctr('web', 'running', { labels: { app: 'shop', tier: 'front' } });
const db = ctr('db', 'exited', { exitCode: 3, labels: { app: 'shop' } });
const fresh = ctr('fresh', 'created', { started: false });
const frozen = ctr('frozen', 'paused');
const ALL = [frozen, fresh, db, web];
const names = (cs: Container[]) => cs.map((c) => c.Name.slice(1));

describe('ps --filter', () => {
  it('matches status, name (a regular expression, with or without the slash), id prefix, label, exited code', () => {
    const pick = (...flags: string[]) => names(ALL.filter((c) => matchesFilters(c, parseFilters(flags))));
    expect(pick('status=exited')).toEqual(['db']);
    expect(pick('status=paused')).toEqual(['frozen']);
    expect(pick('name=^/web$')).toEqual(['web']);
    expect(pick('name=^fr')).toEqual(['frozen', 'fresh']);
    expect(pick('id=db0')).toEqual(['db']);
    expect(pick('label=app')).toEqual(['db', 'web']);
    expect(pick('label=tier=front')).toEqual(['web']);
    expect(pick('exited=3')).toEqual(['db']);
    expect(pick('exited=0')).toEqual([]); // web runs, fresh never started: neither has exited
  });

  it('ORs the values of one key and ANDs different keys', () => {
    const pick = (...flags: string[]) => names(ALL.filter((c) => matchesFilters(c, parseFilters(flags))));
    expect(pick('status=exited', 'status=created')).toEqual(['fresh', 'db']);
    expect(pick('status=exited', 'status=running', 'label=app=shop')).toEqual(['db', 'web']);
    expect(pick('status=created', 'label=app=shop')).toEqual([]);
    // label= is the exception: every one must hold
    expect(pick('label=app=shop', 'label=tier=front')).toEqual(['web']);
  });

  it('matches ancestor=IMAGE by the image ID it resolves to', () => {
    const other = ctr('other', 'running', { image: 'sha256:a1p' });
    const id = (ref: string) => (ref === 'alpine' ? 'sha256:a1p' : undefined);
    expect(matchesFilters(other, parseFilters(['ancestor=alpine']), id)).toBe(true);
    expect(matchesFilters(web, parseFilters(['ancestor=alpine']), id)).toBe(false);
    expect(matchesFilters(web, parseFilters(['ancestor=nosuch']), id)).toBe(false);
  });

  it('refuses what docker refuses, with its words and exit codes', () => {
    const fails = (flag: string) => {
      try {
        parseFilters([flag]);
      } catch (e) {
        return [(e as Error).message, (e as { exitCode: number }).exitCode];
      }
      return null;
    };
    expect(fails('status=sleeping')).toEqual(["invalid filter 'status=sleeping'", 1]);
    expect(fails('colour=red')).toEqual(["invalid filter 'colour'", 1]);
    expect(fails('exited=x')).toEqual(['strconv.Atoi: parsing "x": invalid syntax', 1]);
    expect(fails('nonsense')).toEqual(['invalid argument "nonsense" for "-f, --filter" flag: bad format of filter (expected name=value)', 125]);
    expect(fails('network=bridge')?.[0]).toMatch(/not supported/);
  });
});
