// config.json: what `minidock-runtime spec` writes, and what parseSpec accepts, fills in, and
// refuses — each refusal a one-line EngineError that names the field, so a container never starts
// with a setting silently ignored.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { defaultMounts, defaultSpec, namespaceOf, OCI_VERSION, parseSpec, RLIMITS, type Spec } from './spec.js';

/** defaultSpec() with changes, as config.json text. */
function specText(change: (s: Spec & Record<string, unknown>) => void = () => {}): string {
  const s = defaultSpec() as Spec & Record<string, unknown>;
  change(s);
  return JSON.stringify(s);
}

/** The message of the EngineError parseSpec throws for this text (exit 125). */
function refusal(text: string): string {
  try {
    parseSpec(text);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).exitCode).toBe(125);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error(`parseSpec accepted ${text}`);
}

describe('defaultSpec', () => {
  it('runs sh in rootfs/ as root, with a PATH, like `runc spec`', () => {
    const s = defaultSpec();
    expect(s.ociVersion).toBe(OCI_VERSION);
    expect(s.process.args).toEqual(['sh']);
    expect(s.process.cwd).toBe('/');
    expect(s.process.user).toEqual({ uid: 0, gid: 0 });
    expect(s.process.env.some((e) => e.startsWith('PATH=/'))).toBe(true);
    expect(s.root).toEqual({ path: 'rootfs', readonly: false });
  });

  it('creates every namespace minidock can make, and no user namespace', () => {
    expect(defaultSpec().linux.namespaces.map((n) => n.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    expect(defaultSpec().linux.namespaces.every((n) => n.path === undefined)).toBe(true);
  });

  it('mounts /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys and /sys/fs/cgroup, in that order, as ordinary mounts', () => {
    const mounts = defaultSpec().mounts;
    expect(mounts.map((m) => [m.destination, m.type])).toEqual([
      ['/proc', 'proc'],
      ['/dev', 'tmpfs'],
      ['/dev/pts', 'devpts'],
      ['/dev/shm', 'tmpfs'],
      ['/dev/mqueue', 'mqueue'],
      ['/sys', 'sysfs'],
      ['/sys/fs/cgroup', 'cgroup'],
    ]);
    expect(mounts.find((m) => m.destination === '/sys')!.options).toContain('ro');
    expect(mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options).toContain('ro');
    expect(mounts.find((m) => m.destination === '/dev/pts')!.options).toContain('newinstance');
  });

  it('hides /proc/kcore and friends and makes /proc/sys read-only', () => {
    const { maskedPaths, readonlyPaths } = defaultSpec().linux;
    expect(maskedPaths).toContain('/proc/kcore');
    expect(readonlyPaths).toContain('/proc/sys');
  });

  it('hands out a fresh list of mounts each time, so a caller may change its copy', () => {
    const mine = defaultMounts();
    mine.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] });
    mine[0].options!.push('ro');
    expect(defaultMounts()).toHaveLength(7);
    expect(defaultMounts()[0].options).not.toContain('ro');
  });
});

