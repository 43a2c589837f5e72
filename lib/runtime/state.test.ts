// The runtime's record of a container, and its status read off the world: this test process
// stands in for a live init (its own PID and start time), a finished child for a dead one, and a
// file at exec.fifo for init still waiting for `start`.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { processStartTime } from '../proc.js';
import { checkId, execFifoPath, listIds, loadState, ociState, saveState, stateDir, statusOf, type RuntimeState } from './state.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'minidock-runtime-state-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A state whose init is this very process. */
function stateOf(over: Partial<RuntimeState> = {}): RuntimeState {
  return {
    ociVersion: '1.0.2',
    id: 'c1',
    pid: process.pid,
    pidStartTime: processStartTime(process.pid)!,
    bundle: '/srv/bundle',
    rootfs: '/srv/bundle/rootfs',
    created: '2026-12-01T00:00:00.000Z',
    cgroupPath: 'minidock/c1',
    ...over,
  };
}

/** The PID of a process that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync('true');
  expect(r.status).toBe(0);
  return r.pid!;
}

/** The fifo init waits on; a plain file is enough: statusOf only asks whether it is there. */
function makeFifo(id: string): void {
  mkdirSync(stateDir(root, id), { recursive: true });
  writeFileSync(execFifoPath(root, id), '');
}

describe('checkId', () => {
  it('accepts runc’s id characters: letters, digits, _ + - .', () => {
    for (const id of ['c1', 'my-ctr_1.2', 'a+b', 'x'.repeat(1024), 'C0FFEE']) expect(() => checkId(id)).not.toThrow();
  });

  it('refuses ids that would not be a safe directory or cgroup name, with runc’s message', () => {
    for (const id of ['', '.', '..', 'a/b', '../etc', 'a b', 'tab\tid', 'é', 'x'.repeat(1025)]) {
      expect(() => checkId(id)).toThrow(new EngineError(`invalid container id format: ${id}`));
    }
  });
});

describe('saveState and loadState', () => {
  it('writes <root>/<id>/state.json and reads it back', () => {
    const s = stateOf({ annotations: { a: 'b' } });
    mkdirSync(stateDir(root, s.id));
    saveState(root, s);
    expect(loadState(root, 'c1')).toEqual(s);
    expect(stateDir(root, 'c1')).toBe(path.join(root, 'c1'));
  });

  it('says "container does not exist" for an id without a state', () => {
    expect(() => loadState(root, 'nope')).toThrow(new EngineError('container does not exist: nope'));
  });

  it('checks the id before it reads anything', () => {
    expect(() => loadState(root, '../c1')).toThrow('invalid container id format: ../c1');
  });

  it('lists only the ids that have a state.json, sorted, and nothing for a missing root', () => {
    for (const id of ['b', 'a']) {
      mkdirSync(stateDir(root, id));
      saveState(root, stateOf({ id }));
    }
    makeFifo('half-created'); // a directory without state.json yet
    expect(listIds(root)).toEqual(['a', 'b']);
    expect(listIds(path.join(root, 'not-there'))).toEqual([]);
  });
});

describe('statusOf', () => {
  it('is "created" while init is alive and exec.fifo exists', () => {
    makeFifo('c1');
    expect(statusOf(root, stateOf())).toBe('created');
  });

  it('is "running" once exec.fifo is gone (start removed it)', () => {
    makeFifo('c1');
    unlinkSync(execFifoPath(root, 'c1'));
    expect(statusOf(root, stateOf())).toBe('running');
  });

  it('is "stopped" when init’s PID is dead, fifo or not', () => {
    makeFifo('c1');
    expect(statusOf(root, stateOf({ pid: deadPid() }))).toBe('stopped');
    expect(statusOf(root, stateOf({ pid: 0 }))).toBe('stopped');
  });

  it('is "stopped" when the PID now belongs to a process that started at another time', () => {
    makeFifo('c1');
    const other = String(Number(processStartTime(process.pid)) + 1);
    expect(statusOf(root, stateOf({ pidStartTime: other }))).toBe('stopped');
  });
});

describe('ociState', () => {
  it('is the spec’s state object with the status read now', () => {
    makeFifo('c1');
    expect(ociState(root, stateOf({ annotations: { 'org.minidock.container.name': 'web' } }))).toEqual({
      ociVersion: '1.0.2',
      id: 'c1',
      pid: process.pid,
      status: 'created',
      bundle: '/srv/bundle',
      rootfs: '/srv/bundle/rootfs',
      created: '2026-12-01T00:00:00.000Z',
      owner: '',
      annotations: { 'org.minidock.container.name': 'web' },
    });
  });

  it('shows pid 0 for a stopped container, as runc does, and no annotations key when there are none', () => {
    const s = ociState(root, stateOf({ pid: deadPid() }));
    expect(s.status).toBe('stopped');
    expect(s.pid).toBe(0);
    expect(s).not.toHaveProperty('annotations');
  });
});
