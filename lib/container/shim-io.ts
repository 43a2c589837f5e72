// The shim's copies of a detached container's streams: its output to the json-file log and to
// the attached clients, the clients' keys to its input. Stage 7 notes, "attach" and "the shim
// keeps the pty master".
//
// Without -t the container's stdout and stderr are two pipes (and, with -i, its stdin a third);
// with -t all three are the slave of one pty, and the shim holds its master: everything the
// container writes is read there (logged as stdout, as docker does), every key written there is
// typed into the container's terminal, and a window size set there (TIOCSWINSZ) is what the
// container's `stty size` sees — the kernel also sends it SIGWINCH.

import { writeSync } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import tty from 'node:tty';
import { setWindowSize } from '../runtime/terminal.js';
import type { Sys } from '../sys/sys.js';
import { STREAM } from './attach.js';
import type { AttachServer } from './attach-server.js';
import { pipeToLog } from './logs.js';

// #region relay-pipes
/** No terminal: stdout and stderr to the log and the clients; the clients' keys to stdin (-i). */
export function relayPipes(out: Readable, err: Readable, stdin: Writable | null, log: (entry: string) => void, attach?: AttachServer): Promise<void>[] {
  if (attach) {
    out.on('data', (d: string | Buffer) => attach.output(STREAM.STDOUT, Buffer.from(d)));
    err.on('data', (d: string | Buffer) => attach.output(STREAM.STDERR, Buffer.from(d)));
    if (stdin) {
      stdin.on('error', () => {}); // the container closed its stdin: keys typed now go nowhere
      attach.onStdin = (d) => (d.length === 0 ? stdin.end() : stdin.write(d));
    }
  }
  return [pipeToLog(out, log, 'stdout'), pipeToLog(err, log, 'stderr')];
}
// #endregion

// #region relay-master
/**
 * -t: read the pty master until the container's last process has closed the slave (the read
 * fails with EIO), logging it as stdout and copying it to the clients; their keys (with -i) and
 * window sizes go to the master. Resolves when the output has ended and is in the log.
 */
export function relayMaster(sys: Sys, master: number, openStdin: boolean, log: (entry: string) => void, attach?: AttachServer): Promise<void> {
  const fromContainer = new tty.ReadStream(master);
  const toLog = new PassThrough();
  const logged = pipeToLog(toLog, log, 'stdout');
  fromContainer.on('data', (d: Buffer) => {
    if (!toLog.writableEnded) toLog.write(d);
    attach?.output(STREAM.STDOUT, d);
  });
  const end = () => {
    if (!toLog.writableEnded) toLog.end();
  };
  fromContainer.on('error', end); // EIO: no process holds the slave any more
  fromContainer.on('end', end);
  fromContainer.on('close', end);
  if (attach) {
    attach.onStdin = (d) => {
      if (!openStdin || d.length === 0) return;
      try {
        writeSync(master, d);
      } catch {
        // the container is gone
      }
    };
    attach.onResize = (size) => {
      try {
        setWindowSize(sys, master, size);
      } catch {
        // the container is gone
      }
    };
  }
  return logged.then(() => {
    fromContainer.destroy(); // closes the master: the shim's copy was the last
  });
}
// #endregion
