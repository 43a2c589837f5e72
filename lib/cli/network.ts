// minidock network create|ls|inspect|rm|connect|disconnect|prune — docker network (stage 5).

import { readSync } from 'node:fs';
import { findContainer, loadContainer } from '../container/state.js';
import { EngineError, oneLine } from '../errors.js';
import { leasesFile, readLeases } from '../network/ipam.js';
import { pruneNetworks, removeNetwork } from '../network/remove.js';
import { hostRouteDestinations } from '../network/routes.js';
import { connectContainer, disconnectContainer } from '../container/network.js';
import { createNetwork, findNetwork, listNetworks, type Network } from '../network/store.js';
import { paths, type Paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import { table } from './human.js';

const USAGE = `usage: minidock network COMMAND

  create [--subnet CIDR] [--gateway IP] [-d bridge] NAME
  ls [-q] [--no-trunc] [--format TEMPLATE]
  inspect [-f TEMPLATE] NETWORK...
  rm NETWORK...
  connect NETWORK CONTAINER
  disconnect NETWORK CONTAINER
  prune [-f]`;

/** `docker network inspect`: the record, with the containers connected now. */
export function inspectNetwork(p: Paths, net: Network): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const [ip, id] of Object.entries(readLeases(leasesFile(p, net.Id)))) {
    try {
      const c = loadContainer(p, id);
      const ep = c.NetworkSettings?.Networks?.[net.Name];
      containers[id] = { Name: c.Name.slice(1), EndpointID: ep?.EndpointID ?? '', MacAddress: ep?.MacAddress ?? '', IPv4Address: `${ip}/${ep?.IPPrefixLen ?? ''}`, IPv6Address: '' };
    } catch {
      containers[id] = { Name: '', EndpointID: '', MacAddress: '', IPv4Address: ip, IPv6Address: '' };
    }
  }
  const { Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Options, Labels } = net;
  return { Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Containers: containers, Options, Labels };
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    subnet: { type: 'string' }, gateway: { type: 'string' }, driver: { type: 'string', short: 'd' }, label: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) throw new EngineError(`'minidock network create' requires exactly 1 argument: minidock network create [OPTIONS] NETWORK`);
  if (values.driver !== undefined && values.driver !== 'bridge') throw new EngineError(`plugin "${values.driver}" not found: minidock has the bridge driver only`);
  const labels = Object.fromEntries((values.label ?? []).map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]));
  const net = createNetwork(paths(), { name: positionals[0], subnet: values.subnet, gateway: values.gateway, labels }, hostRouteDestinations());
  process.stdout.write(net.Id + '\n');
  return 0;
}

async function ls(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q' }, 'no-trunc': { type: 'boolean' }, format: { type: 'string' } });
  const nets = listNetworks(paths());
  const id = (n: Network) => (values['no-trunc'] ? n.Id : n.Id.slice(0, 12));
  if (values.quiet) process.stdout.write(nets.map((n) => id(n) + '\n').join(''));
  else if (values.format !== undefined) {
    for (const n of nets) process.stdout.write(formatTemplate(values.format, { ID: id(n), Name: n.Name, Driver: n.Driver, Scope: n.Scope }) + '\n');
  } else {
    process.stdout.write(table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], nets.map((n) => [id(n), n.Name, n.Driver, n.Scope])));
  }
  return 0;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string', short: 'f' } });
  if (positionals.length === 0) throw new EngineError(`'minidock network inspect' requires at least 1 argument`);
  const p = paths();
  const found: unknown[] = [];
  let failed = false;
  for (const ref of positionals) {
    try {
      found.push(inspectNetwork(p, findNetwork(p, ref)));
    } catch {
      process.stderr.write(`minidock: no such network: ${ref}\n`);
      failed = true;
    }
  }
  if (values.format !== undefined) for (const obj of found) process.stdout.write(formatTemplate(values.format, obj) + '\n');
  else process.stdout.write(JSON.stringify(found, null, 4) + '\n');
  return failed ? 1 : 0;
}

async function rm(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, { force: { type: 'boolean', short: 'f' } });
  if (positionals.length === 0) throw new EngineError(`'minidock network rm' requires at least 1 argument`);
  const p = paths();
  let failed = false;
  for (const ref of positionals) {
    try {
      removeNetwork(p, findNetwork(p, ref));
      process.stdout.write(ref + '\n');
    } catch (e) {
      process.stderr.write(`minidock: ${oneLine(e)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

async function connectOrDisconnect(verb: 'connect' | 'disconnect', argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, { force: { type: 'boolean', short: 'f' } });
  if (positionals.length !== 2) throw new EngineError(`'minidock network ${verb}' requires exactly 2 arguments: minidock network ${verb} NETWORK CONTAINER`);
  const p = paths();
  const net = findNetwork(p, positionals[0]);
  const c = findContainer(p, positionals[1]);
  if (verb === 'connect') connectContainer(p, net, c);
  else disconnectContainer(p, net, c);
  return 0;
}

async function prune(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { force: { type: 'boolean', short: 'f' } });
  if (!values.force) {
    process.stdout.write('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    const buf = Buffer.alloc(16);
    let answer = '';
    try {
      answer = buf.subarray(0, readSync(0, buf, 0, buf.length, null)).toString().trim();
    } catch {
      // no stdin: no
    }
    if (!/^y(es)?$/i.test(answer)) return 0;
  }
  const removed = pruneNetworks(paths());
  if (removed.length > 0) process.stdout.write(`Deleted Networks:\n${removed.map((n) => n + '\n').join('')}`);
  return 0;
}

export default async function network(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const stage = currentStage();
  if (stage < 5) throw new EngineError(`network needs stage 5 (networking); this engine runs at stage ${stage}`);
  switch (sub) {
    case 'create': return create(rest);
    case 'ls': case 'list': return ls(rest);
    case 'inspect': return inspect(rest);
    case 'rm': case 'remove': return rm(rest);
    case 'connect': return connectOrDisconnect('connect', rest);
    case 'disconnect': return connectOrDisconnect('disconnect', rest);
    case 'prune': return prune(rest);
    default: throw new EngineError(`'${sub}' is not a minidock network command; see 'minidock network --help'`);
  }
}
