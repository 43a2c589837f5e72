// Published ports: `-p [hostIP:]hostPort:containerPort[/tcp|udp]` and `-P`. The parsing, and the
// table of host ports in use (<root>/network/ports.json), docker's port allocator.
// Stage 5 notes, "publishing a port"; seed notes 003 — `docker run -p 4000:80`.
//
// Publishing makes no socket: the host port becomes a DNAT rule (lib/network/nat.ts). So the
// allocator is what stops two containers from claiming the same host port, and it also refuses a
// port a host process already listens on (read from /proc/net/tcp, proc(5)).

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { ipToInt, isIPv4 } from './addr.js';
import { networkRoot, withNetworkLock } from './store.js';
import type { PortBinding, PortMap } from '../container/records.js';

export type { PortBinding, PortMap };

export type Proto = 'tcp' | 'udp' | 'sctp';
const PROTOS: readonly string[] = ['tcp', 'udp', 'sctp'];


/** A binding with its host port decided: what a DNAT rule is made from. */
export interface Published {
  proto: Proto;
  /** "" for every address of the host */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

// #region parse-publish
function parsePort(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new EngineError(`invalid ${what}: ${s}`);
  return [lo, hi];
}

/**
 * One -p value → PortMap entries. Accepted forms (docker's):
 *   80            container port 80, any free host port
 *   8080:80       host port 8080 → container port 80
 *   127.0.0.1:8080:80    only on that host address
 *   127.0.0.1::80        that address, any free port
 *   8000-8001:80-81/udp  ranges of equal length, port by port; /tcp is the default protocol
 *   8000-8010:80         one container port, a host range: the first free port of the range
 *   80/sctp              tcp, udp and sctp, as docker (nft's `sctp dport` DNATs it)
 * `[::1]:8080:80` is docker's syntax for an IPv6 host address: minidock has no IPv6 NAT (its
 * networks are IPv4 only), so it says so instead of publishing half of what was asked.
 */
export function parsePublish(spec: string): PortMap {
  const slash = spec.lastIndexOf('/');
  const [addrPorts, protoRaw] = slash === -1 ? [spec, 'tcp'] : [spec.slice(0, slash), spec.slice(slash + 1)];
  const proto = protoRaw.toLowerCase();
  if (!PROTOS.includes(proto)) throw new EngineError(`invalid proto: ${protoRaw}`);
  let hostIp = '';
  let ports = addrPorts;
  if (addrPorts.startsWith('[')) {
    // [IPv6]:hostPort:containerPort
    const close = addrPorts.indexOf(']');
    if (close === -1 || addrPorts[close + 1] !== ':') throw new EngineError(`invalid port format: ${spec}`);
    hostIp = addrPorts.slice(1, close);
    ports = addrPorts.slice(close + 2);
    if (!ports.includes(':')) throw new EngineError(`invalid port format: ${spec}`);
    throw new EngineError(`-p ${spec}: IPv6 host address ${hostIp}: minidock publishes ports on IPv4 only (its networks have no IPv6)`);
  }
  // #endregion

  // #region parse-publish-ports
  const parts = ports.split(':');
  if (parts.length > 3) throw new EngineError(`invalid port format: ${spec}`);
  const containerPart = parts[parts.length - 1];
  const hostPart = parts.length >= 2 ? parts[parts.length - 2] : '';
  if (parts.length === 3) hostIp = parts[0];
  if (hostIp !== '' && !isIPv4(hostIp)) throw new EngineError(`invalid IP address: ${hostIp}`);
  if (containerPart === '') throw new EngineError(`no port specified: ${spec}<empty>`);
  const [c0, c1] = parsePort(containerPart, 'containerPort');
  const [h0, h1] = hostPart === '' ? [0, 0] : parsePort(hostPart, 'hostPort');
  const map: PortMap = {};
  if (hostPart !== '' && c0 === c1 && h1 > h0) {
    // one container port, a range of host ports: the allocator picks one (reservePorts)
    map[`${c0}/${proto}`] = [{ HostIp: hostIp, HostPort: `${h0}-${h1}` }];
    return map;
  }
  if (hostPart !== '' && h1 - h0 !== c1 - c0) throw new EngineError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  for (let i = 0; i <= c1 - c0; i++) {
    map[`${c0 + i}/${proto}`] = [{ HostIp: hostIp, HostPort: hostPart === '' ? '' : String(h0 + i) }];
  }
  return map;
}

/** Every -p flag into HostConfig.PortBindings (the same container port may be published twice). */
export function portBindings(specs: readonly string[]): PortMap {
  const out: PortMap = {};
  for (const spec of specs) {
    for (const [key, bindings] of Object.entries(parsePublish(spec))) out[key] = [...(out[key] ?? []), ...(bindings ?? [])];
  }
  return out;
}
// #endregion

/** `--expose 80` / an image's ExposedPorts key: "80" → "80/tcp". */
export function exposedKey(spec: string): string {
  const [port, proto = 'tcp'] = spec.split('/');
  parsePort(port, 'port');
  if (!PROTOS.includes(proto)) throw new EngineError(`invalid proto: ${proto}`);
  return `${port}/${proto}`;
}

// #region port-table
interface Reservation extends Published {
  container: string;
}

function portsFile(p: Paths): string {
  return path.join(networkRoot(p), 'ports.json');
}

export function readReservations(p: Paths): Reservation[] {
  const file = portsFile(p);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Reservation[]) : [];
}

