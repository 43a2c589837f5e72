// The picture `minidock explain` prints: a live container drawn in the terminal, one box per thing
// a stage built — namespaces (1), cgroup (2), layers (3), mounts (4), network (5). Pure: it takes
// the facts lib/container/explain.ts read and returns text, so the unit test can draw any state.

import path from 'node:path';
import type { Explained, LayerFact, NetworkFact } from '../container/explain.js';

/** A box with a title in its top edge, its lines padded to the widest. */
export function box(title: string, lines: string[]): string[] {
  const width = Math.max(title.length + 2, ...lines.map((l) => l.length));
  const top = `┌─ ${title} ${'─'.repeat(width - title.length - 1)}┐`;
  return [top, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${'─'.repeat(width + 2)}┘`];
}

function namespaceLines(e: Explained): string[] {
  const w = Math.max(...e.namespaces.map((n) => n.container.length));
  const lines = [`${'kind'.padEnd(7)}${'container'.padEnd(w + 2)}host`];
  for (const n of e.namespaces) {
    const same = n.container === n.host;
    lines.push(`${n.kind.padEnd(7)}${n.container.padEnd(w + 2)}${n.host.padEnd(w + 2)}${same ? '= shared with the host' : '≠ its own'}`);
  }
  return lines;
}

function cgroupLines(e: Explained): string[] {
  const cg = e.cgroup;
  if (!cg) return ['(no cgroup found in /proc/<pid>/cgroup)'];
  const own = /\/minidock\//.test(cg.path) || cg.path.startsWith('minidock/');
  const lines = [`cgroup v${cg.version}  ${cg.path}${own ? '' : '   (not minidock/<id>: the container has no cgroup of its own, stage 2)'}`];
  // one heading per directory (v1: one per controller's hierarchy), then its files
  let dir = '';
  for (const f of cg.files) {
    if (f.dir !== dir) lines.push(`${(dir = f.dir).replace(/\/+$/, '')}/`);
    lines.push(`  ${f.file.padEnd(22)} ${f.value}`);
  }
  return lines;
}

function layerLines(l: LayerFact | undefined): string[] {
  if (!l) return ['(no root filesystem found)'];
  if (l.fsType !== 'overlay') return [`/  = ${l.root}  (${l.fsType}: a private copy, no layers; overlay comes at stage 3)`];
  // paths relative to overlay2/, as the mount options name them
  const rel = (p: string | undefined) => (p ? path.relative(l.home, p) : '?');
  const lines = [`in ${l.home}/`, `merged   ${rel(l.root)}   ← the container's /`];
  lines.push(`  ▲ overlay: what is above hides what is below; writes land in upper`);
  lines.push(`upper    ${rel(l.upper)}`, `work     ${rel(l.work)}   (overlay's scratch space)`);
  l.lowers.forEach((low, i) => {
    const role = i === 0 && low.target.endsWith('-init/diff') ? '  (the init layer)' : i === l.lowers.length - 1 ? '  (the image’s bottom layer)' : '';
    lines.push(`lower ${String(i + 1).padStart(2)} ${low.link} → ${rel(low.target)}${role}`);
  });
  return lines;
}

function mountLines(e: Explained): string[] {
  if (e.mounts.length === 0) return ['(no volumes or bind mounts)'];
  return e.mounts.map((m) =>
    `${m.type.padEnd(6)} ${m.source} ══▶ ${m.destination}  ${m.rw ? 'rw' : 'ro'}${m.mounted ? '' : '  (not in its mountinfo!)'}`);
}

function networkLines(nets: NetworkFact[], mode: string): string[] {
  if (nets.length === 0) return [`network mode ${mode || 'none'}: no veth, no address of its own`];
  const lines: string[] = [];
  for (const n of nets) {
    lines.push(
      `${n.network}:  host [${n.bridge || '?'} ${n.gateway}] ── ${n.hostVeth || 'veth?'} ══ veth pair ══ ${n.ifname} ${n.ip}/${n.prefix} [container]`,
    );
    for (const p of n.ports) lines.push(`  published ${p}  (DNAT to ${n.ip})`);
  }
  return lines;
}

/** The whole picture, as lines of text. */
export function renderExplain(e: Explained): string {
  const head = `container ${e.name} (${e.id.slice(0, 12)}), ${e.status}, PID 1 is host PID ${e.pid}`;
  return [
    head,
    '',
    ...box('namespaces (readlink /proc/<pid>/ns/*)', namespaceLines(e)),
    ...box('cgroup (/proc/<pid>/cgroup)', cgroupLines(e)),
    ...box('root filesystem (mountinfo "/")', layerLines(e.layers)),
    ...box('mounts (volumes, binds)', mountLines(e)),
    ...box('network', networkLines(e.networks, e.networkMode)),
  ].join('\n') + '\n';
}
