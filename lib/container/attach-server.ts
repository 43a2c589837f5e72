// The shim's end of attach: a unix socket, <run>/attach/<id>.sock, where clients (`minidock
// attach`, `minidock run -t`) connect to a detached container's stdio. containerd-shim keeps
// fifos for the same job; docker's daemon sits in between. Stage 7 notes, "attach".
//
// The shim holds the container's output (and, with -t, the pty master); this server copies that
// output to every client connected now, in frames (attach.ts), and hands the clients' keys and
// window sizes to the shim. A client that leaves (detach keys, a closed terminal) changes nothing
// for the container. For `run -t` the shim starts "holding": the output of a command that runs
// before the cli has connected is kept (up to 1 MiB) and given to the first client, so that the
// first line of `run -t busybox tty` is not lost.

import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { encodeFrame, FrameDecoder, STREAM, type Stream } from './attach.js';

const HOLD_LIMIT = 1 << 20;

export interface WindowSize {
  rows: number;
  columns: number;
}

export class AttachServer {
  private clients = new Set<Socket>();
  /** output kept for the first client (null: not holding) */
  private held: Buffer[] | null;
  private heldBytes = 0;
  private exitStatus: number | null = null;
  private firstClient: () => void = () => {};
  private readonly first: Promise<void>;
  /** the keys a client typed (an empty buffer: its stdin ended) */
  onStdin: (data: Buffer) => void = () => {};
  /** a client's terminal changed size */
  onResize: (size: WindowSize) => void = () => {};

  private constructor(private readonly server: Server, hold: boolean) {
    this.held = hold ? [] : null;
    this.first = new Promise((resolve) => (this.firstClient = resolve));
    server.on('connection', (client) => this.welcome(client));
  }

  /** Listen on `socketPath` (a stale socket of a shim that was killed is replaced). */
  static listen(socketPath: string, hold: boolean): Promise<AttachServer> {
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    rmSync(socketPath, { force: true });
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve(new AttachServer(server, hold)));
    });
  }

  // #region attach-server
  private welcome(client: Socket): void {
    this.clients.add(client);
    // what was held for the first client, then the exit if it came already
    for (const chunk of this.held ?? []) client.write(chunk);
    this.held = null;
    if (this.exitStatus !== null) client.end(encodeFrame(STREAM.EXIT, JSON.stringify({ status: this.exitStatus })));
    const decoder = new FrameDecoder();
    client.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) {
        if (f.stream === STREAM.STDIN) this.onStdin(f.payload);
        else if (f.stream === STREAM.RESIZE) this.onResize(JSON.parse(f.payload.toString()) as WindowSize);
      }
    });
    const gone = () => this.clients.delete(client);
    client.on('close', gone);
    client.on('error', gone);
    this.firstClient();
  }

  /** The container wrote `data` on `stream`: to every client now (or held for the first). */
  output(stream: Stream, data: Buffer): void {
    const frame = encodeFrame(stream, data);
    if (this.held && this.heldBytes + frame.length <= HOLD_LIMIT) {
      this.held.push(frame);
      this.heldBytes += frame.length;
    }
    for (const client of this.clients) client.write(frame);
  }

  /** The container exited: every client hears its status and is let go. */
  exit(status: number): void {
    this.exitStatus = status;
    for (const client of this.clients) client.end(encodeFrame(STREAM.EXIT, JSON.stringify({ status })));
  }
  // #endregion

  /** Holding: wait (at most `ms`) for the first client, so that it gets what was held. */
  async waitForFirstClient(ms: number): Promise<void> {
    if (this.held === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.first, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** Stop listening (Node removes the socket file) and let every client go. */
  close(): Promise<void> {
    for (const client of this.clients) client.end();
    // a client that never closes its end must not keep the shim alive
    setTimeout(() => this.clients.forEach((c) => c.destroy()), 1000).unref();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
