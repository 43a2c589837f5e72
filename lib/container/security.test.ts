// lib/container/security.ts: the security part of config.json the engine writes — docker's default
// capabilities, masked paths and seccomp, --privileged, --security-opt, --cap-add, --user.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMounts } from '../runtime/spec.js';
import type { HostConfig } from './records.js';
import { DOCKER_DEVICE_RULES, heldCapabilities, parseSecurityOpts, securitySpec } from './security.js';

const rootfs = mkdtempSync(path.join(os.tmpdir(), 'md-security-'));
mkdirSync(path.join(rootfs, 'etc'));
writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n');
writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nweb:x:33:\n');
const hc = (over: Partial<HostConfig> = {}) => ({ ...over }) as HostConfig;
const spec = (over: Partial<HostConfig> = {}, user = '') => securitySpec(hc(over), user, rootfs, { mounts: defaultMounts() });

describe("the engine's security defaults (docker's)", () => {
  it('give the 14 default capabilities in bounding, effective and permitted, none inheritable', () => {
    const s = spec();
    expect(s.process.capabilities!.bounding).toHaveLength(14);
    expect(s.process.capabilities!.effective).toEqual(s.process.capabilities!.bounding);
    expect(s.process.capabilities!.inheritable).toBeUndefined();
  });

  it('mask /proc/kcore and friends, make /proc/sys read-only, and compile the default seccomp profile', () => {
    const s = spec();
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.linux.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.devices).toEqual(DOCKER_DEVICE_RULES);
  });

  it('--privileged: every capability the engine holds, no seccomp, no masked paths, every device, /sys writable', () => {
    const s = spec({ Privileged: true });
    expect(s.process.capabilities!.bounding).toEqual(heldCapabilities());
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toEqual([]);
    expect(s.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(s.mounts.find((m) => m.destination === '/sys')!.options).not.toContain('ro');
  });

  it('--security-opt: no-new-privileges, seccomp=unconfined, systempaths=unconfined; unknown ones refused', () => {
    expect(spec({ SecurityOpt: ['no-new-privileges'] }).process.noNewPrivileges).toBe(true);
    expect(spec({ SecurityOpt: ['seccomp=unconfined'] }).linux.seccomp).toBeUndefined();
    expect(spec({ SecurityOpt: ['systempaths=unconfined'] }).linux.readonlyPaths).toEqual([]);
    expect(() => parseSecurityOpts(['selinux=off'])).toThrow('invalid --security-opt');
  });

  it('a seccomp profile that --cap-add widens: CAP_SYS_TIME brings clock_settime', () => {
    const names = (s: ReturnType<typeof spec>) => s.linux.seccomp!.syscalls!.flatMap((r) => r.names);
    expect(names(spec())).not.toContain('clock_settime');
    expect(names(spec({ CapAdd: ['SYS_TIME'] }))).toContain('clock_settime');
  });

  it('--user by name from the image, --read-only and --tmpfs with docker\'s options', () => {
    const s = spec({ ReadonlyRootfs: true, Tmpfs: { '/tmp': 'size=1m' } }, 'web');
    expect(s.process.user).toEqual({ uid: 33, gid: 33 });
    expect(s.home).toBe('/var/www');
    expect(s.readonly).toBe(true);
    expect(s.mounts.at(-1)).toEqual({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=1m'] });
  });
});
