// rename: the record's Name changes under the names lock; a name taken by a container or by a
// `run` that is reserving it right now is refused with docker's Conflict error.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { renameContainer } from './rename.js';
import { reserveName } from './reserve.js';
import { loadContainer, newState, saveContainer, type Container } from './state.js';

let base: string;
let p: Paths;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'minidock-rename-test-'));
  p = paths({ MINIDOCK_ROOT: path.join(base, 'root'), MINIDOCK_RUN: path.join(base, 'run') });
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);

/** Just enough of a record for rename: a name, a state, a user network's DNS names. */
function container(id: string, name: string): Container {
  const c = {
    ID: id, Name: `/${name}`, Created: new Date().toISOString(), State: { ...newState(), Status: 'running', Running: true },
    NetworkSettings: { Networks: { front: { DNSNames: [name, id.slice(0, 12)] } } },
  } as unknown as Container;
  mkdirSync(p.container(id), { recursive: true });
  saveContainer(p, c);
  return c;
}

describe('renameContainer', () => {
  it('changes the name and the name it answers to on a user network, nothing else', () => {
    container(ID_A, 'web');
    renameContainer(p, 'web', '/site');
    const c = loadContainer(p, ID_A);
    expect(c.Name).toBe('/site');
    expect(c.State.Status).toBe('running');
    expect(c.NetworkSettings.Networks.front.DNSNames).toEqual(['site', ID_A.slice(0, 12)]);
  });

  it('refuses a name another container has, naming that container', () => {
    container(ID_A, 'web');
    container(ID_B, 'db');
    expect(() => renameContainer(p, 'db', 'web')).toThrow(`Conflict. The container name "/web" is already in use by container "${ID_A}"`);
    expect(loadContainer(p, ID_B).Name).toBe('/db');
  });

  it('refuses a name a run is reserving right now (its record not written yet)', () => {
    container(ID_A, 'web');
    reserveName(p, 'site', ID_B);
    expect(() => renameContainer(p, 'web', 'site')).toThrow(`is already in use by container "${ID_B}"`);
  });

  it('refuses the same name and an invalid one with docker’s messages', () => {
    container(ID_A, 'web');
    expect(() => renameContainer(p, 'web', 'web')).toThrow('Renaming a container with the same name as its current name');
    expect(() => renameContainer(p, 'web', 'a b')).toThrow('Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    expect(() => renameContainer(p, 'web', 'x')).toThrow('Invalid container name (x)');
  });
});
