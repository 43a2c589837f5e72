// IpBatch: the `ip` commands typed by createVeth & co. as one `ip -batch -` per namespace.

import { describe, expect, it } from 'vitest';
import { IpBatch } from './batch.js';
import { RecordingRun } from './fake.js';
import { loopbackUp } from './netns.js';
import { addDefaultRoute } from './routes.js';
import { createVeth } from './veth.js';

const veth = { host: 'veth1234567', pid: 4242, ifname: 'eth0', bridge: 'minidock0', mac: '02:42:ac:11:00:02', cidr: '172.17.0.2/16' };

describe('IpBatch', () => {
  it('runs a container’s plug-in as two processes: one on the host, one inside its namespace, in the order typed', () => {
    const r = new RecordingRun();
    const batch = new IpBatch(r.run);
    createVeth(veth, batch.run);
    addDefaultRoute(4242, '172.17.0.1', batch.run);
    loopbackUp(4242, batch.run);
    expect(r.lines()).toEqual(['ip -batch -']); // the host's batch ran when the first nsenter came
    batch.flush();
    expect(r.commands).toEqual([
      { line: 'ip -batch -', input: 'link add veth1234567 type veth peer name eth0 address 02:42:ac:11:00:02 netns 4242\nlink set veth1234567 master minidock0 up\n' },
      { line: 'nsenter --net=/proc/4242/ns/net ip -batch -', input: 'addr add 172.17.0.2/16 dev eth0\nlink set eth0 up\nroute add default via 172.17.0.1\nlink set lo up\n' },
    ]);
    batch.flush();
    expect(r.commands).toHaveLength(2); // nothing left to run
  });

  it('runs a command it cannot batch (its output is read, or its failure allowed) at once, after what was collected', () => {
    const r = new RecordingRun();
    const batch = new IpBatch(r.run);
    batch.run('ip', ['link', 'set', 'x', 'up']);
    batch.run('ip', ['-j', 'link', 'show']);
    batch.run('ip', ['link', 'del', 'y'], { allowFail: true });
    expect(r.lines()).toEqual(['ip -batch -', 'ip -j link show', 'ip link del y']);
  });

  it('runs the host’s batch when the first command for the namespace comes, and names the command that failed, with the kernel’s reason, as a one-line error', () => {
    const r = new RecordingRun();
    r.answers = [['ip -batch', { status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:2\n' }]];
    const batch = new IpBatch(r.run);
    expect(() => createVeth(veth, batch.run)).toThrow('ip link set veth1234567 master minidock0 up: RTNETLINK answers: File exists');
  });
});
