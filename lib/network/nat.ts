// NAT and the forwarding filter, in one nftables table of our own: `table ip minidock`.
// nft(8), "NAT" and "FIB" in the nftables wiki, ip-sysctl "route_localnet". Stage 5 notes,
// "NAT: leaving the host" and "publishing a port"; seed notes 003 — `docker run -p 4000:80`.
//
// Docker writes iptables rules into the host's nat and filter tables (chains DOCKER,
// DOCKER-ISOLATION-…, POSTROUTING). With nftables every program can own a table; the kernel runs
// every table's chains on a hook, by priority. So all of ours sits in one table, every rule
// carries a comment naming who it is for ("network bridge", "container 1a2b3c4d5e6f"), teardown
// deletes exactly the rules with our comment by their handles, and the table goes when nothing
// of ours is left in it. Nobody else's table, chain or rule is ever touched.

import { sh } from '../sys/exec.js';
import type { Run } from './netns.js';
import type { Published } from './ports.js';

export const TABLE = 'minidock';

// #region table
/**
 * The table's skeleton. Hooks, in the order a packet meets them:
 *   prerouting (nat, dstnat)   a packet arriving from another host or a container: if it is for
 *                              one of the host's own addresses, try the published ports
 *   output (nat, -100)         the same for packets the host itself sends (curl 127.0.0.1:8080)
 *   localnet (filter, dstnat+10)  right after: what is still addressed to 127.0.0.0/8 and did not
 *                              come in on lo was not DNATed by us: dropped (lib/network/localnet.ts)
 *   forward (filter)           between networks: containers of two networks must not meet
 *   postrouting (nat, srcnat)  leaving: the containers' addresses hidden behind the host's
 * `fib daddr type local` asks the routing table "is this address the host's own?", so a port
 * is published on every address of the host, whatever its interfaces are called.
 */
export const TABLE_SCRIPT = `table ip ${TABLE} {
	set bridges {
		type ifname
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump publish
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump publish
	}
	chain publish {
	}
	chain localnet {
		type filter hook prerouting priority dstnat + 10; policy accept;
		iifname != "lo" ip daddr 127.0.0.0/8 ct status ! dnat drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
	}
}
`;
// #endregion

/** What of ours is in the kernel now: the commented rules and the bridges set; null: no table. */
export interface TableState {
  rules: NftRule[];
  bridges: string[];
}

interface NftRule {
  chain: string;
  handle: number;
  comment?: string;
}

/** `nft -j list table ip minidock`, read: one call tells what exists. */
export function readTable(run: Run = sh): TableState | null {
  const r = run('nft', ['-j', 'list', 'table', 'ip', TABLE], { allowFail: true });
  if (r.status !== 0) return null;
  const items = (JSON.parse(r.stdout) as { nftables: { rule?: NftRule; set?: { name: string; elem?: string[] } }[] }).nftables;
  return {
    // the jumps of the skeleton carry no comment: only rules made for a network or a container do
    rules: items.flatMap((i) => (i.rule?.comment ? [i.rule] : [])),
    bridges: items.flatMap((i) => (i.set?.name === 'bridges' ? i.set.elem ?? [] : [])),
  };
}

/**
 * Run an nft script: `nft -f -` applies it as one transaction, all of it or nothing, in one
 * process (each `nft add rule` typed alone is a process and a transaction of its own).
 */
function applyScript(lines: string[], run: Run): void {
  const text = lines.join('\n');
  if (lines.length > 0) run('nft', ['-f', '-'], { input: text.endsWith('\n') ? text : text + '\n' });
}

/** The script that creates the table when `table` (what readTable found) says it is missing. */
function tableIfMissing(table: TableState | null): string[] {
  return table ? [] : [TABLE_SCRIPT];
}

/** One `add rule` line of an nft script, with the comment that says whose it is. */
function addRuleLine(chain: string, rule: string[], comment: string): string {
  return ['add', 'rule', 'ip', TABLE, chain, ...rule, 'comment', `"${comment}"`].join(' ');
}

export function networkComment(name: string): string {
  return `network ${name}`;
}

export function containerComment(id: string): string {
  return `container ${id.slice(0, 12)}`;
}

// #region network-rules
export interface NetworkNat {
  /** the network's name, for the rules' comment */
  name: string;
  bridge: string;
  /** "172.17.0.0/16" */
  subnet: string;
}

/**
 * MASQUERADE: what leaves the host from the subnet (not back into the bridge) takes the address
 * of the interface it leaves by; conntrack undoes it for the replies. The words after
 * `nft add rule ip minidock postrouting`.
 */
export function masqueradeRule(n: NetworkNat): string[] {
  // #region exercise 5.masquerade
  return ['ip', 'saddr', n.subnet, 'oifname', '!=', n.bridge, 'masquerade'];
  // #endregion
}

