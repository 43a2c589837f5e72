// The client's end of attach: `minidock attach` and `minidock run -t` connect to the shim's
// socket (attach-server.ts) and become the container's screen and keyboard. Stage 7 notes,
// "attach" and "detach keys".
//
// With a terminal on both sides, ours goes to raw mode: no echo, no line editing, no signals —
// every key, Ctrl-C included, is a byte for the container's terminal, whose line discipline
// turns Ctrl-C into SIGINT for *its* foreground process. Our window size goes with it, at the
// start and on every SIGWINCH. Raw mode is undone on every way out: the container's exit, the
// detach keys, a lost shim, and our own exit (Node also restores the terminal at exit).

import { createConnection } from 'node:net';
import { EngineError } from '../errors.js';
import { encodeFrame, FrameDecoder, STREAM } from './attach.js';
import { DetachMatcher } from './detachkeys.js';

export interface AttachOptions {
  /** our stdin goes to the container (-i, or attach to a container created with -i) */
  stdin: boolean;
  /** the container has a terminal (-t): raw mode and window sizes */
  tty: boolean;
  /** the detach sequence (detachkeys.ts) */
  detachKeys: readonly number[];
}

/** How an attachment ended: the container exited (its status), we detached, or the shim went away. */
export type AttachEnd = { how: 'exited'; status: number } | { how: 'detached' } | { how: 'lost' };

// #region attach-client
export function attachTo(socketPath: string, opts: AttachOptions): Promise<AttachEnd> {
  const socket = createConnection(socketPath);
  const raw = opts.stdin && opts.tty && process.stdin.isTTY;
  const sizes = opts.tty && process.stdout.isTTY;
  const matcher = new DetachMatcher(opts.detachKeys);
  const sendSize = () => socket.write(encodeFrame(STREAM.RESIZE, JSON.stringify({ rows: process.stdout.rows, columns: process.stdout.columns })));
  const restore = () => {
    if (raw && process.stdin.isTTY) process.stdin.setRawMode(false);
  };

  return new Promise<AttachEnd>((resolve, reject) => {
    let ended: AttachEnd = { how: 'lost' };
    const finish = (end: AttachEnd) => {
      // every way out passes here: the terminal back to normal, our listeners off
      restore();
      process.off('exit', restore);
      if (opts.stdin) {
        process.stdin.off('data', typed);
        process.stdin.off('end', stdinEnded);
        process.stdin.pause();
      }
      if (sizes) process.stdout.off('resize', sendSize);
      socket.destroy();
      resolve(end);
    };
    // #endregion
    // #region attach-client-relay
    const typed = (chunk: Buffer) => {
      const { forward, detach } = matcher.push(chunk);
      if (forward.length > 0) socket.write(encodeFrame(STREAM.STDIN, forward));
      if (detach) finish({ how: 'detached' });
    };
    const stdinEnded = () => socket.write(encodeFrame(STREAM.STDIN, Buffer.alloc(0))); // EOF for a piped stdin
    socket.once('connect', () => {
      if (raw) {
        process.stdin.setRawMode(true);
        process.on('exit', restore);
      }
      if (opts.stdin) {
        process.stdin.on('data', typed);
        process.stdin.on('end', stdinEnded);
      }
      if (sizes) {
        sendSize();
        process.stdout.on('resize', sendSize);
      }
    });
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) {
        if (f.stream === STREAM.STDOUT) process.stdout.write(f.payload);
        else if (f.stream === STREAM.STDERR) process.stderr.write(f.payload);
        else if (f.stream === STREAM.EXIT) ended = { how: 'exited', status: (JSON.parse(f.payload.toString()) as { status: number }).status };
      }
    });
    socket.on('close', () => finish(ended));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        restore();
        reject(new EngineError(`cannot attach: no shim listens on ${socketPath}`));
      }
    });
  });
}
// #endregion

/** The cli's exit status once attached: the container's, 0 after the detach keys; a lost shim is an error. */
export function attachedStatus(end: AttachEnd, id: string): number {
  if (end.how === 'exited') return end.status;
  if (end.how === 'detached') return 0;
  throw new EngineError(`lost the shim of container ${id.slice(0, 12)}`);
}
