// The sync protocol's framing: JSON messages, one per line, read from a byte stream that may cut
// a message — or a multi-byte UTF-8 character — anywhere. SyncFd's reads and writes are made
// through node:fs, which is replaced here by a script of chunks, so every cut can be chosen.

import { beforeEach, describe, expect, it, vi } from 'vitest';
import { encode, LineDecoder, SyncFd, type HostMessage, type InitSpec } from './sync.js';

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


const spec: InitSpec = {
  id: 'abc', hostname: 'café-☃', rootfs: '/var/lib/minidock/vfs/dir/abc', rootfsMount: null, mounts: [],
  args: ['sh', '-c', 'echo 你好'], env: ['GREETING=héllo'], cwd: '/', unshare: ['mnt'], join: {}, stage: 1,
};
const bootstrap = encode({ type: 'bootstrap', spec });

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
    const line = encode({ type: 'bootstrap', spec: { ...spec, args: ['printf', 'one\ntwo\n'] } });
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
      expect(got).toEqual([{ type: 'bootstrap', spec }]);
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
    expect(msg.spec).toEqual(spec);
    expect(io.reads).toBe(4);
  });

  it('receives multi-byte UTF-8 intact when a read ends in the middle of a character', () => {
    const bytes = Buffer.from(bootstrap, 'utf8');
    // the 3-byte "☃" (E2 98 83) and "你" (E4 BD A0): cut after their first and second bytes
    const snowman = bytes.indexOf(Buffer.from('☃'));
    const ni = bytes.indexOf(Buffer.from('你'));
    io.chunks = cut(bootstrap, snowman + 1, snowman + 2, ni + 1);
    const msg = new SyncFd(3).receive('bootstrap');
    expect(msg.spec.hostname).toBe('café-☃');
    expect(msg.spec.args[2]).toBe('echo 你好');
    expect(JSON.stringify(msg.spec)).not.toContain('\ufffd'); // no replacement characters
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
