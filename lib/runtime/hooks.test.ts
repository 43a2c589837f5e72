// Hooks run for real here: small /bin/sh scripts that write what they were given into a temp dir,
// so the state on stdin, the argv, the environment and the exit status can be read back.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineError } from '../errors.js';
import { runHooks, runHooksWarning } from './hooks.js';
import type { Hook } from './spec.js';
import type { OciState } from './state.js';

// The runtime traces each hook and each warning; record the lines instead of printing them.
const traced = vi.hoisted(() => [] as string[]);
vi.mock('../sys/trace.js', () => ({ trace: (line: string) => traced.push(line) }));

let tmp: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-hooks-test-'));
  traced.length = 0;
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const state: OciState = {
  ociVersion: '1.0.2', id: 'c1', pid: 4242, status: 'created', bundle: '/srv/bundle', rootfs: '/srv/bundle/rootfs',
  created: '2026-12-01T00:00:00.000Z', owner: '', annotations: { 'org.minidock.container.name': 'web' },
};

/**
 * A hook that runs `script` with /bin/sh, with OUT pointing into the temp dir. It reads its stdin
 * to the end first: a hook that exits before the runtime has written the state makes that write
 * fail with EPIPE, which hooks.ts does not tolerate yet (see the known-bug test below).
 */
function sh(script: string, env: string[] = []): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > /dev/null; ${script}`], env: [`OUT=${tmp}`, ...env] };
}

const out = (name: string) => readFileSync(path.join(tmp, name), 'utf8');

function failure(kind: string, hooks: Hook[]): EngineError {
  try {
    runHooks(kind, hooks, state);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('the hooks did not fail');
}

describe('runHooks', () => {
  it('gives each hook the container’s state as JSON on its stdin', () => {
    runHooks('createRuntime', [{ path: '/bin/sh', args: ['sh', '-c', 'cat > "$OUT/state.json"'], env: [`OUT=${tmp}`] }], state);
    expect(JSON.parse(out('state.json'))).toEqual(state);
  });

  it('runs the hooks in order', () => {
    runHooks('poststart', [sh('echo one >> "$OUT/log"'), sh('echo two >> "$OUT/log"')], state);
    expect(out('log')).toBe('one\ntwo\n');
  });

  it('passes args[0] as the hook’s argv[0] and the rest as its arguments', () => {
    // with -c and no operand after the script, the shell's $0 is its own argv[0]
    runHooks('createRuntime', [{ path: '/bin/sh', args: ['net-setup', '-c', 'cat >/dev/null; echo "$0" > "$OUT/argv0"'], env: [`OUT=${tmp}`] }], state);
    expect(out('argv0')).toBe('net-setup\n');
  });

  it('runs a hook without args as its path alone', () => {
    const script = path.join(tmp, 'hook.sh');
    writeFileSync(script, `#!/bin/sh\ncat > /dev/null\necho "$0 $#" > ${tmp}/ran\n`);
    chmodSync(script, 0o755);
    runHooks('poststop', [{ path: script }], state);
    expect(out('ran')).toBe(`${script} 0\n`);
  });

  it('gives a hook exactly the env config.json lists, not the runtime’s own environment', () => {
    vi.stubEnv('MINIDOCK_HOOK_TEST_LEAK', 'from-the-runtime');
    runHooks('createRuntime', [sh('echo "$NAME=$VALUE|$MINIDOCK_HOOK_TEST_LEAK" > "$OUT/env"', ['NAME=x', 'VALUE=a=b'])], state);
    expect(out('env')).toBe('x=a=b|\n'); // a value may itself hold "="
  });

  it('fails with an EngineError naming the kind, the hook and the exit status, and the first line of its stderr', () => {
    const e = failure('createRuntime', [sh('echo "no bridge" >&2; echo more >&2; exit 3')]);
    expect(e.message).toBe('createRuntime hook /bin/sh: exit status 3: no bridge');
    expect(e.exitCode).toBe(125);
  });

  it('says only the exit status when the failing hook wrote nothing to stderr', () => {
    expect(failure('poststart', [sh('exit 1')]).message).toBe('poststart hook /bin/sh: exit status 1');
  });

  it('stops at the first hook that fails: the ones after it do not run', () => {
    failure('createRuntime', [sh('touch "$OUT/first"'), sh('exit 1'), sh('touch "$OUT/third"')]);
    expect(existsSync(path.join(tmp, 'first'))).toBe(true);
    expect(existsSync(path.join(tmp, 'third'))).toBe(false);
  });

  it('names a hook killed by a signal', () => {
    expect(failure('poststart', [sh('kill -KILL $$')]).message).toBe('poststart hook /bin/sh: killed by SIGKILL');
  });

  it('fails when a hook’s path does not exist', () => {
    expect(failure('createRuntime', [{ path: path.join(tmp, 'missing') }]).message).toMatch(
      new RegExp(`^createRuntime hook ${tmp}/missing: .*ENOENT`),
    );
  });

  it('stops a hook that runs past its timeout (seconds) and fails', () => {
    const started = Date.now();
    const e = failure('createRuntime', [{ ...sh('sleep 5'), timeout: 1 }]);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(e.message).toMatch(/^createRuntime hook \/bin\/sh: /);
  });

  // runc's hooks (Go's os/exec) ignore EPIPE on stdin and judge the exit status alone; with a
  // state larger than a pipe's buffer, a hook that reads nothing always leaves an EPIPE.
  it('runs a hook that exits 0 without reading its stdin, as runc does', () => {
    const big: OciState = { ...state, annotations: { padding: 'x'.repeat(1 << 20) } };
    runHooks('poststop', [{ path: '/bin/sh', args: ['sh', '-c', 'exit 0'] }], big);
  });

  it('does nothing for no hooks at all', () => {
    expect(() => runHooks('poststop', undefined, state)).not.toThrow();
    expect(() => runHooks('poststop', [], state)).not.toThrow();
    expect(traced).toEqual([]);
  });

  it('traces each hook as the command it runs', () => {
    runHooks('createRuntime', [sh('true')], state);
    expect(traced).toEqual(['$ /bin/sh -c cat > /dev/null; true   # createRuntime hook, state on stdin']);
  });
});

describe('runHooksWarning', () => {
  it('does not throw when a hook fails, and traces a warning instead', () => {
    expect(() => runHooksWarning('poststop', [sh('echo gone >&2; exit 2')], state)).not.toThrow();
    expect(traced).toContain('warning: poststop hook /bin/sh: exit status 2: gone');
  });

  it('still runs the hooks, and warns about nothing when they succeed', () => {
    runHooksWarning('poststop', [sh('touch "$OUT/ran"')], state);
    expect(existsSync(path.join(tmp, 'ran'))).toBe(true);
    expect(traced.some((l) => l.startsWith('warning:'))).toBe(false);
  });
});
