// Times and sizes as docker prints them (go-units HumanDuration and HumanSizeWithPrecision(…, 3))
// and tables as docker's text/tabwriter lays them out (minwidth 10, padding 3).

import { describe, expect, it } from 'vitest';
import { humanDuration, humanSize, table } from './human.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [1.9 * S, '1 second'], // Go truncates seconds
    [2 * S, '2 seconds'],
    [59.9 * S, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'], // docker ps says "Up About a minute" until 2 minutes
    [120 * S, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'], // hours alone are rounded
    [90 * M, '2 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [13 * D + 23 * H, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [56.9 * 365 * D, '56 years'],
  ])('shows %d ms as "%s"', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('humanSize', () => {
  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.23kB'],
    [1_990_000, '1.99MB'],
    [4_200_000, '4.2MB'],
    [123_456_789, '123MB'],
    [1_500_000_000_000, '1.5TB'],
  ])('shows %d bytes as %s (decimal units, three significant digits)', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});

describe('table', () => {
  it('pads each column to its widest cell plus three spaces and leaves the last unpadded', () => {
    const out = table(['CONTAINER ID', 'NAMES'], [['c0ffee123456', 'a_very_long_name']]);
    expect(out).toBe('CONTAINER ID   NAMES\nc0ffee123456   a_very_long_name\n');
  });

  it('makes every padded column at least 10 wide, as docker’s tabwriter does', () => {
    const out = table(['TAG', 'ID', 'SIZE'], [['latest', 'abc', '1MB']]);
    expect(out.split('\n')).toEqual(['TAG       ID        SIZE', 'latest    abc       1MB', '']);
  });

  it('keeps an empty column (PORTS) and trims trailing spaces', () => {
    const out = table(['STATUS', 'PORTS', 'NAMES'], [['Up 2 seconds', '', 'web']]);
    expect(out).toBe('STATUS         PORTS     NAMES\nUp 2 seconds             web\n');
    const empty = table(['A', 'B'], [['x', '']]);
    expect(empty).toBe('A         B\nx\n');
  });

  it('prints the header alone when there are no rows', () => {
    expect(table(['CONTAINER ID', 'IMAGE'], [])).toBe('CONTAINER ID   IMAGE\n');
  });
});