/** The rules a network needs while containers are on it: its NAT, and its isolation. */
export function networkRules(n: NetworkNat): { chain: string; rule: string[] }[] {
  return [
    { chain: 'postrouting', rule: masqueradeRule(n) },
    // the host's own `curl 127.0.0.1:8080`, after DNAT, leaves by the bridge with source
    // 127.0.0.1 (route_localnet allows it): give it the gateway's address, or the container
    // would answer to its own loopback
    { chain: 'postrouting', rule: ['oifname', n.bridge, 'ip', 'saddr', '127.0.0.0/8', 'masquerade'] },
    // hairpin: a container reaching a published port of the host, DNATed back into the same
    // subnet; without this the answer would go straight back, from an address nobody asked
    { chain: 'postrouting', rule: ['oifname', n.bridge, 'ip', 'saddr', n.subnet, 'ct', 'status', 'dnat', 'masquerade'] },
    // isolation: nothing from this network's bridge to another of our bridges (docker's
    // DOCKER-ISOLATION chains); within one bridge, frames never reach this hook as "forward
    // to another interface"
    { chain: 'forward', rule: ['iifname', n.bridge, 'oifname', '@bridges', 'oifname', '!=', n.bridge, 'drop'] },
  ];
}

/**
 * Add a network's rules once (the first container on it): one read of the table, and when the
 * rules are missing one `nft -f -` that makes the table if need be, adds the bridge to the
 * bridges set and the rules.
 */
export function addNetworkRules(n: NetworkNat, run: Run = sh): void {
  // the rules first, also when they are in place already: what they say does not depend on
  // who came first (and a learner's masqueradeRule is run by every container that plugs in)
  const rules = networkRules(n);
  const table = readTable(run);
  if (table?.rules.some((r) => r.comment === networkComment(n.name))) return;
  applyScript([
    ...tableIfMissing(table),
    `add element ip ${TABLE} bridges { ${n.bridge} }`,
    ...rules.map(({ chain, rule }) => addRuleLine(chain, rule, networkComment(n.name))),
  ], run);
}

/** Delete a network's rules (its last container left). */
export function deleteNetworkRules(n: Pick<NetworkNat, 'name' | 'bridge'>, run: Run = sh): void {
  const table = readTable(run);
  if (!table) return;
  const element = table.bridges.includes(n.bridge) ? [`delete element ip ${TABLE} bridges { ${n.bridge} }`] : [];
  deleteRules(table, networkComment(n.name), run, element);
}
// #endregion

// #region dnat
/** The DNAT rule of one published port: host port → the container's address and port. */
export function dnatRule(x: Published, containerIp: string): string[] {
  // #region exercise 5.dnat
  // -p 127.0.0.1:8080:80 matches that destination only; -p 8080:80 every address of the host
  const match = x.hostIp ? ['ip', 'daddr', x.hostIp] : [];
  return [...match, x.proto, 'dport', String(x.hostPort), 'dnat', 'to', `${containerIp}:${x.containerPort}`];
  // #endregion
}

export function addPortRules(containerId: string, containerIp: string, published: readonly Published[], run: Run = sh): void {
  if (published.length === 0) return;
  const table = readTable(run);
  applyScript([...tableIfMissing(table), ...published.map((x) => addRuleLine('publish', dnatRule(x, containerIp), containerComment(containerId)))], run);
}

export function deletePortRules(containerId: string, run: Run = sh): void {
  const table = readTable(run);
  if (table) deleteRules(table, containerComment(containerId), run);
}
// #endregion

// #region delete-rules
/**
 * `nft delete rule` takes a handle: delete the rules with this comment by theirs (and `more`
 * lines), in one `nft -f -`. One line that fails (a rule someone else deleted since we read the
 * table) fails the whole transaction: then each goes on its own, whatever the others do.
 */
function deleteRules(table: TableState, comment: string, run: Run, more: string[] = []): void {
  const lines = [...table.rules.filter((x) => x.comment === comment).map((r) => `delete rule ip ${TABLE} ${r.chain} handle ${r.handle}`), ...more];
  if (lines.length === 0) return;
  if (run('nft', ['-f', '-'], { input: lines.join('\n') + '\n', allowFail: true }).status === 0) return;
  for (const line of lines) run('nft', line.split(' '), { allowFail: true });
}

/** The table goes when it holds no rule of any network or container. */
export function deleteTableIfUnused(run: Run = sh): boolean {
  const table = readTable(run);
  if (!table || table.rules.length > 0 || table.bridges.length > 0) return false;
  run('nft', ['delete', 'table', 'ip', TABLE]);
  return true;
}
// #endregion
