// The sync protocol between the host side (the monitor) and init, over one socket (fd 3 in init).
//
// Creating a container is a conversation: init can only be placed in a cgroup or given a network
// device once it exists and owns its namespaces, and it must not run the user's command before
// the host has done so. runc's libcontainer/sync.go has the same shape; so does this.
//
// #region protocol
//   monitor (host)                                  init (PID 1 of the new PID namespace)
//     │  unshare(CLONE_NEWPID), spawn init               │
//     │ ── bootstrap {spec} ───────────────────────────▶ │ 1. read the spec
//     │                                                  │ 2. unshare(NEWNS|NEWUTS|NEWIPC|NEWNET)
//     │ ◀───────────────────────────────── created {} ── │    (or setns into shared ones)
//     │  cgroup: write init's PID to cgroup.procs        │
//     │  network: veth into init's net namespace         │
//     │ ── configured {} ──────────────────────────────▶ │ 3. unshare(NEWCGROUP): its root is ours now
//     │                                                  │ 4. rootfs: mounts, pivot_root, /proc, /sys
//     │                                                  │ 5. hostname, working dir, find the command
//     │ ◀──────────────────────────────────── exec {} ── │ 6. execve(): fd 3 is close-on-exec, so …
//     │ EOF: the user's command now runs as PID 1        │
//     │                                                  │
//     │ ◀───────────────────── error {message, code} ── │ any step failed (then init exits)
// #endregion
//
// Messages are JSON, one per line. Init speaks it with synchronous reads and writes: after
// unshare(2) only its main thread is in the new namespaces, so it must not hand work to libuv's
// thread pool (DESIGN.md, process model).

import { readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

// #region messages
/** One mount of the container: `source` on the host, `target` inside the container. */
export interface MountSpec {
  source: string;
  target: string;
  /** "bind" for bind mounts (volumes, files), else a filesystem type like "tmpfs" */
  type: string;
  readonly: boolean;
  /** mount(2) data for non-bind types, e.g. "size=64m" */
  data?: string;
  /** a volume's first mount: if it is empty, fill it from the image's directory at `target` (docker's copyData) */
  copyData?: boolean;
}

export interface InitSpec {
  /** the container's ID (for messages) and hostname */
  id: string;
  hostname: string;
  /** the host directory that becomes / */
  rootfs: string;
  /** a filesystem to mount at `rootfs` first (overlay2, stage 3), from directory `cwd` */
  rootfsMount: { source: string; fstype: string; data: string; cwd: string } | null;
  /** mounts into the rootfs before pivot_root (volumes, bind mounts, /etc/hosts …) */
  mounts: MountSpec[];
  /** the command, already resolved from Entrypoint + Cmd */
  args: string[];
  env: string[];
  cwd: string;
  /** namespaces init creates with unshare(2), as CLONE_* names */
  unshare: string[];
  /** namespaces init joins with setns(2): kind → /proc/<pid>/ns/<kind> path */
  join: Record<string, string>;
  /** stage gate: what init may do */
  stage: number;
}

export type HostMessage =
  | { type: 'bootstrap'; spec: InitSpec }
  | { type: 'configured' };

export type InitMessage =
  | { type: 'created' }
  | { type: 'exec' }
  | { type: 'error'; message: string; exitCode: number };
// #endregion

export function encode(msg: HostMessage | InitMessage): string {
  return JSON.stringify(msg) + '\n';
}

/** Split a byte stream into messages. Returns the complete ones and keeps the rest. */
export class LineDecoder<T> {
  private buffered = '';

  push(chunk: string): T[] {
    this.buffered += chunk;
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
  }
}

/** Init's side: blocking reads and writes on the sync fd. */
export class SyncFd {
  private decoder = new LineDecoder<HostMessage>();
  private pending: HostMessage[] = [];
  private utf8 = new StringDecoder('utf8'); // a read may end inside a multi-byte character

  constructor(private readonly fd: number) {}

  send(msg: InitMessage): void {
    writeSync(this.fd, encode(msg));
  }

  /** Wait for the next message; `want` says which one the protocol expects now. */
  receive<K extends HostMessage['type']>(want: K): Extract<HostMessage, { type: K }> {
    const buf = Buffer.alloc(64 * 1024);
    while (this.pending.length === 0) {
      const n = readSync(this.fd, buf, 0, buf.length, null);
      if (n === 0) throw new Error(`sync: the host closed the pipe while init waited for '${want}'`);
      this.pending.push(...this.decoder.push(this.utf8.write(buf.subarray(0, n))));
    }
    const msg = this.pending.shift()!;
    if (msg.type !== want) throw new Error(`sync: expected '${want}', got '${msg.type}'`);
    return msg as Extract<HostMessage, { type: K }>;
  }
}
