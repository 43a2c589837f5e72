// The sync protocol between the runtime's parent side and init, over one socket (fd 3 in init).
//
// Creating a container is a conversation: init can only be placed in a cgroup or given a network
// device once it exists and owns its namespaces, and it must not run the user's command before
// the host has done so. runc's libcontainer/sync.go has the same shape; so does this. Both
// halves live here: SyncFd (init's, blocking) and InitChannel (the parent's, async).
//
// #region protocol
//   parent (host)                                     init (PID 1 of the new PID namespace)
//     │  unshare(CLONE_NEWPID), spawn init                │
//     │ ── bootstrap {spec} ────────────────────────────▶ │ 1. read config.json's settings
//     │                                                   │ 2. setns into the namespaces to join,
//     │ ◀────────────────────────────────── created {} ── │    unshare the new ones
//     │  cgroup: write init's PID to cgroup.procs         │
//     │  createRuntime hooks (the engine: network)        │
//     │ ── configured {} ───────────────────────────────▶ │ 3. unshare(NEWCGROUP): its root is ours now
//     │                                                   │ 4. rootfs: mounts, /dev, pivot_root
//     │                                                   │ 5. hostname, sysctl, cwd, find the command
//     │ ◀───────────────────────────── pty {fd} ────────── │    process.terminal: a pty made inside;
//     │  pidfd_getfd(init, fd): the master is ours too     │    the number of its master fd
//     │ ◀──────────────────────────────────── ready {} ── │ 6. wait: read one byte from exec.fifo
//     │  state.json written; `create` returns here         │    (fd 4; blocks until `start`)
//   start: write one byte to exec.fifo ───────────────▶   │ 7. execve(): the user's command is PID 1
//     │ ◀──────────────────────────────────── exec {} ── │    (fd 3 is close-on-exec, so the parent
//     │ EOF: the user's command runs                       │     that still listens reads EOF)
//     │                                                   │
//     │ ◀────────────────────── error {message, code} ── │ any step failed (then init exits)
// #endregion
//
// Messages are JSON, one per line. Init speaks it with synchronous reads and writes: after
// unshare(2) only its main thread is in the new namespaces, so it must not hand work to libuv's
// thread pool (docs/design.md, process model).

import { readSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { EngineError } from '../errors.js';
import type { Spec } from './spec.js';

/** How long init may take for one step of the handshake before the start is abandoned. */
const INIT_TIMEOUT_MS = 30_000;

// #region messages
/** What init needs to build the container: config.json's settings, with paths made absolute. */
export interface Bootstrap {
  spec: Spec;
  /** root.path, absolute on the host: the directory that becomes "/" */
  rootfs: string;
  /** runc's --no-pivot: chroot(2) into the rootfs instead of pivot_root(2) (see rootfs.ts) */
  noPivot: boolean;
}

export type HostMessage =
  | { type: 'bootstrap'; bootstrap: Bootstrap }
  | { type: 'configured' };

export type InitMessage =
  | { type: 'created' }
  | { type: 'pty'; fd: number }
  | { type: 'ready' }
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

/** The parent's side: messages from init as promises, each step with a time limit. */
export class InitChannel {
  private queue: (InitMessage | null)[] = [];
  private waiting: ((m: InitMessage | null) => void) | null = null;
  private decoder = new LineDecoder<InitMessage>();

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.decoder.push(chunk).forEach((m) => this.deliver(m)));
    socket.on('end', () => this.deliver(null));
    socket.on('close', () => this.deliver(null));
    socket.on('error', () => this.deliver(null));
  }

  private deliver(m: InitMessage | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(m);
    } else this.queue.push(m);
  }

  send(m: HostMessage): void {
    this.socket.write(encode(m));
  }

  next(): Promise<InitMessage | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The next message (null: init closed the socket), or an error if init says nothing for too long. */
  async nextWithin(what: string, ms = INIT_TIMEOUT_MS): Promise<InitMessage | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const m = await Promise.race([this.next(), late]);
    clearTimeout(timer);
    if (m === 'late') throw new EngineError(`init did not reach '${what}' within ${ms / 1000} s`);
    return m;
  }

  async expect<K extends InitMessage['type']>(type: K): Promise<Extract<InitMessage, { type: K }>> {
    const m = await this.nextWithin(type);
    if (m === null) throw new EngineError(`init exited before '${type}'`);
    if (m.type === 'error') throw new EngineError(m.message, m.exitCode);
    if (m.type !== type) throw new EngineError(`sync: expected '${type}' from init, got '${m.type}'`);
    return m as Extract<InitMessage, { type: K }>;
  }

  close(): void {
    this.socket.destroy();
  }
}
