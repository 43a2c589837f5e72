// The runtime's state transitions — created → running → stopped — with a stand-in for init: a
// shell that opens exec.fifo the way init does (read and write, fd 4), waits there for `start`'s
// one byte, then becomes `sleep`, keeping its PID as execve does. No root, no namespaces, no
// cgroup (cgroupPath ""): what is tested is start, kill and delete against state.json and the fifo.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { processStartTime } from '../proc.js';
import { kill, processes, remove, start } from './container.js';
import type { Hook } from './spec.js';
import { execFifoPath, loadState, saveState, stateDir, statusOf, type RuntimeState } from './state.js';

let tmp: string;
let root: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-runtime-container-'));
  root = path.join(tmp, 'state');
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Wait until `ok()` holds, polling; fail after two seconds. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2000; !ok(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A container left as `create` leaves it: state.json, exec.fifo, and an "init" blocked on the
 * fifo. `waits: false` makes an init that never opens the fifo (as if it had died half-way).
 */
async function created(id = 'c1', hooks?: RuntimeState['hooks'], waits = true): Promise<{ state: RuntimeState; child: ChildProcess; released: string }> {
  mkdirSync(stateDir(root, id), { recursive: true });
  const fifo = execFifoPath(root, id);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const released = path.join(tmp, `${id}.released`);
  const script = waits ? 'exec 4<>"$0"; : > "$1.ready"; head -c 1 <&4 > "$1"; exec sleep 30' : ': > "$1.ready"; exec sleep 30';
  const child = spawn('/bin/sh', ['-c', script, fifo, released], { stdio: 'ignore' });
  children.push(child);
  await until('the stand-in init to open the fifo', () => existsSync(`${released}.ready`));
  const state: RuntimeState = {
    ociVersion: '1.0.2', id, pid: child.pid!, pidStartTime: processStartTime(child.pid!)!, bundle: tmp, rootfs: path.join(tmp, 'rootfs'),
    created: new Date().toISOString(), cgroupPath: '', ...(hooks ? { hooks } : {}),
  };
  saveState(root, state);
  return { state, child, released };
}

/** A hook that saves the state it is given on stdin to `file`. */
const saveStdin = (file: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${file}`] });

function exited(child: ChildProcess): Promise<string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('start', () => {
  it('writes one byte into exec.fifo, which releases the waiting init, and removes the fifo: created → running', async () => {
    const { state, released } = await created();
    expect(statusOf(root, state)).toBe('created');
    const s = start(root, 'c1');
    expect(s.status).toBe('running');
    expect(s.pid).toBe(state.pid);
    expect(existsSync(execFifoPath(root, 'c1'))).toBe(false);
    await until('init to read the byte', () => existsSync(released) && readFileSync(released, 'utf8') === '0');
    expect(statusOf(root, loadState(root, 'c1'))).toBe('running');
  });

  it('refuses to start a container twice', async () => {
    await created();
    start(root, 'c1');
    expect(refusal(() => start(root, 'c1'))).toBe('cannot start a container that has already started');
  });

  it('refuses to start a stopped container', async () => {
    const { child } = await created();
    child.kill('SIGKILL');
    await exited(child);
    expect(refusal(() => start(root, 'c1'))).toBe('cannot start a container that has stopped');
  });

  it('says init is not waiting when nobody reads the fifo, instead of blocking', async () => {
    await created('c1', undefined, false);
    expect(refusal(() => start(root, 'c1'))).toBe('cannot start container c1: init is not waiting (ENXIO)');
    expect(existsSync(execFifoPath(root, 'c1'))).toBe(true); // still "created": nothing was released
  });

  it('runs the poststart hooks with the running state', async () => {
    const got = path.join(tmp, 'poststart.json');
    await created('c1', { poststart: [saveStdin(got)] });
    start(root, 'c1');
    expect(JSON.parse(readFileSync(got, 'utf8'))).toMatchObject({ id: 'c1', status: 'running' });
  });

  it('says a container that was never created does not exist', () => {
    expect(refusal(() => start(root, 'ghost'))).toBe('container does not exist: ghost');
  });
});

describe('kill', () => {
  it('sends the signal to init: running → stopped', async () => {
    const { child } = await created();
    start(root, 'c1');
    kill(root, 'c1', 15);
    expect(await exited(child)).toBe('SIGTERM');
    expect(statusOf(root, loadState(root, 'c1'))).toBe('stopped');
  });

  it('refuses to signal a stopped container, with runc’s message', async () => {
    const { child } = await created();
    child.kill('SIGKILL');
    await exited(child);
    expect(refusal(() => kill(root, 'c1', 15))).toBe('container not running');
  });
});

describe('delete', () => {
  it('refuses to delete a running container without force, and leaves it running', async () => {
    const { state } = await created();
    start(root, 'c1');
    expect(refusal(() => remove(root, 'c1'))).toBe('cannot delete container c1 that is not stopped: running');
    expect(statusOf(root, state)).toBe('running');
    expect(existsSync(stateDir(root, 'c1'))).toBe(true);
  });

  it('with force kills a running container and removes its state', async () => {
    const { child } = await created();
    start(root, 'c1');
    remove(root, 'c1', true);
    expect(await exited(child)).toBe('SIGKILL');
    expect(existsSync(stateDir(root, 'c1'))).toBe(false);
    expect(refusal(() => loadState(root, 'c1'))).toBe('container does not exist: c1');
  });

  it('kills a created container without force: it never ran anything of the user’s', async () => {
    const { child } = await created();
    remove(root, 'c1');
    expect(await exited(child)).toBe('SIGKILL');
    expect(existsSync(stateDir(root, 'c1'))).toBe(false);
  });

  it('removes a stopped container and runs the poststop hooks with status "stopped"', async () => {
    const got = path.join(tmp, 'poststop.json');
    const { child } = await created('c1', { poststop: [saveStdin(got)] });
    child.kill('SIGKILL');
    await exited(child);
    remove(root, 'c1');
    expect(JSON.parse(readFileSync(got, 'utf8'))).toMatchObject({ id: 'c1', status: 'stopped', pid: 0 });
    expect(existsSync(stateDir(root, 'c1'))).toBe(false);
  });
});

describe('processes', () => {
  it('is init’s PID for a live container without a cgroup, and nothing once it stopped', async () => {
    const { state, child } = await created();
    expect(processes(root, 'c1')).toEqual([state.pid]);
    child.kill('SIGKILL');
    await exited(child);
    expect(processes(root, 'c1')).toEqual([]);
  });
});
