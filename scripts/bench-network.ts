// node dist/scripts/bench-network.js — what the container network costs, measured with iperf3,
// all in one run so every path sees the same machine state:
//
//   1. bare veth        two network namespaces joined by one veth pair (no bridge, no NAT)
//   2. bridge           container ↔ container through minidock0 (veth → bridge → veth)
//   3. direct           the test outside host → a container's address, routed by the host
//   4. published        the test outside host → the host's address:published port (DNAT)
//   5. loopback         the host → 127.0.0.1:published port (DNAT in output, route_localnet)
// The containers are busybox; iperf3 itself is the host's binary, run inside each container's
// network namespace with `nsenter --net` (the path the packets take is the container's).
// Only namespaces and addresses made here are used. Prints the ratios for the stage 5 notes.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PUBLISHED = 15201;

function sh(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

function need(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench-network: ${cmd} is missing: apt-get install ${pkg}`);
    process.exit(1);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run an iperf3 server in a namespace (a netns name or a PID), one test, then gone. */
function server(where: string[], bind: string): ChildProcess {
  return spawn(where[0], [...where.slice(1), 'iperf3', '-s', '-1', '-B', bind, '-p', '5201'], { stdio: 'ignore' });
}

/** Run the client; returns Gbit/s received. Retries while the server is starting. */
async function client(where: string[], target: string, port: number): Promise<number> {
  for (let i = 0; i < 25; i++) {
    const r = spawnSync(where[0], [...where.slice(1), 'iperf3', '-c', target, '-p', String(port), '-t', String(SECONDS), '-J'], { encoding: 'utf8', timeout: (SECONDS + 15) * 1000 });
    let out: { error?: string; end?: { sum_received?: { bits_per_second: number } } } = {};
    try {
      out = JSON.parse(r.stdout);
    } catch {
      // no JSON: not started yet
    }
    // "unable to connect" comes back as JSON with an error, sometimes with exit status 0
    if (r.status === 0 && !out.error && out.end?.sum_received) return out.end.sum_received.bits_per_second / 1e9;
    await sleep(200);
  }
  throw new Error(`iperf3 -c ${target}:${port} never connected`);
}

async function measure(serverAt: string[], bind: string, clientAt: string[], target: string, port = 5201): Promise<number> {
  const s = server(serverAt, bind);
  try {
    return await client(clientAt, target, port);
  } finally {
    s.kill('SIGKILL');
  }
}

const netns = (name: string) => ['ip', 'netns', 'exec', name];
const inContainer = (pid: number) => ['nsenter', `--net=/proc/${pid}/ns/net`];
const onHost = ['env'];

async function main(): Promise<void> {
  need('iperf3', 'iperf3');
  need('nsenter', 'util-linux');
  const cleanup: (() => void)[] = [];
  try {
    // 1. the bare veth pair
    sh('ip', ['netns', 'add', 'mdbench-a']);
    cleanup.push(() => sh('ip', ['netns', 'del', 'mdbench-a'], true));
    sh('ip', ['netns', 'add', 'mdbench-b']);
    cleanup.push(() => sh('ip', ['netns', 'del', 'mdbench-b'], true));
    sh('ip', ['link', 'add', 'eth0', 'netns', 'mdbench-a', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'mdbench-b']);
    sh('ip', ['-n', 'mdbench-a', 'addr', 'add', '10.250.9.1/30', 'dev', 'eth0']);
    sh('ip', ['-n', 'mdbench-b', 'addr', 'add', '10.250.9.2/30', 'dev', 'eth0']);
    for (const n of ['mdbench-a', 'mdbench-b']) for (const dev of ['eth0', 'lo']) sh('ip', ['-n', n, 'link', 'set', dev, 'up']);

    // 2. two containers on the default bridge; the server one publishes its port
    const pidOf = (name: string) => Number(execFileSync(minidock, ['inspect', '-f', '{{.State.Pid}}', name], { encoding: 'utf8' }).trim());
    const ipOf = (name: string) => execFileSync(minidock, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name], { encoding: 'utf8' }).trim();
    for (const n of ['mdbench-server', 'mdbench-client']) sh(minidock, ['rm', '-f', n], true);
    sh(minidock, ['run', '-d', '--name', 'mdbench-server', '-p', `${PUBLISHED}:5201`, 'busybox', 'sleep', '3600']);
    cleanup.push(() => sh(minidock, ['rm', '-f', 'mdbench-server'], true));
    sh(minidock, ['run', '-d', '--name', 'mdbench-client', 'busybox', 'sleep', '3600']);
    cleanup.push(() => sh(minidock, ['rm', '-f', 'mdbench-client'], true));
    const [serverPid, clientPid, serverIp] = [pidOf('mdbench-server'), pidOf('mdbench-client'), ipOf('mdbench-server')];

    // 3./4. the test outside host, with a route to the containers' subnet through the host
    sh('ip', ['netns', 'add', 'mdbench-out']);
    cleanup.push(() => sh('ip', ['netns', 'del', 'mdbench-out'], true));
    sh('ip', ['link', 'add', 'mdbench-out', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'mdbench-out']);
    cleanup.push(() => sh('ip', ['link', 'del', 'mdbench-out'], true));
    sh('ip', ['addr', 'add', '10.250.9.5/30', 'dev', 'mdbench-out']);
    sh('ip', ['link', 'set', 'mdbench-out', 'up']);
    sh('ip', ['-n', 'mdbench-out', 'addr', 'add', '10.250.9.6/30', 'dev', 'eth0']);
    for (const dev of ['eth0', 'lo']) sh('ip', ['-n', 'mdbench-out', 'link', 'set', dev, 'up']);
    sh('ip', ['-n', 'mdbench-out', 'route', 'add', '172.17.0.0/16', 'via', '10.250.9.5']);

    const paths: [string, () => Promise<number>][] = [
      ['bare veth pair (netns ↔ netns)', () => measure(netns('mdbench-b'), '10.250.9.2', netns('mdbench-a'), '10.250.9.2')],
      ['bridge (container ↔ container)', () => measure(inContainer(serverPid), serverIp, inContainer(clientPid), serverIp)],
      ['direct (outside host → container IP)', () => measure(inContainer(serverPid), serverIp, netns('mdbench-out'), serverIp)],
      ['published (outside host → host:port, DNAT)', () => measure(inContainer(serverPid), serverIp, netns('mdbench-out'), '10.250.9.5', PUBLISHED)],
      ['published (host → 127.0.0.1:port)', () => measure(inContainer(serverPid), serverIp, onHost, '127.0.0.1', PUBLISHED)],
    ];
    const results = new Map<string, number[]>(paths.map(([n]) => [n, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, run] of paths) {
        const gbps = await run();
        results.get(name)!.push(gbps);
        console.log(`round ${round}: ${name.padEnd(44)} ${gbps.toFixed(2)} Gbit/s`);
      }
    }
    const mean = (n: string) => results.get(n)!.reduce((a, b) => a + b, 0) / ROUNDS;
    const [veth, bridge, direct, published, loopback] = paths.map(([n]) => mean(n));
    console.log(`\niperf3, TCP, ${SECONDS} s × ${ROUNDS} rounds, mean Gbit/s:`);
    for (const [n] of paths) console.log(`  ${n.padEnd(44)} ${mean(n).toFixed(2)}`);
    console.log(`ratio bridge / bare veth:                 ${(bridge / veth).toFixed(2)}`);
    console.log(`ratio published (DNAT) / direct:          ${(published / direct).toFixed(2)}`);
    console.log(`ratio published via 127.0.0.1 / direct:   ${(loopback / direct).toFixed(2)}`);
  } finally {
    for (const undo of cleanup.reverse()) undo();
  }
}

main().catch((e) => {
  console.error(`bench-network: ${(e as Error).message}`);
  process.exit(1);
});
