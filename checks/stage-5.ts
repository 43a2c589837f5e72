// Stage 5 — networking: bridge, veth, IPAM, routes, NAT, published ports, the four modes.
// Each check observes from the host (ip -j, nft -j, /proc/<pid>/ns/net, the state dir) unless it
// says "inside". See stages/05-networking/README.md.
//
// Traffic goes only to loopback and to addresses of namespaces these checks create themselves:
// "the outside world" is a test host, a network namespace joined to the host by a veth on a small
// subnet of its own (10.250.x.y/30), removed afterwards. Every probe has a time limit.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { assert, assertEqual, assertFailures, CheckFailure, engine, exec, md, mdOk, nsLink, sleep, startDetached, type Context, type Stage } from './harness.js';

const BRIDGE = 'minidock0';
const SUBNET = '172.17.0.0/16';
const GATEWAY = '172.17.0.1';
const PUBLISHED = 8080;
const root = () => process.env.MINIDOCK_ROOT || '/var/lib/minidock';

// ---------------------------------------------------------------------------------------------
// Reading the kernel's network state

interface Link {
  ifindex: number;
  ifname: string;
  link_index?: number;
  master?: string;
  flags: string[];
  operstate?: string;
}
interface Addr extends Link {
  addr_info: { family: string; local: string; prefixlen: number }[];
}

