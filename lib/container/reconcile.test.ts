// Recovery after a lost monitor (reconcile.ts): what a verb records and undoes for a container
// whose monitor died, and what it leaves alone. Everything runs in a temp MINIDOCK_ROOT, with
// the recording fake Sys, on vfs records (nothing to unmount) at stage 1 (no network).

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { RecordingSys } from '../sys/fake.js';
import { reconcile, reconcileAll } from './reconcile.js';
import { ensureDir, loadContainer, newState, saveContainer, saveHostConfig, type Container, type HostConfig } from './state.js';

let tmp: string;
let p: Paths;
const sys = new RecordingSys();

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-reconcile-test-'));
  p = paths({ MINIDOCK_ROOT: tmp });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A PID no process can have: above the kernel's largest pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 1;
const ID = 'ab12' + '0'.repeat(60);

function add(state: Partial<Container['State']>, monitor: number, autoRemove = false): Container {
  const c: Container = {
    ID, Created: '2026-01-01T00:00:00Z', Path: 'sh', Args: [],
    Config: {
      Hostname: ID.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
      OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sh'], Image: 'busybox', WorkingDir: '', Entrypoint: null, Labels: {},
    },
    State: { ...newState(), ...state }, Image: 'sha256:0', Name: '/lost', Driver: 'vfs', OS: 'linux', LogPath: '',
    GraphDriver: { Name: 'vfs', Data: {} }, Minidock: { InitStartTime: '123', Stage: 1, MonitorPid: monitor },
  };
  ensureDir(p.container(ID));
  saveContainer(p, c);
  saveHostConfig(p, ID, { AutoRemove: autoRemove } as HostConfig);
  // what a start leaves behind: the bundle, and a runtime state directory
  mkdirSync(p.bundle(ID), { recursive: true });
  writeFileSync(path.join(p.bundle(ID), 'config.json'), '{}');
  mkdirSync(path.join(p.runtimeRoot, ID), { recursive: true });
  return c;
}

const running = { Status: 'running' as const, Running: true, Pid: DEAD_PID, StartedAt: '2026-01-01T00:00:01Z' };

describe('reconcile', () => {
  it('records "exited (255), monitor lost" for a running container whose init and monitor are both gone, and undoes its bundle and runtime state', () => {
    const c = reconcile(p, sys, add(running, DEAD_PID));
    expect(c.State).toMatchObject({ Status: 'exited', Running: false, Pid: 0, ExitCode: 255, Error: 'monitor lost: exit status unknown' });
    expect(loadContainer(p, ID).State.Status).toBe('exited'); // and saved
    expect(existsSync(p.bundle(ID))).toBe(false);
    expect(existsSync(path.join(p.runtimeRoot, ID))).toBe(false);
  });

  it('records 128 + the signal when the caller saw PID 1 die of the signal it sent (stop: 137)', () => {
    const c = reconcile(p, sys, add(running, DEAD_PID), 9);
    expect(c.State).toMatchObject({ Status: 'exited', ExitCode: 137, Error: '' });
  });

  it('honours --rm: the container is removed once it is set right', () => {
    reconcile(p, sys, add(running, DEAD_PID, true));
    expect(existsSync(p.container(ID))).toBe(false);
  });

  it('turns a start whose monitor died into a failed start: created, exit 125, the reason, nothing left of the runtime', () => {
    const c = reconcile(p, sys, add({ Status: 'created' }, DEAD_PID));
    expect(c.State).toMatchObject({ Status: 'created', Running: false, ExitCode: 125 });
    expect(c.State.Error).toMatch(/start interrupted/);
    expect(existsSync(path.join(p.runtimeRoot, ID))).toBe(false);
    expect(loadContainer(p, ID).Minidock.MonitorPid).toBe(0); // and only once
  });

  it('leaves a container alone while its monitor lives (the monitor will record the exit)', () => {
    const monitor = process.ppid; // alive, and not this process
    expect(reconcile(p, sys, add(running, monitor)).State.Status).toBe('running');
    expect(existsSync(p.bundle(ID))).toBe(true);
  });

  it('leaves a created container that was never started alone', async () => {
    add({ Status: 'created' }, 0);
    await reconcileAll(p);
    expect(loadContainer(p, ID).State).toMatchObject({ Status: 'created', Error: '' });
    expect(existsSync(p.bundle(ID))).toBe(true);
  });
});
