// lib/order.ts: text sorted by character codes, as docker's Go code sorts it.

import { describe, expect, it } from 'vitest';
import { byText } from './order.js';

describe('byText', () => {
  it('sorts names by character codes: capitals before small letters, as Go compares strings', () => {
    expect(['web', 'bridge', 'Web', 'api', 'none'].sort(byText)).toEqual(['Web', 'api', 'bridge', 'none', 'web']);
  });

  it('sorts RFC 3339 timestamps in time order, and says equal for equal text', () => {
    const newestFirst = ['2026-12-01T10:00:00.5Z', '2026-12-01T09:59:59Z', '2026-12-01T10:00:01Z'].sort((a, b) => byText(b, a));
    expect(newestFirst).toEqual(['2026-12-01T10:00:01Z', '2026-12-01T10:00:00.5Z', '2026-12-01T09:59:59Z']);
    expect(byText('/data', '/data')).toBe(0);
  });
});
