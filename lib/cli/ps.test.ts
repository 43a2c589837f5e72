// lib/cli/ps.ts' selectContainers: which containers ps lists by default, with -a, -n, --latest and
// a status filter, on four made-up container records.

import { describe, expect, it } from 'vitest';
import type { Container, State } from '../container/records.js';
import { selectContainers } from './ps.js';

/** Newest first, as listContainers gives them; only what ps looks at. */
const ALL = (['paused', 'created', 'exited', 'running'] as State['Status'][]).map((status, i) => ({
  ID: String(i).padEnd(64, '0'), Name: `/${['frozen', 'fresh', 'db', 'web'][i]}`, Config: { Labels: {} },
  State: { Status: status, Running: status === 'running' || status === 'paused', ExitCode: 3, StartedAt: '2026-01-01T00:00:00Z' },
})) as unknown as Container[];
const names = (cs: Container[]) => cs.map((c) => c.Name.slice(1));

describe('which containers ps lists', () => {
  it('running and paused ones by default, all with -a, a status filter, or -n', () => {
    expect(names(selectContainers(ALL, {}))).toEqual(['frozen', 'web']);
    expect(names(selectContainers(ALL, { all: true }))).toEqual(['frozen', 'fresh', 'db', 'web']);
    expect(names(selectContainers(ALL, { filter: ['status=created'] }))).toEqual(['fresh']);
    expect(names(selectContainers(ALL, { filter: ['exited=3'] }))).toEqual([]); // docker: exited= needs -a
    expect(names(selectContainers(ALL, { last: '2' }))).toEqual(['frozen', 'fresh']);
    expect(names(selectContainers(ALL, { latest: true }))).toEqual(['frozen']);
    expect(names(selectContainers(ALL, { last: '-1' }))).toEqual(['frozen', 'web']);
    expect(() => selectContainers(ALL, { last: 'x' })).toThrow(/invalid argument "x" for "-n, --last" flag/);
  });
});
