// Container state on disk: atomic JSON writes, listing, finding a container by name or ID
// prefix with docker's messages, and telling a live init from a dead one.
// Everything runs in a temp MINIDOCK_ROOT.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { paths, type Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import {
  ensureDir, findContainer, initAlive, listContainers, loadContainer, loadHostConfig, monitorAlive, newState, saveContainer,
  saveHostConfig, ZERO_TIME, type Container, type HostConfig,
} from './state.js';

let tmp: string;
let p: Paths;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-state-test-'));
  p = paths({ MINIDOCK_ROOT: tmp });
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A PID no process can have: above the kernel's largest pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 1;

function container(id: string, name: string, created: string, over: Partial<Container> = {}): Container {
  return {
    ID: id, Created: created, Path: 'sh', Args: [],
    Config: {
      Hostname: id.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
      OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sh'], Image: 'busybox', WorkingDir: '', Entrypoint: null, Labels: {},
    },
    State: newState(), Image: 'sha256:0', Name: name, Driver: 'vfs', OS: 'linux', LogPath: '',
    GraphDriver: { Name: 'vfs', Data: {} }, Minidock: { InitStartTime: '', Stage: 1, MonitorPid: 0 },
    ...over,
  };
}

function add(c: Container): Container {
  ensureDir(p.container(c.ID));
  saveContainer(p, c);
  return c;
}

const ID_A = 'ab12' + '0'.repeat(60);
const ID_B = 'ab34' + '1'.repeat(60);
const ID_C = 'cd56' + '2'.repeat(60);

describe('save and load', () => {
  it('round-trips config.v2.json and hostconfig.json under containers/<id>/', () => {
    const c = add(container(ID_A, '/web', '2026-01-01T00:00:00Z'));
    const hc = { AutoRemove: true, NetworkMode: 'none' } as HostConfig;
    saveHostConfig(p, c.ID, hc);
    expect(existsSync(path.join(tmp, 'containers', ID_A, 'config.v2.json'))).toBe(true);
    expect(loadContainer(p, ID_A)).toEqual(c);
    expect(loadHostConfig(p, ID_A)).toEqual(hc);
  });

  it('starts a container in state "created" with Go’s zero time, as docker does', () => {
    expect(newState()).toMatchObject({ Status: 'created', Running: false, Pid: 0, ExitCode: 0, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME });
    expect(ZERO_TIME).toBe('0001-01-01T00:00:00Z');
  });
});

describe('listContainers', () => {
  it('is empty when there is no containers directory yet', () => {
    expect(listContainers(p)).toEqual([]);
  });

  it('lists the newest first and skips a directory without config.v2.json (a run still being created)', () => {
    add(container(ID_A, '/old', '2026-01-01T00:00:00Z'));
    add(container(ID_C, '/new', '2026-06-01T00:00:00Z'));
    mkdirSync(p.container('ef' + '3'.repeat(62)));
    writeFileSync(path.join(p.containers, 'stray-file'), 'x'); // not a directory at all
    expect(listContainers(p).map((c) => c.Name)).toEqual(['/new', '/old']);
  });
});

describe('findContainer', () => {
  beforeEach(() => {
    add(container(ID_A, '/web', '2026-01-01T00:00:00Z'));
    add(container(ID_B, '/db', '2026-01-02T00:00:00Z'));
    add(container(ID_C, '/ab12', '2026-01-03T00:00:00Z')); // a name that looks like A's ID prefix
  });

  it('finds a container by its name, with or without the leading "/"', () => {
    expect(findContainer(p, 'web').ID).toBe(ID_A);
    expect(findContainer(p, '/web').ID).toBe(ID_A);
  });

  it('finds a container by its full ID or a unique prefix of it', () => {
    expect(findContainer(p, ID_B).Name).toBe('/db');
    expect(findContainer(p, 'ab3').Name).toBe('/db');
    expect(findContainer(p, 'cd').Name).toBe('/ab12');
  });

  it('prefers a name over an ID prefix, as docker does', () => {
    expect(findContainer(p, 'ab12').ID).toBe(ID_C);
  });

  it('refuses an ambiguous prefix with docker’s message (exit 125)', () => {
    let err: unknown;
    try {
      findContainer(p, 'ab');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe('multiple IDs found with provided prefix: ab');
    expect((err as EngineError).exitCode).toBe(125);
  });

  it('says "no such container" with exit 1 (a per-object failure, as in docker rm)', () => {
    let err: unknown;
    try {
      findContainer(p, 'nope');
    } catch (e) {
      err = e;
    }
    expect((err as EngineError).message).toBe('no such container: nope');
    expect((err as EngineError).exitCode).toBe(1);
  });
});

describe('initAlive', () => {
  const running = (pid: number, start: string, monitor: number) => ({
    State: { ...newState(), Status: 'running' as const, Running: true, Pid: pid, StartedAt: '2026-01-01T00:00:00Z' },
    Minidock: { InitStartTime: start, Stage: 1, MonitorPid: monitor },
  });

  it('knows a live init by its PID and start time, and a reused PID by a different start time', () => {
    const start = processStartTime(process.pid)!;
    expect(initAlive(container(ID_A, '/a', 'x', running(process.pid, start, 0)))).toBe(true);
    expect(initAlive(container(ID_A, '/a', 'x', running(process.pid, start + '1', 0)))).toBe(false);
    expect(initAlive(container(ID_A, '/a', 'x', running(DEAD_PID, start, 0)))).toBe(false);
  });

  it('monitorAlive: a live monitor process, not a dead one, nor none (MonitorPid 0)', () => {
    const start = processStartTime(process.pid)!;
    const withMonitor = (m: number) => container(ID_A, '/a', 'x', running(process.pid, start, m));
    expect(monitorAlive(withMonitor(process.pid))).toBe(true);
    expect(monitorAlive(withMonitor(DEAD_PID))).toBe(false);
    expect(monitorAlive(withMonitor(0))).toBe(false);
  });
});
