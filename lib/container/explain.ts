// What a live container is made of, read from the kernel and the engine's files: the facts that
// `minidock explain` draws (lib/cli/explain-picture.ts). minidock's own verb — docker has none.
// Each part is what one stage built; a part that does not exist yet (no cgroup of its own below
// stage 2, no overlay mount below stage 3, no network below stage 5) is reported as such.
//
//   namespaces   readlink /proc/<pid>/ns/<kind>, beside /proc/self/ns/<kind> (the host's)  stage 1
//   cgroup       /proc/<pid>/cgroup, then the limit files in that directory             stage 2
//   layers       the `/` line of /proc/<pid>/mountinfo, the layer's `lower` file and
//                the l/ links it names (readlink)                                        stage 3
//   mounts       the container's MountPoints, each looked up in /proc/<pid>/mountinfo    stage 4
//   network      NetworkSettings, and the host end of eth0's veth: the interface whose
//                ifindex is eth0's iflink (read through /proc/<pid>/root/sys)            stage 5
//
// Every path is under `procRoot` / `sysRoot` so that a unit test can hand in a fake tree.

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { detectCgroupVersion, v1Hierarchies } from '../runtime/cgroups/index.js';
import { parseMountinfo, type MountInfo } from '../runtime/mountinfo.js';
import { lowerOf } from '../storage/overlay2.js';
import type { Container } from './records.js';

export const NS_KINDS = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'] as const;

export interface NsFact {
  kind: string;
  /** what readlink /proc/<pid>/ns/<kind> prints, e.g. "net:[4026532501]" */
  container: string;
  /** the same for this process, which runs in the host's namespaces (the host's PID 1 may not
   *  let us read its links, e.g. when this "host" is itself a container) */
  host: string;
}

export interface CgroupFact {
  version: 1 | 2;
  /** the cgroup's path inside its hierarchy, from /proc/<pid>/cgroup ("/minidock/<id>") */
  path: string;
  /** the key files and their values: the directory (one per v1 hierarchy) and the file's name */
  files: { dir: string; file: string; value: string }[];
}

export interface LayerFact {
  /** overlay2/, the directory every layer path below is in ('' on vfs) */
  home: string;
  /** the filesystem type of the container's `/` ("overlay", or the directory's own on vfs) */
  fsType: string;
  /** the merged directory (overlay) or the plain directory (vfs) that is the container's `/` */
  root: string;
  upper?: string;
  work?: string;
  /** the lowerdirs, nearest first: the short link and the layer directory it points to */
  lowers: { link: string; target: string }[];
}

export interface MountFact {
  type: string;
  source: string;
  destination: string;
  rw: boolean;
  /** true when /proc/<pid>/mountinfo has a mount at the destination */
  mounted: boolean;
}

export interface NetworkFact {
  network: string;
  /** the interface inside, eth0 for the first network */
  ifname: string;
  /** the bridge the host end is plugged into ('' when it was not found) */
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
  /** the host end of the veth pair ('' when it was not found) */
  hostVeth: string;
  ports: string[];
}

export interface Explained {
  id: string;
  name: string;
  pid: number;
  status: string;
  namespaces: NsFact[];
  cgroup?: CgroupFact;
  layers?: LayerFact;
  mounts: MountFact[];
  networks: NetworkFact[];
  /** the network mode when the container has no network of its own (host, none) */
  networkMode: string;
}

export interface ExplainRoots {
  procRoot?: string;
  sysRoot?: string;
}

function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function readlinkOr(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '?';
  }
}