/** Two bindings collide on the same protocol and port when either covers every address. */
function collides(a: Published, b: Published): boolean {
  return a.proto === b.proto && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}
// #endregion

// #region reserve-ports
/**
 * Decide and reserve host ports for a container: fixed ones must be free, "" gets the lowest
 * free port of the kernel's ephemeral range (docker picks from the same range). `-P` adds one
 * binding with a free port for each exposed port that has none.
 */
export function reservePorts(p: Paths, containerId: string, bindings: PortMap, publishAll: readonly string[] = [], proc = '/proc'): Published[] {
  return withNetworkLock(() => {
    const others = readReservations(p).filter((r) => r.container !== containerId);
    const wanted: { key: string; b: PortBinding }[] = [];
    for (const [key, list] of Object.entries(bindings)) for (const b of list ?? []) wanted.push({ key, b });
    for (const key of publishAll) if (!(bindings[key]?.length)) wanted.push({ key, b: { HostIp: '', HostPort: '' } });

    const [lo, hi] = ephemeralRange(proc);
    const mine: Published[] = [];
    for (const { key, b } of wanted) {
      const [port, proto] = key.split('/') as [string, Proto];
      const hostIp = b.HostIp === '0.0.0.0' ? '' : b.HostIp;
      const taken = (q: Published) => [...others, ...mine].some((r) => collides(r, q)) || listening(proc, q);
      let pub: Published;
      if (b.HostPort.includes('-')) {
        // -p 8000-8010:80: the first port of the range nobody holds
        const [from, to] = parsePort(b.HostPort, 'hostPort');
        let free = 0;
        for (let n = from; n <= to && free === 0; n++) if (!taken({ proto, hostIp, hostPort: n, containerPort: 0 })) free = n;
        if (free === 0) throw new EngineError(`Bind for ${hostIp || '0.0.0.0'}:${b.HostPort} failed: port is already allocated`);
        pub = { proto, hostIp, hostPort: free, containerPort: Number(port) };
      } else if (b.HostPort !== '') {
        pub = { proto, hostIp, hostPort: Number(b.HostPort), containerPort: Number(port) };
        const shown = `${hostIp || '0.0.0.0'}:${pub.hostPort}`;
        if ([...others, ...mine].some((r) => collides(r, pub))) throw new EngineError(`Bind for ${shown} failed: port is already allocated`);
        if (listening(proc, pub)) throw new EngineError(`listen ${proto}4 ${shown}: bind: address already in use`);
      } else {
        let free = 0;
        for (let n = lo; n <= hi && free === 0; n++) if (!taken({ proto, hostIp, hostPort: n, containerPort: 0 })) free = n;
        if (free === 0) throw new EngineError(`no free host port in ${lo}-${hi} for ${key}`);
        pub = { proto, hostIp, hostPort: free, containerPort: Number(port) };
      }
      mine.push(pub);
    }
    if (mine.length > 0) {
      mkdirSync(networkRoot(p), { recursive: true, mode: 0o700 });
      writeJsonAtomic(portsFile(p), [...readReservations(p).filter((r) => r.container !== containerId), ...mine.map((m) => ({ ...m, container: containerId }))]);
      trace(`ports: reserve ${mine.map(formatPublished).join(', ')} for ${containerId.slice(0, 12)}`);
    }
    return mine;
  });
}
// #endregion

