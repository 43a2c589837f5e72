// checks/harness.ts' variantFor: which variant of a heavy check a run takes (the quick one below
// the stage a cumulative run proves, the full one otherwise), on made-up Check objects.

import { describe, expect, it } from 'vitest';
import { variantFor, type Check } from './harness.js';

const quickRun = async () => {};
const heavy: Check = { name: 'a 125-layer image', hint: 'overlay2.ts', run: async () => {}, quick: { name: 'a 3-layer image', run: quickRun } };
const plain: Check = { name: 'a plain check', hint: 'x', run: async () => {} };

describe('variantFor: heavy checks in cumulative runs', () => {
  it('takes the quick variant in a stage below the one a cumulative run proves, with the full check’s hint', () => {
    const v = variantFor(heavy, 3, 5);
    expect(v.name).toBe('a 3-layer image');
    expect(v.run).toBe(quickRun);
    expect(v.hint).toBe('overlay2.ts');
    expect(v.quick).toBeUndefined();
  });

  it('runs the full check in its own stage, and when nothing asks for quick (all, --only, controls, --full)', () => {
    expect(variantFor(heavy, 3, 3)).toBe(heavy);
    expect(variantFor(heavy, 3, -Infinity)).toBe(heavy);
  });

  it('leaves a check without a quick variant alone', () => {
    expect(variantFor(plain, 1, 5)).toBe(plain);
  });
});
