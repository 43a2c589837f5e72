// checks/harness.ts: timeScale (hang limits stretched for emulated machines), and variantFor: which
// variant of a heavy check a run takes (the quick one below the stage a cumulative run proves, the
// full one otherwise), on made-up Check objects.

import { describe, expect, it } from 'vitest';
import { timeScale, variantFor, type Check } from './harness.js';

const quickRun = async () => {};
const heavy: Check = { name: 'a 125-layer image', hint: 'overlay2.ts', run: async () => {}, quick: { name: 'a 3-layer image', run: quickRun } };
const plain: Check = { name: 'a plain check', hint: 'x', run: async () => {} };

describe('timeScale: hang limits for slower machines', () => {
  it('is MINIDOCK_CHECK_TIME_SCALE when it is a number of at least 1, else 1', () => {
    const was = process.env.MINIDOCK_CHECK_TIME_SCALE;
    try {
      delete process.env.MINIDOCK_CHECK_TIME_SCALE;
      expect(timeScale()).toBe(1);
      for (const [value, scale] of [['4', 4], ['2.5', 2.5], ['0.5', 1], ['fast', 1], ['', 1]] as const) {
        process.env.MINIDOCK_CHECK_TIME_SCALE = value;
        expect(timeScale()).toBe(scale);
      }
    } finally {
      if (was === undefined) delete process.env.MINIDOCK_CHECK_TIME_SCALE;
      else process.env.MINIDOCK_CHECK_TIME_SCALE = was;
    }
  });
});

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
