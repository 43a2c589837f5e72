// lib/container/restart.ts: --restart policies read as docker reads them, and whether and when a
// container that exited is started again (on-failure:N counts, a user's stop, the back-off).

import { describe, expect, it } from 'vitest';
import { parseRestartPolicy, restartDelayMs, shouldRestart } from './restart.js';

describe('parseRestartPolicy', () => {
  it('reads docker’s four policies, with on-failure’s count', () => {
    expect(parseRestartPolicy('on-failure:2')).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    expect(parseRestartPolicy('on-failure')).toEqual({ Name: 'on-failure', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('always')).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('unless-stopped').Name).toBe('unless-stopped');
  });
  it.each(['sometimes', 'always:3', 'on-failure:x', 'on-failure:1:2'])('refuses %s', (text) => {
    expect(() => parseRestartPolicy(text)).toThrow(/invalid restart policy/);
  });
});

describe('shouldRestart', () => {
  const onFailure2 = parseRestartPolicy('on-failure:2');
  it('restarts a failing container exactly N times under on-failure:N', () => {
    expect([0, 1, 2].map((count) => shouldRestart(onFailure2, 1, count, false))).toEqual([true, true, false]);
  });
  it('does not restart a container that exited 0 under on-failure', () => {
    expect(shouldRestart(onFailure2, 0, 0, false)).toBe(false);
  });
  it('restarts always, whatever the status, unless a user stopped it', () => {
    expect(shouldRestart(parseRestartPolicy('always'), 0, 50, false)).toBe(true);
    expect(shouldRestart(parseRestartPolicy('always'), 137, 0, true)).toBe(false);
  });
  it('never restarts without a policy or with no', () => {
    expect(shouldRestart(undefined, 1, 0, false)).toBe(false);
    expect(shouldRestart(parseRestartPolicy('no'), 1, 0, false)).toBe(false);
  });
  it('backs off from 100 ms, doubling, to a cap', () => {
    expect([0, 1, 2, 10].map(restartDelayMs)).toEqual([100, 200, 400, 5000]);
  });
});