async function ipJson<T>(args: string[], pid?: number): Promise<T> {
  const [cmd, argv] = pid ? ['nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', ...args]] : ['ip', ['-j', ...args]];
  const r = await exec(cmd, argv as string[], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new CheckFailure(`${cmd} ${(argv as string[]).join(' ')}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout || '[]') as T;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inSubnet(ip: string, cidr: string): boolean {
  const n = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const [net, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && n(ip) >= n(net) && n(ip) < n(net) + size;
}

/** The container's eth0 address (read from the host through its network namespace). */
async function eth0(pid: number): Promise<{ ip: string; prefix: number; peerIndex: number | undefined }> {
  const addrs = await ipJson<Addr[]>(['addr', 'show'], pid);
  const eth = addrs.find((a) => a.ifname === 'eth0');
  if (!eth) throw new CheckFailure(`the container has no eth0 (interfaces: ${addrs.map((a) => a.ifname).join(', ')})`);
  const v4 = eth.addr_info.find((a) => a.family === 'inet');
  if (!v4) throw new CheckFailure('eth0 has no IPv4 address');
  return { ip: v4.local, prefix: v4.prefixlen, peerIndex: eth.link_index };
}

async function inspectJson<T>(ctx: Context, name: string, field: string): Promise<T> {
  return JSON.parse((await mdOk(ctx, ['inspect', '-f', `{{json ${field}}}`, name])).trim()) as T;
}

function leasesHeldBy(ids: string[]): string[] {
  const dir = path.join(root(), 'network');
  if (!existsSync(dir)) return [];
  const held: string[] = [];
  for (const net of readdirSync(dir)) {
    const file = path.join(dir, net, 'leases.json');
    if (!existsSync(file)) continue;
    const leases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    for (const [ip, id] of Object.entries(leases)) if (ids.includes(id)) held.push(`${ip} (${id.slice(0, 12)})`);
  }
  return held;
}

/** The rules of our nft table, with their comments ([] when there is no table). */
async function nftRules(): Promise<{ chain: string; comment?: string; text: string }[]> {
  const r = await exec('nft', ['-j', 'list', 'table', 'ip', 'minidock'], { timeoutMs: 10_000 });
  if (r.code !== 0) return [];
  const items = (JSON.parse(r.stdout) as { nftables: { rule?: { chain: string; comment?: string; expr: unknown } }[] }).nftables;
  return items.flatMap((i) => (i.rule ? [{ chain: i.rule.chain, comment: i.rule.comment, text: JSON.stringify(i.rule.expr) }] : []));
}

/** GET a URL from the host itself, with a time limit. */
function httpGet(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A TCP port nothing on the host listens on now (the kernel picks it). */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Retry a probe a bounded number of times (a server inside takes a moment to listen). */
async function eventually<T>(what: string, probe: () => Promise<T>, tries = 15, pauseMs = 200): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await probe();
    } catch (e) {
      last = e;
      await sleep(pauseMs);
    }
  }
  throw new CheckFailure(`${what}: ${(last as Error)?.message ?? last}`);
}

// ---------------------------------------------------------------------------------------------
// The test "outside host": a namespace of ours, joined to the host by a veth on a /30 of its own

interface OutsideHost {
  ns: string;
  /** the host's address on the link: what the outside host sees as "the host" */
  hostAddr: string;
  /** the outside host's own address */
  addr: string;
  /** run a command inside it (bounded) */
  run(args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** serve `dir` with busybox httpd on addr:port (CGI under /cgi-bin) */
  serve(dir: string, port: number): ChildProcess;
  close(): Promise<void>;
}

async function outsideHost(): Promise<OutsideHost> {
  // named after this process, so that two check runs at once keep apart (≤ 15 chars for the link)
  const ns = `mdcko${process.pid}`;
  const hostIf = ns;
  // leftovers of interrupted runs (their process is gone): ours by name, so ours to delete
  for (const line of (await exec('ip', ['netns', 'list'])).stdout.split('\n')) {
    const m = /^mdcko(\d+)/.exec(line);
    if (m && !pidAlive(Number(m[1]))) {
      await exec('ip', ['link', 'del', `mdcko${m[1]}`]);
      await exec('ip', ['netns', 'del', `mdcko${m[1]}`]);
    }
  }
  // a /30 of 10.250.0.0/24 that no route of this host covers, starting at a place of our own
  const routes = (await ipJson<{ dst: string }[]>(['-4', 'route', 'show', 'table', 'all'])).map((r) => r.dst).filter((d) => /^\d/.test(d));
  let base = -1;
  for (let i = 0; i < 64 && base < 0; i++) {
    const b = (((process.pid % 64) + i) % 64) * 4;
    const cidr = `10.250.0.${b}/30`;
    const clash = routes.some((r) => {
      const [a, l = '32'] = r.split('/');
      return inSubnet(a, cidr) || inSubnet(`10.250.0.${b}`, `${a}/${l}`);
    });
    if (!clash) base = b;
  }
  if (base < 0) throw new CheckFailure('no free 10.250.0.x/30 for the test outside host');
  const hostAddr = `10.250.0.${base + 1}`;
  const addr = `10.250.0.${base + 2}`;
  const steps: string[][] = [
    ['ip', 'netns', 'add', ns],
    ['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
    ['ip', 'addr', 'add', `${hostAddr}/30`, 'dev', hostIf],
    ['ip', 'link', 'set', hostIf, 'up'],
    ['ip', '-n', ns, 'addr', 'add', `${addr}/30`, 'dev', 'eth0'],
    ['ip', '-n', ns, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
  ];
  const servers: ChildProcess[] = [];
  const close = async () => {
    for (const s of servers) s.kill('SIGKILL');
    await exec('ip', ['link', 'del', hostIf]);
    await exec('ip', ['netns', 'del', ns]);
  };
  for (const [cmd, ...args] of steps) {
    const r = await exec(cmd, args, { timeoutMs: 10_000 });
    if (r.code !== 0) {
      await close();
      throw new CheckFailure(`setting up the test outside host: ${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  }
  return {
    ns, hostAddr, addr,
    run: (args, timeoutMs = 5000) => exec('ip', ['netns', 'exec', ns, ...args], { timeoutMs }),
    serve(dir, port) {
      const s = spawn('ip', ['netns', 'exec', ns, 'busybox', 'httpd', '-f', '-p', `${addr}:${port}`, '-h', dir], { stdio: 'ignore' });
      servers.push(s);
      return s;
    },
    close,
  };
}

/** A web root whose /cgi-bin/ip answers with the client's address as the server saw it. */
function whoAmIRoot(): string {
  const dir = mkdtempSync('/tmp/mdcheck-www-');
  mkdirSync(path.join(dir, 'cgi-bin'));
  writeFileSync(path.join(dir, 'index.html'), 'outside\n');
  writeFileSync(path.join(dir, 'cgi-bin', 'ip'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n');
  chmodSync(path.join(dir, 'cgi-bin', 'ip'), 0o755);
  return dir;
}

/** A container serving "NAME" on port 80 with busybox httpd. */
function webServer(name: string): string[] {
  return ['sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 80 -h /www`];
}

/** busybox's wget -T crashes in busybox 1.35: bound it with timeout(1) instead. */
const WGET = (url: string) => `timeout 3 wget -qO- ${url}`;

export const stage: Stage = {
  n: 5,
  title: 'networking',
  checks: [
    {
      name: 'bridge mode: eth0 has an address in 172.17.0.0/16, the default route goes via 172.17.0.1, and the host end is a veth on minidock0',
      hint: 'lib/network/veth.ts (the pair, eth0 inside), ipam.ts (the address), routes.ts; compare `nsenter --net=/proc/<pid>/ns/net ip -j addr` with `ip -j link show master minidock0`',
      async run(ctx) {
        const name = ctx.name('bridge');
        const { pid } = await startDetached(ctx, name);
        const e = await eth0(pid);
        assert(inSubnet(e.ip, SUBNET), `eth0 is ${e.ip}/${e.prefix}, not in ${SUBNET}`);
        assertEqual(e.prefix, 16, 'eth0 prefix length');
        const routes = await ipJson<{ dst: string; gateway?: string; dev: string }[]>(['route', 'show'], pid);
        const def = routes.find((r) => r.dst === 'default');
        assert(def, `no default route inside (routes: ${routes.map((r) => r.dst).join(', ')})`);
        assertEqual(def.gateway, GATEWAY, 'default route gateway');
        const hostLinks = await ipJson<Link[]>(['link', 'show']);
        const peer = hostLinks.find((l) => l.ifindex === e.peerIndex);
        assert(peer, `eth0's peer (ifindex ${e.peerIndex}) is not in the host's namespace`);
        assert(peer.ifname.startsWith('veth') && peer.ifname.length <= 15, `the host end is called "${peer.ifname}"`);
        assertEqual(peer.master, BRIDGE, `master of ${peer.ifname}`);
        const bridgeAddrs = await ipJson<Addr[]>(['addr', 'show', 'dev', BRIDGE]);
        assert(bridgeAddrs[0]?.addr_info.some((a) => a.local === GATEWAY && a.prefixlen === 16), `${BRIDGE} does not hold ${GATEWAY}/16`);
        const inspected = (await mdOk(ctx, ['inspect', '-f', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}}', name])).trim().split(' ');
        assertEqual(inspected.slice(0, 2), [e.ip, GATEWAY], 'inspect NetworkSettings IPAddress, Gateway');
        assert(/^02:42(:[0-9a-f]{2}){4}$/.test(inspected[2]), `inspect MacAddress is "${inspected[2]}"`);
      },
    },
    {
      name: 'two containers get different addresses and ping each other across the bridge',
      hint: 'IPAM leases (lib/network/ipam.ts) and the bridge switching between veths; try `ping` from one container to the other',
      async run(ctx) {
        const a = await startDetached(ctx, ctx.name('ping-a'));
        const b = await startDetached(ctx, ctx.name('ping-b'));
        const [ea, eb] = [await eth0(a.pid), await eth0(b.pid)];
        assert(ea.ip !== eb.ip, `both containers have ${ea.ip}`);
        for (const [from, to] of [[a.pid, eb.ip], [b.pid, ea.ip]] as const) {
          const r = await exec('nsenter', [`--net=/proc/${from}/ns/net`, 'busybox', 'ping', '-c', '3', '-w', '5', to], { timeoutMs: 8000 }); // one lost packet is not a failure
          assert(r.code === 0, `ping from ${from === a.pid ? 'a' : 'b'} to ${to} failed: ${(r.stdout + r.stderr).trim().split('\n').pop()}`);
        }
      },
    },
    {
      name: 'outbound: a container reaches the test outside host, which sees the host’s address (MASQUERADE)',
      hint: 'net.ipv4.ip_forward=1, and the masquerade rule of `nft list table ip minidock` (lib/network/nat.ts, lib/network/bridge.ts)',
      async run(ctx) {
        const out = await outsideHost();
        const www = whoAmIRoot();
        try {
          out.serve(www, 8000);
          const r = await md(ctx, ['run', '--rm', '--name', ctx.name('outbound'), 'busybox', 'sh', '-c',
            `for i in 1 2 3 4 5 6 7 8 9 10; do ${WGET(`http://${out.addr}:8000/cgi-bin/ip`)} && exit 0; sleep 0.2; done; exit 1`], { timeoutMs: 60_000 });
          assert(r.code === 0, `the container could not fetch http://${out.addr}:8000/ (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
          const seen = r.stdout.trim().replace(/^\[?(::ffff:)?/, '').replace(/\]$/, '');
          assertEqual(seen, out.hostAddr, 'the address the outside host saw');
        } finally {
          await out.close();
          rmSync(www, { recursive: true, force: true });
        }
      },
    },
    {
      name: `-p ${PUBLISHED}:80: busybox httpd inside answers the outside host at the host’s address and the host at 127.0.0.1:${PUBLISHED}`,
      hint: 'DNAT in chain publish of `nft list table ip minidock`, reached from prerouting (other hosts) and output (the host itself); route_localnet on minidock0 while a port is published on 127.0.0.1 (lib/network/localnet.ts) and the 127.0.0.0/8 masquerade for the loopback case',
      async run(ctx) {
        const out = await outsideHost();
        try {
          const name = ctx.name('web');
          const { id } = await startDetached(ctx, name, webServer(name), ['-p', `${PUBLISHED}:80`]);
          const fromOutside = await eventually(`the outside host fetching http://${out.hostAddr}:${PUBLISHED}/`, async () => {
            const r = await out.run(['timeout', '3', 'busybox', 'wget', '-qO-', `http://${out.hostAddr}:${PUBLISHED}/`]);
            if (r.code !== 0) throw new Error(`exit ${r.code} ${r.stderr.trim()}`);
            return r.stdout;
          });
          assertEqual(fromOutside.trim(), name, 'page served to the outside host');
          const fromHost = await eventually(`the host fetching http://127.0.0.1:${PUBLISHED}/`, () => httpGet(`http://127.0.0.1:${PUBLISHED}/`));
          assertEqual(fromHost.trim(), name, 'page served to 127.0.0.1');
          const rules = (await nftRules()).filter((r) => r.comment === `container ${id.slice(0, 12)}`);
          assert(rules.some((r) => r.chain === 'publish' && r.text.includes('dnat')), 'no DNAT rule for the container in chain publish of table ip minidock');
          const ports = await inspectJson<Record<string, { HostIp: string; HostPort: string }[]>>(ctx, name, '.NetworkSettings.Ports');
          assertEqual(ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: String(PUBLISHED) }], 'inspect NetworkSettings.Ports["80/tcp"]');
        } finally {
          await out.close();
        }
      },
    },
    {
      name: 'a container cannot reach a host service bound only to 127.0.0.1 (routing 127.0.0.0/8 via its gateway), while -p 127.0.0.1:PORT:80 still serves the host',
      hint: 'route_localnet=1 on the bridge makes the host accept packets for 127.0.0.1 from containers: the localnet chain of `nft list table ip minidock` must drop what arrives for 127.0.0.0/8 on anything but lo unless DNATed (lib/network/localnet.ts, nat.ts)',
      async run(ctx) {
        // the host-only service: a UDP socket on 127.0.0.1 that counts what it receives
        const server = createSocket('udp4');
        let received = 0;
        server.on('message', () => received++);
        await new Promise<void>((resolve, reject) => { server.once('error', reject); server.bind(0, '127.0.0.1', resolve); });
        const port = server.address().port;
        try {
          const localPub = await freeTcpPort();
          const name = ctx.name('localpub');
          await startDetached(ctx, name, webServer(name), ['-p', `127.0.0.1:${localPub}:80`]);
          const fromHost = await eventually(`the host fetching http://127.0.0.1:${localPub}/`, () => httpGet(`http://127.0.0.1:${localPub}/`));
          assertEqual(fromHost.trim(), name, `page served to the host at 127.0.0.1:${localPub}`);
          // inside, as root: forget the container's own loopback routes and send 127.0.0.0/8 to
          // the gateway (the host), then send datagrams (busybox tftp's read request) to the port
          const attack = [
            'echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet',
            'ip route del table local local 127.0.0.0/8 dev lo',
            'ip route del table local local 127.0.0.1 dev lo',
            `ip route add 127.0.0.0/8 via ${GATEWAY} dev eth0`,
            `for i in 1 2 3; do timeout 1 tftp -g -r probe -l /tmp/x 127.0.0.1 ${port}; done`,
            'echo ROUTED',
          ].join('; ');
          const r = await md(ctx, ['run', '--rm', '--name', ctx.name('localnet-attack'), 'busybox', 'sh', '-c', attack], { timeoutMs: 30_000 });
          assert(/ROUTED/.test(r.stdout), `the probe did not run to its end (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
          await sleep(300);
          assertEqual(received, 0, `datagrams the host's 127.0.0.1:${port} service received from a container`);
          // still published after that
          assertEqual((await httpGet(`http://127.0.0.1:${localPub}/`)).trim(), name, 'page served to the host after the probe');
        } finally {
          server.close();
        }
      },
    },
    {
      name: '-p as docker parses it: a host range (-p A-B:80) publishes on one free port of it; an IPv6 host address is refused in one line',
      hint: 'parsePublish and reservePorts in lib/network/ports.ts: HostPort "A-B" stays a range in hostconfig.json, the allocator picks the port',
      async run(ctx) {
        const from = await freeTcpPort();
        const range = `${from}-${from + 2}`;
        const name = ctx.name('range');
        await startDetached(ctx, name, webServer(name), ['-p', `127.0.0.1:${range}:80`]);
        const ports = await inspectJson<Record<string, { HostIp: string; HostPort: string }[]>>(ctx, name, '.NetworkSettings.Ports');
        const port = Number(ports['80/tcp']?.[0]?.HostPort);
        assert(port >= from && port <= from + 2, `inspect shows 80/tcp on ${JSON.stringify(ports['80/tcp'])}, not one port of ${range}`);
        const page = await eventually(`the host fetching http://127.0.0.1:${port}/`, () => httpGet(`http://127.0.0.1:${port}/`));
        assertEqual(page.trim(), name, `page served at 127.0.0.1:${port}`);
        const r = await md(ctx, ['run', '--rm', '-p', '[::1]:8080:80', 'busybox', 'true']);
        assertEqual(r.code, 125, 'exit status of run -p [::1]:8080:80');
        assert(/IPv6/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `run -p [::1]:8080:80 said "${r.stderr.trim()}"`);
      },
    },
    {
      name: `a second container asking for host port ${PUBLISHED} fails with exit 125 and leaves no veth, lease or rule`,
      hint: 'the port allocator (lib/network/ports.ts) under the network lock; connectEndpoint undoes its work on failure (lib/network/sandbox.ts)',
      async run(ctx) {
        const first = ctx.name('port-a');
        await startDetached(ctx, first, ['sleep', '600'], ['-p', `${PUBLISHED}:80`]);
        const bridged = async () => (await ipJson<Link[]>(['link', 'show', 'master', BRIDGE])).map((l) => l.ifname).sort();
        const before = await bridged();
        const second = ctx.name('port-b');
        const r = await md(ctx, ['run', '-d', '--name', second, '-p', `${PUBLISHED}:80`, 'busybox', 'sleep', '600']);
        assertEqual(r.code, 125, `exit status of the second run -p ${PUBLISHED}:80`);
        assert(/already allocated|in use/.test(r.stderr), `the error does not say the port is taken: "${r.stderr.trim()}"`);
        const id = (await mdOk(ctx, ['inspect', '-f', '{{.Id}}', second])).trim();
        assertEqual(leasesHeldBy([id]), [], 'leases still held by the failed container');
        assertEqual((await nftRules()).filter((x) => x.comment === `container ${id.slice(0, 12)}`).length, 0, 'nft rules left by the failed container');
        assertEqual(await bridged(), before, `interfaces on ${BRIDGE} after the failed run`);
      },
    },
    {
      name: '--network none: only lo, and lo is up (127.0.0.1 answers)',
      hint: 'lib/network/netns.ts loopbackUp: a new network namespace starts with lo DOWN',
      async run(ctx) {
        const out = await mdOk(ctx, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ip link; ping -c 1 -W 1 127.0.0.1 >/dev/null && echo LOOPBACK-OK']);
        const names = [...out.matchAll(/^\d+: ([^:@]+)[:@]/gm)].map((m) => m[1]);
        assertEqual(names, ['lo'], 'interfaces with --network none');
        assert(/LOOPBACK-OK/.test(out), 'ping 127.0.0.1 inside failed: lo is down');
      },
    },
    {
      name: '--network host: the container is in the host’s network namespace, takes the host’s hostname, and inspect lists network "host"',
      hint: 'lib/network/modes.ts (networkRunConfig: host mode gets the host’s hostname, as docker does) and setUpNetwork in lib/network/sandbox.ts',
      async run(ctx) {
        const name = ctx.name('host');
        const { pid } = await startDetached(ctx, name, ['sleep', '600'], ['--network', 'host']);
        assertEqual(nsLink(pid, 'net'), nsLink('self', 'net'), 'net namespace of the container');
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.Config.Hostname}}', name])).trim(), hostname(), 'hostname with --network host');
        const nets = await inspectJson<Record<string, unknown>>(ctx, name, '.NetworkSettings.Networks');
        assertEqual(Object.keys(nets), ['host'], 'inspect NetworkSettings.Networks');
      },
    },
    {
      name: '--network container:A: B shares A’s namespace (same inode, A’s eth0 address) and reaches A’s server on 127.0.0.1',
      hint: 'planNamespaces joins A’s /proc/<pid>/ns/net (lib/container/namespaces.ts); A’s lo must be up (lib/network/netns.ts) for 127.0.0.1 to work',
      async run(ctx) {
        const a = ctx.name('pod-a');
        const { pid: pidA } = await startDetached(ctx, a, webServer(a));
        const { pid: pidB } = await startDetached(ctx, ctx.name('pod-b'), ['sleep', '600'], ['--network', `container:${a}`]);
        assertEqual(nsLink(pidB, 'net'), nsLink(pidA, 'net'), 'net namespace of B');
        const ipA = (await eth0(pidA)).ip;
        assert(inSubnet(ipA, SUBNET), `A's eth0 is ${ipA}`);
        const r = await md(ctx, ['run', '--rm', '--network', `container:${a}`, 'busybox', 'sh', '-c',
          `ip addr show eth0 | grep -o 'inet [0-9.]*'; for i in 1 2 3 4 5 6 7 8 9 10; do ${WGET('http://127.0.0.1:80/')} && exit 0; sleep 0.2; done; exit 1`], { timeoutMs: 60_000 });
        assert(r.code === 0, `from B, http://127.0.0.1:80/ failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
        const [inet, page] = r.stdout.trim().split('\n');
        assertEqual(inet, `inet ${ipA}`, 'eth0 as B sees it');
        assertEqual(page, a, 'page from A’s server');
      },
    },
    {
      name: 'a user-defined network: two containers on it resolve each other by name',
      hint: '`minidock network create`; names of the network’s members in each /etc/hosts, rewritten in place (peerLines in lib/network/hosts.ts, writeNetworkEtcFiles in lib/container/etcfiles.ts)',
      async run(ctx) {
        const net = ctx.name('net');
        await mdOk(ctx, ['network', 'create', net]);
        try {
          const [a, b] = [ctx.name('dns-a'), ctx.name('dns-b')];
          // each waits (bounded) until the other's name answers a ping, and says so in its log
          const seek = (other: string) => ['sh', '-c', `i=0; until ping -c 1 -W 1 ${other} >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 50 ] && { echo NOT-FOUND; exec sleep 600; }; sleep 0.2; done; echo FOUND-${other}; exec sleep 600`];
          await startDetached(ctx, a, seek(b), ['--network', net]);
          await startDetached(ctx, b, seek(a), ['--network', net]);
          for (const [who, other] of [[a, b], [b, a]]) {
            const logPath = (await mdOk(ctx, ['inspect', '-f', '{{.LogPath}}', who])).trim();
            const log = await eventually(`${who} finding ${other}`, async () => {
              const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
              if (!/FOUND|NOT-FOUND/.test(text)) throw new Error('no answer in its log yet');
              return text;
            }, 75, 200);
            assert(log.includes(`FOUND-${other}`), `${who} could not resolve and ping ${other} by name`);
          }
        } finally {
          await removeContainersOn(ctx, net);
          await md(ctx, ['network', 'rm', net]);
        }
      },
    },
    {
      name: '20 containers started in parallel get 20 distinct addresses of the subnet',
      hint: 'IPAM under the network lock (withNetworkLock in lib/network/store.ts): a lock, not luck',
      async run(ctx) {
        const names = Array.from({ length: 20 }, (_, i) => ctx.name(`par${i}`));
        const results = await Promise.all(names.map((n) => md(ctx, ['run', '-d', '--name', n, 'busybox', 'sleep', '600'], { timeoutMs: 120_000 })));
        const failed = results.map((r, i) => [names[i], r] as const).filter(([, r]) => r.code !== 0);
        assert(failed.length === 0, `${failed.length} of 20 runs failed, e.g. ${failed[0]?.[1].stderr.trim()}`);
        const ips = await Promise.all(names.map(async (n) => (await mdOk(ctx, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', n])).trim()));
        const outside = ips.filter((ip) => !inSubnet(ip, SUBNET));
        assert(outside.length === 0, `${outside.length} of 20 addresses are not in ${SUBNET}: ${outside.slice(0, 3).map((ip) => JSON.stringify(ip)).join(' ')}`);
        assertEqual(new Set(ips).size, 20, 'distinct addresses');
      },
    },
    {
      name: 'after rm of everything: no veth of ours, no lease, no host port and no DNAT rule left',
      hint: 'releaseContainerNetwork (lib/network/sandbox.ts), through unplug (lib/container/network.ts) from lib/container/remove.ts: veth, IPAM lease, ports.json, nft rules by handle; the network’s own rules and the table stay until network rm / prune (lib/network/remove.ts)',
      async run(ctx) {
        const names = [ctx.name('gone-a'), ctx.name('gone-b')];
        const a = await startDetached(ctx, names[0], ['sleep', '600'], ['-p', `${PUBLISHED}:80`]);
        const b = await startDetached(ctx, names[1]);
        const hostLinks = await ipJson<Link[]>(['link', 'show']);
        const veths = [await eth0(a.pid), await eth0(b.pid)].map((e) => hostLinks.find((l) => l.ifindex === e.peerIndex)?.ifname);
        assert(veths.every((v) => v && v.startsWith('veth')), `host ends: ${veths.join(', ')}`);
        const ids = [a.id, b.id];
        assert((await nftRules()).some((r) => r.comment === `container ${a.id.slice(0, 12)}`), 'the published port made no nft rule');
        await mdOk(ctx, ['rm', '-f', ...names]);
        const after = (await ipJson<Link[]>(['link', 'show'])).map((l) => l.ifname);
        assertEqual(veths.filter((v) => after.includes(v!)), [], 'veths left on the host');
        assertEqual(leasesHeldBy(ids), [], 'IP leases left');
        const portsFile = path.join(root(), 'network', 'ports.json');
        const ports = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as { container: string }[]) : [];
        assertEqual(ports.filter((x) => ids.includes(x.container)).length, 0, 'host ports still reserved');
        const rules = await nftRules();
        assertEqual(rules.filter((r) => ids.some((id) => r.comment === `container ${id.slice(0, 12)}`)).length, 0, 'nft rules of the removed containers');
        // what stays belongs to the networks (docker keeps docker0's rules): `network prune` takes
        // it, with the table, once no container of ours runs
        // (the table's skeleton — its jumps and the localnet drop — carries no comment)
        assertEqual(rules.filter((r) => r.comment && !r.comment.startsWith('network ')).map((r) => r.comment), [], 'commented rules of no network left in table ip minidock');
        const running = (await mdOk(ctx, ['ps', '-q'])).trim();
        if (running === '') {
          await mdOk(ctx, ['network', 'prune', '-f']);
          assertEqual((await nftRules()).length, 0, 'rules in table ip minidock after network prune, no container running');
        }
      },
    },
    {
      name: 'failing network verbs exit 1 as docker’s do, with one line of error',
      hint: 'lib/cli/main.ts exitCodeFor: only verbs that start a container use 125; lib/names.ts for the name rule',
      async run(ctx) {
        const missing = ctx.name('nonet');
        await assertFailures(ctx, [
          { argv: ['network', 'create', 'bad/name'], code: 1, says: /invalid network name/i },
          { argv: ['network', 'create', '--subnet', 'bogus', missing], code: 1, says: /invalid subnet/i },
          { argv: ['network', 'inspect', missing], code: 1, says: /no such network|not found/i },
          { argv: ['network', 'rm', missing], code: 1, says: /no such network|not found/i },
        ]);
      },
    },
    {
      name: 'a run killed -9 while its network is plugged in leaves no lease, host port, rule or veth once the next verb has looked',
      hint: 'lib/container/reconcile.ts: a start whose monitor died is failed and undone — cleanUp → unplug → releaseContainerNetwork, from the container ID alone (lib/network/sandbox.ts)',
      async run(ctx) {
        const name = ctx.name('killnet');
        const port = await freeTcpPort();
        const vethsBefore = (await ipJson<Link[]>(['link', 'show', 'master', BRIDGE]).catch(() => [] as Link[])).map((l) => l.ifname);
        const cli = spawn(engine(), ['run', '--name', name, '-p', `${port}:80`, 'busybox', 'sleep', '600'], {
          env: { ...ctx.env, MINIDOCK_TRACE: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
        });
        const exited = new Promise<void>((resolve) => cli.on('exit', () => resolve()));
        try {
          // the trace says when the lease is taken: kill the monitor right there, before its veth
          await new Promise<void>((resolve, reject) => {
            let seen = '';
            const timer = setTimeout(() => reject(new CheckFailure('no "ipam: lease" line in the trace within 30 s')), 30_000);
            cli.stderr!.on('data', (chunk: Buffer) => {
              seen += chunk.toString();
              if (/ipam: lease/.test(seen)) {
                clearTimeout(timer);
                cli.kill('SIGKILL');
                resolve();
              }
            });
            cli.on('exit', () => {
              clearTimeout(timer);
              reject(new CheckFailure(`the run ended before it took a lease: ${seen.split('\n').filter((l) => l.startsWith('minidock:')).join(' ') || 'no error line'}`));
            });
          });
          await exited;
          const id = (await mdOk(ctx, ['inspect', '-f', '{{.Id}}', name])).trim(); // this verb reconciles
          const state = (await mdOk(ctx, ['inspect', '-f', '{{.State.Status}} {{.State.Error}}', name])).trim();
          assert(/^created .*start interrupted/.test(state), `the killed run is recorded as "${state}", not a failed start`);
          assertEqual(leasesHeldBy([id]), [], 'IP leases of the killed run');
          const portsFile = path.join(root(), 'network', 'ports.json');
          const ports = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as { container: string }[]) : [];
          assertEqual(ports.filter((x) => x.container === id).length, 0, 'host ports still reserved for the killed run');
          assertEqual((await nftRules()).filter((r) => r.comment === `container ${id.slice(0, 12)}`).length, 0, 'nft rules of the killed run');
          const vethsAfter = (await ipJson<Link[]>(['link', 'show', 'master', BRIDGE]).catch(() => [] as Link[])).map((l) => l.ifname);
          assertEqual(vethsAfter.filter((v) => !vethsBefore.includes(v)), [], 'veths on the bridge that were not there before');
        } finally {
          cli.kill('SIGKILL');
          await md(ctx, ['rm', '-f', name]);
        }
      },
    },
  ],
};


/** Remove the containers connected to a network (so that it can be removed). */
async function removeContainersOn(ctx: Context, net: string): Promise<void> {
  const r = await md(ctx, ['network', 'inspect', '-f', '{{json .Containers}}', net]);
  if (r.code !== 0) return;
  const ids = Object.keys(JSON.parse(r.stdout.trim() || '{}') as Record<string, unknown>);
  if (ids.length > 0) await md(ctx, ['rm', '-f', ...ids]);
}
