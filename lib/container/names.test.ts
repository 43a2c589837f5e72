// docker-style names for containers started without --name: adjective_scientist.

import { describe, expect, it } from 'vitest';
import { containerName } from './names.js';

/** A stand-in for Math.random that returns the given values in turn, then repeats the last. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

describe('containerName', () => {
  it('makes adjective_scientist names that are valid container names', () => {
    for (let i = 0; i < 200; i++) {
      expect(containerName(new Set())).toMatch(/^[a-z]+_[a-z]+\d*$/);
    }
  });

  it('is deterministic for a given random source', () => {
    expect(containerName(new Set(), () => 0)).toBe('brave_curie');
    expect(containerName(new Set(), () => 0.999)).toBe('zen_yonath');
  });

  it('skips a name already taken (names are stored with a leading "/")', () => {
    const taken = new Set(['/brave_curie']);
    expect(containerName(taken, sequence(0, 0, 0.999, 0.999))).toBe('zen_yonath');
  });

  it('appends a number when random picks keep hitting taken names', () => {
    const taken = new Set(['/brave_curie']);
    expect(containerName(taken, () => 0)).toBe('brave_curie10');
  });

  it('finds a free name even when every plain name is taken', () => {
    const taken = new Set<string>();
    for (let a = 0; a < 15; a++) for (let s = 0; s < 15; s++) taken.add(`/${containerName(new Set(), sequence(a / 15, s / 15))}`);
    expect(taken.size).toBe(225);
    const name = containerName(taken);
    expect(taken.has(`/${name}`)).toBe(false);
    expect(name).toMatch(/\d+$/);
  });
});
