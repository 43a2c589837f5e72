// The sync protocol: its framing (JSON messages, one per line, read from a byte stream that may
// cut a message — or a multi-byte UTF-8 character — anywhere) and both of its halves. SyncFd's
// reads and writes (init's side) are made through node:fs, which is replaced here by a script of
// chunks, so every cut can be chosen; InitChannel (the parent's side) reads a stand-in socket.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineError } from '../errors.js';
import { defaultSpec, type Spec } from './spec.js';
import { encode, InitChannel, LineDecoder, SyncFd, type Bootstrap, type HostMessage, type InitMessage } from './sync.js';

// vi.mock and vi.hoisted run before the imports above, so sync.ts sees the stand-in node:fs
const io = vi.hoisted(() => ({ chunks: [] as Buffer[], reads: 0, written: [] as { fd: number; text: string }[] }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    /** Hand out the next scripted chunk, as a read(2) that returns fewer bytes than asked for. */
    readSync: (_fd: number, buf: Buffer, offset: number, length: number) => {
      io.reads++;
      const chunk = io.chunks.shift();
      if (!chunk) return 0; // EOF: the host closed its end
      expect(chunk.length).toBeLessThanOrEqual(length);
      chunk.copy(buf, offset);
      return chunk.length;
    },
    writeSync: (fd: number, text: string) => {
      io.written.push({ fd, text });
      return Buffer.byteLength(text);
    },
  };
});


const spec: Spec = {
  ...defaultSpec(),
  hostname: 'café-☃',
  process: { ...defaultSpec().process, args: ['sh', '-c', 'echo 你好'], env: ['GREETING=héllo'] },
};
const boot: Bootstrap = { spec, rootfs: '/run/minidock/bundles/abc/rootfs', noPivot: false };
const bootstrap = encode({ type: 'bootstrap', bootstrap: boot });

