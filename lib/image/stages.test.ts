// lib/image/stages.ts: a Dockerfile split into stages, COPY --from/--chown read, and which stages
// a build runs (the last one's dependencies, or --target), on literal Dockerfiles.

import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.js';
import { parseCopyFlags, splitStages, stagesToBuild, usedStages } from './stages.js';

const MULTI = `ARG BASE=busybox
FROM \${BASE} AS Builder
RUN echo hi > /out
FROM busybox AS tests
RUN false
FROM scratch AS unused
FROM busybox
COPY --from=builder /out /app/out
FROM 3
COPY --from=0 --chown=1:2 ["/out", "/again"]
`;

describe('splitStages', () => {
  it('puts ARGs before the first FROM apart and gives each stage its index, lower-case name and body', () => {
    const plan = splitStages(parseDockerfile(MULTI));
    expect(plan.globalArgs.map((i) => i.args)).toEqual(['BASE=busybox']);
    expect(plan.stages.map((s) => [s.index, s.name, s.base, s.body.length])).toEqual([
      [0, 'builder', '${BASE}', 1],
      [1, 'tests', 'busybox', 1],
      [2, 'unused', 'scratch', 0],
      [3, undefined, 'busybox', 1],
      [4, undefined, '3', 1],
    ]);
  });

  it('refuses a stage name used twice, a bad one, and a FROM with extra words', () => {
    expect(() => splitStages(parseDockerfile('FROM a AS x\nFROM b AS X\n'))).toThrow(/line 2: duplicate stage name "x"/);
    expect(() => splitStages(parseDockerfile('FROM a AS 1x\n'))).toThrow(/line 1: invalid stage name/);
    expect(() => splitStages(parseDockerfile('FROM a b c d\n'))).toThrow(/line 1: FROM wants/);
  });
});

describe('parseCopyFlags', () => {
  it('reads --from and --chown before the shell or the exec form', () => {
    const [, , copy, , , last] = parseDockerfile('FROM a\nFROM b\nCOPY --from=builder /out /app/out\nADD x y\nFROM c\nCOPY --from=0 --chown=1:2 ["/o u t", "/again"]\n');
    expect(parseCopyFlags(copy)).toEqual({ from: 'builder', words: ['/out', '/app/out'] });
    expect(parseCopyFlags(last)).toEqual({ from: '0', chown: '1:2', words: ['/o u t', '/again'] });
  });

  it('refuses a flag it does not know, and --from on ADD', () => {
    const [, copy, add] = parseDockerfile('FROM a\nCOPY --link a b\nADD --from=x a b\n');
    expect(() => parseCopyFlags(copy)).toThrow(/line 2: COPY flag --link is not supported/);
    expect(() => parseCopyFlags(add)).toThrow(/line 3: ADD flag --from=x is not supported/);
  });
});

describe('stagesToBuild', () => {
  const plan = splitStages(parseDockerfile(MULTI));

  it('builds the last stage and what it uses, transitively, and skips the rest (as BuildKit does)', () => {
    // stage 4 is FROM stage 3, which copies from builder; tests and unused are not needed
    expect(stagesToBuild(plan).map((s) => s.index)).toEqual([0, 3, 4]);
    expect(usedStages(plan.stages, plan.stages[3]).map((s) => s.index)).toEqual([0]);
  });

  it('stops at --target (a name, any case) and refuses an unknown one', () => {
    expect(stagesToBuild(plan, 'builder').map((s) => s.index)).toEqual([0]);
    expect(stagesToBuild(plan, 'TESTS').map((s) => s.index)).toEqual([1]);
    expect(() => stagesToBuild(plan, 'nope')).toThrow(/target stage "nope" could not be found/);
  });

  it('treats an unknown --from as an image, and refuses a stage that is not earlier', () => {
    const images = splitStages(parseDockerfile('FROM busybox\nCOPY --from=alpine:3 /etc/os-release /\n'));
    expect(stagesToBuild(images).map((s) => s.index)).toEqual([0]);
    const forward = splitStages(parseDockerfile('FROM busybox\nCOPY --from=1 /x /\nFROM busybox AS later\n'));
    expect(stagesToBuild(forward).map((s) => s.index)).toEqual([1]); // stage 0, the wrong one, is not needed
    expect(() => usedStages(forward.stages, forward.stages[0])).toThrow(/line 2: stage "1" is not before this one/);
    expect(() => usedStages(forward.stages, splitStages(parseDockerfile('FROM busybox\nCOPY --from=7 /x /\n')).stages[0])).toThrow(/stage 7 does not exist/);
  });
});
