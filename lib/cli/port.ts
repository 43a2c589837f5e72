// minidock port CONTAINER [PRIVATE_PORT[/PROTO]] — docker port: where the container's ports are
// published on the host, read from the record the network set up (NetworkSettings.Ports: only a
// running container has bindings; a stopped one has none, as with docker).

import { ArgumentsError, EngineError } from '../errors.js';
import { findContainer, type PortMap } from '../container/state.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';
import { byText } from '../order.js';

/** "0.0.0.0:8080", "[::]:8080": Go's net.JoinHostPort, which docker's CLI prints with. */
function hostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The port number first, then the rest as text: "80/tcp" before "443/tcp" before "8080/tcp". */
function byPort(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || byText(a, b);
}

// #region port-lines
/**
 * docker port's lines: every published port as "80/tcp -> 0.0.0.0:8080", or, asked for one
 * ("80", "80/udp"; tcp when no protocol), just its host addresses. `container` is named in the error.
 */
export function portLines(ports: PortMap, container: string, wanted?: string): string[] {
  if (wanted === undefined) {
    const out: string[] = [];
    for (const key of Object.keys(ports).sort(byPort)) {
      for (const b of ports[key] ?? []) out.push(`${key} -> ${hostPort(b.HostIp, b.HostPort)}`);
    }
    return out;
  }
  const [port, proto = 'tcp'] = wanted.split('/', 2);
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new EngineError(`Error: invalid port (${port})`, 1);
  const key = `${Number(port)}/${proto}`;
  const bindings = ports[key] ?? [];
  if (bindings.length === 0) throw new EngineError(`Error: No public port '${key}' published for ${container}`, 1);
  return bindings.map((b) => hostPort(b.HostIp, b.HostPort));
}
// #endregion

export default async function port(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length < 1 || positionals.length > 2) throw new ArgumentsError(`'minidock port' requires 1 or 2 arguments: minidock port CONTAINER [PRIVATE_PORT[/PROTO]]`);
  requireStage7('port');
  const c = findContainer(paths(), positionals[0]);
  const lines = portLines(c.NetworkSettings?.Ports ?? {}, positionals[0], positionals[1]);
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
