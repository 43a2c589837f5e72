// checks/layerfs.ts' hostPaths: where a container's mount source lies on the host, worked out from
// hand-written mountinfo lines (root field, the source filesystem's mount point, bind mounts).

import { describe, expect, it } from 'vitest';
import { hostPaths, type MountLine } from './layerfs.js';

const line = (device: string, root: string, point: string): MountLine => ({ device, root, point, fstype: 'ext4', source: '/dev/x', superOptions: 'rw' });

describe('hostPaths', () => {
  it('is the root field itself when the filesystem is mounted at "/"', () => {
    const host = [line('8:1', '/', '/')];
    expect(hostPaths(line('8:1', '/var/lib/minidock/containers/a/hosts', '/etc/hosts'), host)).toEqual(['/var/lib/minidock/containers/a/hosts']);
  });

  it('adds the mount point of the source filesystem when the state directory is a mount of its own', () => {
    const host = [line('8:1', '/', '/'), line('7:3', '/', '/var/lib/minidock')];
    expect(hostPaths(line('7:3', '/containers/a/hosts', '/etc/hosts'), host)).toEqual(['/var/lib/minidock/containers/a/hosts']);
  });

  it('strips the root of a host bind mount that shows only part of the filesystem', () => {
    const host = [line('8:2', '/data/minidock', '/var/lib/minidock')];
    expect(hostPaths(line('8:2', '/data/minidock/containers/a/hosts', '/etc/hosts'), host)).toEqual(['/var/lib/minidock/containers/a/hosts']);
  });

  it('finds nothing when the host does not show that part of the filesystem or that device', () => {
    const host = [line('8:2', '/data/minidock', '/var/lib/minidock'), line('8:1', '/', '/')];
    expect(hostPaths(line('8:2', '/data/other/x', '/etc/hosts'), host)).toEqual([]);
    expect(hostPaths(line('9:9', '/x', '/etc/hosts'), host)).toEqual([]);
  });
});