describe('parseSpec', () => {
  it('accepts what defaultSpec writes and gives it back unchanged', () => {
    expect(parseSpec(JSON.stringify(defaultSpec()))).toEqual(defaultSpec());
  });

  it('fills in what the spec lets a config.json leave out: user root, no env, a writable root', () => {
    const s = parseSpec(specText((s) => {
      delete (s.process as Partial<Spec['process']>).user;
      delete (s.process as Partial<Spec['process']>).env;
      delete (s.root as Partial<Spec['root']>).readonly;
    }));
    expect(s.process.user).toEqual({ uid: 0, gid: 0 });
    expect(s.process.env).toEqual([]);
    expect(s.root.readonly).toBe(false);
  });

  it('accepts a config.json without linux and without mounts as a plain chroot', () => {
    const s = parseSpec(specText((s) => {
      delete (s as Partial<Spec>).linux;
      delete (s as Partial<Spec>).mounts;
    }));
    expect(s.linux.namespaces).toEqual([]);
    expect(s.mounts).toEqual([]);
  });

  it('ignores fields of other platforms, as runc does', () => {
    expect(() => parseSpec(specText((s) => (s.windows = { layerFolders: ['C:\\layers'] })))).not.toThrow();
  });

  it('keeps annotations, hooks that run on the host, and the namespaces to join', () => {
    const s = parseSpec(specText((s) => {
      s.annotations = { 'org.minidock.container.name': 'web' };
      s.hooks = { createRuntime: [{ path: '/usr/bin/net-setup', args: ['net-setup', 'up'] }], poststop: [{ path: '/bin/true' }] };
      s.linux.namespaces = [{ type: 'mount' }, { type: 'network', path: '/proc/42/ns/net' }];
    }));
    expect(s.annotations).toEqual({ 'org.minidock.container.name': 'web' });
    expect(s.hooks?.createRuntime?.[0].args).toEqual(['net-setup', 'up']);
    expect(namespaceOf(s, 'network')).toEqual({ type: 'network', path: '/proc/42/ns/net' });
    expect(namespaceOf(s, 'pid')).toBeUndefined();
  });

  it('infers type "bind" for a mount whose type is left out but whose options say bind or rbind', () => {
    const s = parseSpec(specText((s) => {
      s.mounts.push({ destination: '/data', source: '/srv/data', options: ['rbind', 'ro'] } as Spec['mounts'][number]);
      s.mounts.push({ destination: '/etc/hosts', source: '/run/hosts', options: ['bind'] } as Spec['mounts'][number]);
    }));
    expect(s.mounts.slice(-2).map((m) => m.type)).toEqual(['bind', 'bind']);
  });

  it('accepts the slave propagations for the rootfs and refuses shared', () => {
    expect(parseSpec(specText((s) => (s.linux.rootfsPropagation = 'rslave'))).linux.rootfsPropagation).toBe('rslave');
    expect(refusal(specText((s) => (s.linux.rootfsPropagation = 'shared')))).toBe(
      'config.json: linux.rootfsPropagation "shared": only private and slave are supported',
    );
  });

  it('refuses text that is not JSON, or JSON that is not an object', () => {
    expect(refusal('{"ociVersion": "1.0.2",')).toMatch(/^config\.json: not valid JSON: /);
    expect(refusal('null')).toBe('config.json: want a JSON object');
    expect(refusal('"sh"')).toBe('config.json: want a JSON object');
  });

  it('refuses an ociVersion other than 1.x', () => {
    expect(refusal(specText((s) => (s.ociVersion = '2.0.0')))).toBe('config.json: ociVersion "2.0.0": want 1.x');
    expect(refusal(specText((s) => delete (s as Partial<Spec>).ociVersion))).toBe('config.json: ociVersion undefined: want 1.x');
  });

  it('refuses a config.json without a process: it has no create-without-process mode', () => {
    expect(refusal(specText((s) => delete (s as Partial<Spec>).process))).toMatch(/^config\.json: process is missing/);
  });

  it('refuses process.args that are missing, empty, or not all strings', () => {
    const want = 'config.json: process.args: want a non-empty list of strings';
    expect(refusal(specText((s) => delete (s.process as Partial<Spec['process']>).args))).toBe(want);
    expect(refusal(specText((s) => (s.process.args = [])))).toBe(want);
    expect(refusal(specText((s) => (s.process.args = ['sh', 1 as unknown as string])))).toBe(want);
  });

  it('refuses a relative or missing working directory', () => {
    expect(refusal(specText((s) => (s.process.cwd = 'home/user')))).toBe('config.json: process.cwd "home/user": want an absolute path');
    expect(refusal(specText((s) => delete (s.process as Partial<Spec['process']>).cwd))).toBe('config.json: process.cwd undefined: want an absolute path');
  });

  it('refuses an env that is not a list of strings, and a uid that is not an integer', () => {
    expect(refusal(specText((s) => (s.process.env = 'PATH=/bin' as unknown as string[])))).toBe('config.json: process.env: want a list of strings');
    expect(refusal(specText((s) => (s.process.user = { uid: 0.5, gid: 0 })))).toBe('config.json: process.user: want integer uid and gid');
  });

  it('takes process.terminal (the runtime makes the pty: stage 7)', () => {
    expect(parseSpec(specText((s) => (s.process.terminal = true))).process.terminal).toBe(true);
  });

  it('refuses an rlimit it does not know, and takes the ones it does', () => {
    expect(refusal(specText((s) => (s.process.rlimits = [{ type: 'RLIMIT_BOGUS', hard: 1, soft: 1 }])))).toBe(
      'config.json: process.rlimits: unknown type "RLIMIT_BOGUS"',
    );
    const ok = parseSpec(specText((s) => (s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }])));
    expect(ok.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(RLIMITS.get('RLIMIT_NOFILE')).toBe(7);
  });

  it('refuses a config.json without root.path', () => {
    expect(refusal(specText((s) => (s.root = { path: '' })))).toBe('config.json: root.path is missing');
    expect(refusal(specText((s) => delete (s as Partial<Spec>).root))).toBe('config.json: root.path is missing');
  });

  it('refuses a user namespace, creating or joining, and says why', () => {
    const m = refusal(specText((s) => s.linux.namespaces.push({ type: 'user' })));
    expect(m).toMatch(/^config\.json: linux\.namespaces: "user" is not supported \(a Node process cannot create or join a user namespace/);
    expect(refusal(specText((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' })))).toBe(m);
    expect(refusal(specText((s) => s.linux.namespaces.push({ type: 'time' })))).toMatch(/"time" is not supported/);
  });

  it('refuses mounts without a mount namespace: they would land on the host', () => {
    const text = specText((s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'mount')));
    expect(refusal(text)).toBe('config.json: mounts need a mount namespace: without one they would land on the host');
  });

  it('counts a joined mount namespace as one for the mounts', () => {
    const text = specText((s) => (s.linux.namespaces = [{ type: 'mount', path: '/proc/42/ns/mnt' }]));
    expect(parseSpec(text).mounts).toHaveLength(7);
  });

  it('refuses a mount type it cannot mount, and a relative destination', () => {
    const nfs = specText((s) => s.mounts.push({ destination: '/nfs', type: 'nfs', source: 'server:/export' }));
    expect(refusal(nfs)).toBe('config.json: mounts: type "nfs" at /nfs is not supported');
    const untyped = specText((s) => s.mounts.push({ destination: '/x', source: '/srv', options: ['ro'] } as Spec['mounts'][number]));
    expect(refusal(untyped)).toBe('config.json: mounts: type undefined at /x is not supported');
    const relative = specText((s) => s.mounts.push({ destination: 'data', type: 'bind', source: '/srv', options: ['rbind'] }));
    expect(refusal(relative)).toBe('config.json: mounts: destination "data" must be an absolute path');
  });

  it('refuses a seccomp section with an action libseccomp does not know', () => {
    expect(refusal(specText((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_MAYBE' })))).toMatch(/^config.json: linux.seccomp: defaultAction "SCMP_ACT_MAYBE" is not one of/);
  });

  it('refuses hooks that would run inside the container, and hook kinds it does not know', () => {
    const hook = [{ path: '/bin/true' }];
    expect(refusal(specText((s) => (s.hooks = { createContainer: hook })))).toBe(
      'config.json: hooks.createContainer: hooks that run inside the container are not supported',
    );
    expect(refusal(specText((s) => (s.hooks = { startContainer: hook })))).toBe(
      'config.json: hooks.startContainer: hooks that run inside the container are not supported',
    );
    expect(refusal(specText((s) => (s.hooks = { prestop: hook } as Spec['hooks'])))).toBe('config.json: hooks.prestop: unknown hook');
    expect(() => parseSpec(specText((s) => (s.hooks = { createContainer: [] })))).not.toThrow(); // an empty list asks for nothing
  });
});

describe('linux.seccomp (stage 8)', () => {
  it('is accepted in OCI form and refused with a comparison the compiler does not implement', () => {
    const ok = parseSpec(specText((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] })));
    expect(ok.linux.seccomp?.syscalls?.[0].names).toEqual(['read']);
    expect(refusal(specText((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LT' }] }] })))).toMatch(/comparison "SCMP_CMP_LT" is not supported/);
  });
});