// #region explain-cgroup
/** The cgroup of `pid` and the values of the files that hold its limits and usage. */
export function cgroupFact(pid: number, procRoot: string, sysRoot: string): CgroupFact | undefined {
  const lines = readOr(path.join(procRoot, String(pid), 'cgroup')).trim().split('\n').filter(Boolean);
  if (lines.length === 0) return undefined;
  const mountinfo = readOr(path.join(procRoot, 'self', 'mountinfo'));
  let version: 1 | 2;
  try {
    version = detectCgroupVersion(mountinfo);
  } catch {
    return undefined;
  }
  const cgroupRoot = path.join(sysRoot, 'fs', 'cgroup');
  const files: CgroupFact['files'] = [];
  const add = (dir: string, names: string[]) => {
    for (const file of names) {
      if (existsSync(path.join(dir, file))) files.push({ dir, file, value: readOr(path.join(dir, file)).trim().split('\n')[0] });
    }
  };
  if (version === 2) {
    // one line, "0::/minidock/<id>": one directory holds every controller's files
    const rel = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    add(path.join(cgroupRoot, rel), ['cgroup.controllers', 'memory.max', 'memory.current', 'cpu.max', 'cpu.weight', 'pids.max', 'pids.current']);
    return { version, path: rel, files };
  }
  // v1: a line per hierarchy, "7:memory:/minidock/<id>"; each controller's files in its own tree
  const trees = v1Hierarchies(mountinfo, cgroupRoot);
  const byController = new Map<string, string>();
  for (const l of lines) {
    const [, controllers = '', rel = ''] = l.split(':');
    for (const c of controllers.split(',')) byController.set(c, rel);
  }
  const wanted: [string, string[]][] = [
    ['memory', ['memory.limit_in_bytes', 'memory.usage_in_bytes']],
    ['cpu', ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.shares']],
    ['pids', ['pids.max', 'pids.current']],
  ];
  for (const [controller, names] of wanted) {
    const rel = byController.get(controller);
    if (rel !== undefined && trees[controller]) add(path.join(trees[controller], rel), names);
  }
  return { version, path: byController.get('memory') ?? byController.get('pids') ?? '/', files };
}
// #endregion

// #region explain-layers
/**
 * The container's `/`: the mount at "/" in its mountinfo. On overlay its options name the layers:
 * upperdir and workdir absolute, lowerdir as the short links l/… (read from the layer's `lower`
 * file when the mount options were relative), each resolved with readlink to the layer it names.
 */
export function layerFact(c: Container, mounts: MountInfo[]): LayerFact | undefined {
  const rootMount = [...mounts].reverse().find((m) => m.mountPoint === '/');
  const data = c.GraphDriver?.Data ?? {};
  if (!rootMount && !data.MergedDir && !data.Dir) return undefined;
  const fsType = rootMount?.fsType ?? '?';
  if (fsType !== 'overlay' || !data.UpperDir) {
    return { home: '', fsType, root: data.MergedDir ?? data.Dir ?? '', lowers: [] };
  }
  const layerDir = path.dirname(data.UpperDir); // overlay2/<mount id>
  const home = path.dirname(layerDir); // overlay2/
  const links = lowerOf(home, path.basename(layerDir));
  const lowers = links.map((link) => ({ link, target: path.resolve(home, path.dirname(link), readlinkOr(path.join(home, link))) }));
  return { home, fsType, root: data.MergedDir, upper: data.UpperDir, work: data.WorkDir, lowers };
}
// #endregion

// #region explain-network
/**
 * The host end of the container's `ifname` and the bridge it is plugged into: the host interface
 * whose ifindex is the container interface's iflink (its peer's index), and that one's master.
 */
function hostPeer(pid: number, ifname: string, procRoot: string, sysRoot: string): { veth: string; bridge: string } {
  const iflink = readOr(path.join(procRoot, String(pid), 'root', 'sys', 'class', 'net', ifname, 'iflink')).trim();
  const hostNet = path.join(sysRoot, 'class', 'net');
  let names: string[] = [];
  try {
    names = iflink ? readdirSync(hostNet) : [];
  } catch {
    // no sysfs: nothing to look up
  }
  const veth = names.find((n) => readOr(path.join(hostNet, n, 'ifindex')).trim() === iflink) ?? '';
  const master = veth ? readlinkOr(path.join(hostNet, veth, 'master')) : '?';
  return { veth, bridge: master === '?' ? '' : path.basename(master) };
}

function networkFacts(c: Container, procRoot: string, sysRoot: string): NetworkFact[] {
  const s = c.NetworkSettings;
  if (!s) return [];
  const ports: string[] = [];
  for (const [key, bindings] of Object.entries(s.Ports ?? {})) {
    for (const b of bindings ?? []) ports.push(`${b.HostIp || '0.0.0.0'}:${b.HostPort} → ${key}`);
  }
  // eth0, eth1, … in the order the container joined its networks (the primary one is eth0)
  return Object.entries(s.Networks ?? {}).filter(([, ep]) => ep.IPAddress).map(([network, ep], i) => {
    const peer = hostPeer(c.State.Pid, `eth${i}`, procRoot, sysRoot);
    return {
      network, ifname: `eth${i}`, bridge: peer.bridge, ip: ep.IPAddress, prefix: ep.IPPrefixLen, gateway: ep.Gateway,
      hostVeth: peer.veth, ports: i === 0 ? ports : [],
    };
  });
}
// #endregion

/** Everything `explain` shows about running container `c`, read now. */
export function explainContainer(c: Container, networkMode: string, roots: ExplainRoots = {}): Explained {
  const procRoot = roots.procRoot ?? '/proc';
  const sysRoot = roots.sysRoot ?? '/sys';
  const pid = c.State.Pid;
  const nsDir = (p: number | string) => path.join(procRoot, String(p), 'ns');
  const namespaces = NS_KINDS.map((kind) => ({ kind, container: readlinkOr(path.join(nsDir(pid), kind)), host: readlinkOr(path.join(nsDir('self'), kind)) }));
  const mounts = parseMountinfo(readOr(path.join(procRoot, String(pid), 'mountinfo')));
  const mountFacts = Object.values(c.MountPoints ?? {}).map((m) => ({
    type: m.Type,
    source: m.Source,
    destination: m.Destination,
    rw: m.RW,
    mounted: mounts.some((l) => l.mountPoint === m.Destination),
  }));
  return {
    id: c.ID,
    name: c.Name.replace(/^\//, ''),
    pid,
    status: c.State.Status,
    namespaces,
    cgroup: cgroupFact(pid, procRoot, sysRoot),
    layers: layerFact(c, mounts),
    mounts: mountFacts,
    networks: networkFacts(c, procRoot, sysRoot),
    networkMode,
  };
}