// #region release-ports
/** Give back a container's host ports. Idempotent. */
export function releasePorts(p: Paths, containerId: string): void {
  withNetworkLock(() => {
    const all = readReservations(p);
    const kept = all.filter((r) => r.container !== containerId);
    if (kept.length !== all.length) {
      writeJsonAtomic(portsFile(p), kept);
      trace(`ports: release the host ports of ${containerId.slice(0, 12)}`);
    }
  });
}
// #endregion

/** "0.0.0.0:8080->80/tcp", as `docker ps` shows a binding. */
export function formatPublished(x: Published): string {
  return `${x.hostIp || '0.0.0.0'}:${x.hostPort}->${x.containerPort}/${x.proto}`;
}

/** Published bindings → the Ports map of `docker inspect` (exposed-only ports map to null). */
export function portMap(published: readonly Published[], exposed: readonly string[] = []): PortMap {
  const map: PortMap = {};
  for (const key of exposed) map[key] = null;
  for (const x of published) {
    const key = `${x.containerPort}/${x.proto}`;
    map[key] = [...(map[key] ?? []), { HostIp: x.hostIp || '0.0.0.0', HostPort: String(x.hostPort) }];
  }
  return map;
}

/** /proc/sys/net/ipv4/ip_local_port_range: the ports the kernel hands out (32768 60999). */
function ephemeralRange(proc: string): [number, number] {
  try {
    const [lo, hi] = readFileSync(path.join(proc, 'sys/net/ipv4/ip_local_port_range'), 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // not Linux's /proc: the kernel's default
  }
  return [32768, 60999];
}

// #region host-listeners
/**
 * Does a host process already hold this port? /proc/net/tcp lists sockets as
 * "local_address rem_address st": "0100007F:1F90 00000000:0000 0A" is 127.0.0.1:8080 in LISTEN
 * (0A); the address is hex in the host's byte order (little-endian on x86_64 and aarch64).
 * For udp, any bound socket counts (state 07).
 */
export function listening(proc: string, x: Published): boolean {
  // sctp: the kernel lists its sockets in /proc/net/sctp/eps only when the protocol is loaded
  const files = x.proto === 'tcp' ? ['net/tcp', 'net/tcp6'] : x.proto === 'udp' ? ['net/udp', 'net/udp6'] : [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(path.join(proc, f), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const [addrHex, portHex] = cols[1].split(':');
      if (parseInt(portHex, 16) !== x.hostPort) continue;
      if (x.proto === 'tcp' ? cols[3] !== '0A' : cols[3] !== '07') continue;
      // an IPv6 socket on "::" takes IPv4 connections too; one on a real IPv6 address does not
      const addr = addrHex.length === 8 ? littleEndianIp(addrHex) : /^0+$/.test(addrHex) ? '' : null;
      if (addr === null) continue;
      if (addr === '' || addr === '0.0.0.0' || x.hostIp === '' || addr === x.hostIp) return true;
    }
  }
  return false;
}

function littleEndianIp(hex: string): string {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
  const ip = bytes.join('.');
  ipToInt(ip); // validates
  return ip;
}
// #endregion

/** Config.ExposedPorts: the image's (its config may carry them) and --expose/-p's; omitted when none. */
export function exposedPorts(imageConfig: object, extra: readonly string[]): { ExposedPorts?: Record<string, Record<string, never>> } {
  const fromImage = Object.keys((imageConfig as { ExposedPorts?: Record<string, object> }).ExposedPorts ?? {});
  const keys = [...new Set([...fromImage.map(exposedKey), ...extra])];
  return keys.length > 0 ? { ExposedPorts: Object.fromEntries(keys.map((k) => [k, {}])) } : {};
}