/** Split a string's UTF-8 bytes at the given byte offsets. */
function cut(text: string, ...at: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

beforeEach(() => {
  io.chunks = [];
  io.reads = 0;
  io.written = [];
});

describe('encode', () => {
  it('writes one message as one line of JSON ending in a newline', () => {
    expect(encode({ type: 'created' })).toBe('{"type":"created"}\n');
    expect(encode({ type: 'error', message: 'a\nb', exitCode: 127 })).toBe('{"type":"error","message":"a\\nb","exitCode":127}\n');
  });

  it('never puts a raw newline inside a message, whatever the strings hold', () => {
    const printf = { ...spec, process: { ...spec.process, args: ['printf', 'one\ntwo\n'] } };
    const line = encode({ type: 'bootstrap', bootstrap: { ...boot, spec: printf } });
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });
});

describe('LineDecoder', () => {
  it('returns every complete message of a chunk, in order', () => {
    const d = new LineDecoder<{ type: string }>();
    expect(d.push('{"type":"created"}\n{"type":"exec"}\n')).toEqual([{ type: 'created' }, { type: 'exec' }]);
  });

  it('keeps a partial message until the rest arrives, across any number of chunks', () => {
    const d = new LineDecoder<{ type: string }>();
    expect(d.push('{"ty')).toEqual([]);
    expect(d.push('pe":"crea')).toEqual([]);
    expect(d.push('ted"}')).toEqual([]);
    expect(d.push('\n{"type":')).toEqual([{ type: 'created' }]);
    expect(d.push('"exec"}\n')).toEqual([{ type: 'exec' }]);
  });

  it('skips blank lines', () => {
    const d = new LineDecoder<{ type: string }>();
    expect(d.push('\n\n{"type":"exec"}\n  \n')).toEqual([{ type: 'exec' }]);
  });

  it('decodes a bootstrap message cut at every possible place', () => {
    for (let i = 1; i < bootstrap.length; i++) {
      const d = new LineDecoder<HostMessage>();
      const got = [...d.push(bootstrap.slice(0, i)), ...d.push(bootstrap.slice(i))];
      expect(got).toEqual([{ type: 'bootstrap', bootstrap: boot }]);
    }
  });

  it('throws on a line that is not JSON (a corrupt stream is not guessed at)', () => {
    expect(() => new LineDecoder().push('not json\n')).toThrow(SyntaxError);
  });
});

describe('SyncFd', () => {
  it('receives a message that arrives in several reads', () => {
    io.chunks = cut(bootstrap, 5, 40, 90);
    const msg = new SyncFd(3).receive('bootstrap');
    expect(msg.bootstrap).toEqual(boot);
    expect(io.reads).toBe(4);
  });

  it('receives multi-byte UTF-8 intact when a read ends in the middle of a character', () => {
    const bytes = Buffer.from(bootstrap, 'utf8');
    // the 3-byte "☃" (E2 98 83) and "你" (E4 BD A0): cut after their first and second bytes
    const snowman = bytes.indexOf(Buffer.from('☃'));
    const ni = bytes.indexOf(Buffer.from('你'));
    io.chunks = cut(bootstrap, ...[snowman + 1, snowman + 2, ni + 1].sort((a, b) => a - b));
    expect(io.chunks).toHaveLength(4);
    const msg = new SyncFd(3).receive('bootstrap');
    expect(msg.bootstrap.spec.hostname).toBe('café-☃');
    expect(msg.bootstrap.spec.process.args[2]).toBe('echo 你好');
    expect(JSON.stringify(msg.bootstrap)).not.toContain('\ufffd'); // no replacement characters
  });

  it('keeps the second of two messages that came in one read for the next receive, without reading again', () => {
    io.chunks = [Buffer.from(bootstrap + encode({ type: 'configured' }))];
    const sync = new SyncFd(3);
    expect(sync.receive('bootstrap').type).toBe('bootstrap');
    expect(sync.receive('configured')).toEqual({ type: 'configured' });
    expect(io.reads).toBe(1);
  });

  it('refuses a message the protocol does not expect now', () => {
    io.chunks = [Buffer.from(encode({ type: 'configured' }))];
    expect(() => new SyncFd(3).receive('bootstrap')).toThrow("sync: expected 'bootstrap', got 'configured'");
  });

  it('reports the host closing the socket while init waits', () => {
    io.chunks = [Buffer.from(bootstrap)];
    const sync = new SyncFd(3);
    sync.receive('bootstrap');
    expect(() => sync.receive('configured')).toThrow("sync: the host closed the pipe while init waited for 'configured'");
  });

  it('sends each message as one encoded line on its own fd', () => {
    const sync = new SyncFd(7);
    sync.send({ type: 'created' });
    sync.send({ type: 'error', message: 'exec: "nope": executable file not found in $PATH', exitCode: 127 });
    expect(io.written).toEqual([
      { fd: 7, text: '{"type":"created"}\n' },
      { fd: 7, text: encode({ type: 'error', message: 'exec: "nope": executable file not found in $PATH', exitCode: 127 }) },
    ]);
  });
});

/** Stands in for the parent's end of the socket: what init writes arrives as 'data' events. */
class FakeSocket extends EventEmitter {
  readonly written: string[] = [];
  encoding: string | undefined;
  destroyed = false;

  setEncoding(e: string): this {
    this.encoding = e;
    return this;
  }

  write(text: string): boolean {
    this.written.push(text);
    return true;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  /** init writes these messages, in one chunk */
  says(...msgs: InitMessage[]): void {
    this.emit('data', msgs.map(encode).join(''));
  }
}

function channel(): { socket: FakeSocket; ch: InitChannel } {
  const socket = new FakeSocket();
  return { socket, ch: new InitChannel(socket as unknown as Socket) };
}

/** The EngineError a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('the promise resolved');
}

describe('InitChannel', () => {
  it('reads the socket as UTF-8 text and sends each host message as one encoded line', () => {
    const { socket, ch } = channel();
    expect(socket.encoding).toBe('utf8');
    ch.send({ type: 'bootstrap', bootstrap: boot });
    ch.send({ type: 'configured' });
    expect(socket.written).toEqual([bootstrap, '{"type":"configured"}\n']);
  });

  it('resolves expect() when init sends the message the protocol waits for', async () => {
    const { socket, ch } = channel();
    const created = ch.expect('created');
    socket.says({ type: 'created' });
    await expect(created).resolves.toEqual({ type: 'created' }); // the message itself (init's 'pty' carries its fd number)
  });

  it('keeps messages that arrive before anyone waits, in order, for the next calls', async () => {
    const { socket, ch } = channel();
    socket.says({ type: 'created' }, { type: 'ready' });
    socket.emit('data', '{"type":"ex');
    socket.emit('data', 'ec"}\n');
    expect(await ch.next()).toEqual({ type: 'created' });
    expect(await ch.next()).toEqual({ type: 'ready' });
    expect(await ch.next()).toEqual({ type: 'exec' });
  });

  it('turns init’s error message into an EngineError with init’s message and exit code', async () => {
    const { socket, ch } = channel();
    socket.says({ type: 'error', message: 'exec: "nope": executable file not found in $PATH', exitCode: 127 });
    const e = await rejection(ch.expect('ready'));
    expect(e.message).toBe('exec: "nope": executable file not found in $PATH');
    expect(e.exitCode).toBe(127);
  });

  it('says init exited when the socket ends before the expected message', async () => {
    const { socket, ch } = channel();
    const ready = ch.expect('ready');
    socket.emit('end');
    expect((await rejection(ready)).message).toBe("init exited before 'ready'");
  });

  it('refuses a message out of protocol order', async () => {
    const { socket, ch } = channel();
    socket.says({ type: 'ready' });
    expect((await rejection(ch.expect('created'))).message).toBe("sync: expected 'created' from init, got 'ready'");
  });

  it('gives up on init that says nothing within the time limit', async () => {
    const { ch } = channel();
    expect((await rejection(ch.nextWithin('ready', 20))).message).toBe("init did not reach 'ready' within 0.02 s");
  });

  it('returns null from nextWithin once init closed the socket', async () => {
    const { socket, ch } = channel();
    socket.emit('close');
    expect(await ch.nextWithin('exec', 1000)).toBeNull();
  });

  it('destroys the socket on close()', () => {
    const { socket, ch } = channel();
    ch.close();
    expect(socket.destroyed).toBe(true);
  });
});
