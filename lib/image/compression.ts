// Compressed layers: a tarball may arrive plain or compressed, and nothing but its first bytes
// says which. Like docker (pkg/archive DetectCompression), look at the magic bytes and put a
// decompressor in front of the tar parser. gzip is in Node (node:zlib); xz, bzip2 and zstd are
// decompressed by the host's own tools (`xz -dc`, as docker itself runs xz), or refused with a
// one-line message that says what to install.
//
// gzip(1) RFC 1952, xz(1), bzip2(1), zstd(1) RFC 8878. Stage 3 notes, "compressed tarballs".

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

// #region magic
/** The first bytes of each format, as their specifications fix them. */
const MAGIC: [Exclude<Compression, 'none'>, number[]][] = [
  ['gzip', [0x1f, 0x8b]], // RFC 1952: ID1 ID2
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh" (then the block size digit)
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], // FD "7zXZ" 00
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]], // frame magic 0xFD2FB528, little-endian
];

/** The most bytes detectCompression needs to see. */
export const MAGIC_LENGTH = 6;

/** Which compression `head` (the first bytes of a stream) starts with; 'none' for a plain tar. */
export function detectCompression(head: Buffer): Compression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return kind;
  }
  return 'none';
}
// #endregion

/** The host tool that decompresses each format docker hands to a program (`<tool> -dc`). */
const TOOL: Record<'bzip2' | 'xz' | 'zstd', { command: string; pkg: string }> = {
  bzip2: { command: 'bzip2', pkg: 'bzip2' },
  xz: { command: 'xz', pkg: 'xz-utils' },
  zstd: { command: 'zstd', pkg: 'zstd' },
};

/** Where `command` is on PATH, or null: checked before spawning, to refuse with a clear message. */
export function findOnPath(command: string, searchPath = process.env.PATH ?? '/usr/bin:/bin'): string | null {
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

// #region decompress
/**
 * The pipeline stages that turn `input` into plain tar bytes: the input itself (its first bytes
 * read to detect the format, then handed on again), then a decompressor if one is needed.
 * Refuses a format whose tool is missing before a single byte is unpacked.
 */
export async function decompressStages(input: Readable, searchPath?: string): Promise<(Readable | NodeJS.ReadWriteStream | DecompressFn)[]> {
  const { head, replay } = await peek(input, MAGIC_LENGTH);
  const kind = detectCompression(head);
  if (kind === 'none') return [replay];
  // 1 MiB out per call instead of zlib's 16 KiB: what follows (the DiffID's hash, the tar parser,
  // write(2)) pays per chunk, so a big layer goes through in 1/64 of the chunks
  if (kind === 'gzip') return [replay, createGunzip({ chunkSize: 1024 * 1024 })];
  const tool = findOnPath(TOOL[kind].command, searchPath);
  if (tool === null) {
    replay.destroy();
    throw new EngineError(`unsupported compression: ${kind} (install ${TOOL[kind].pkg})`);
  }
  return [replay, throughTool(kind, tool)];
}
// #endregion

/**
 * Read the first `n` bytes (or fewer, if the stream is shorter), and return them with a stream
 * that replays them and then the rest of the input.
 */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; replay: Readable }> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < n) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  const replay = Readable.from(
    (async function* () {
      try {
        if (head.length > 0) yield head;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.(); // stop reading the input if extraction stopped early
      }
    })(),
  );
  return { head, replay };
}

/** A pipeline stage written as a function: compressed chunks in, plain chunks out. */
export type DecompressFn = (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>;

// #region through-tool
/**
 * Decompress by streaming through `<tool> -dc`: the compressed bytes go to its stdin, the tar
 * comes from its stdout, and its exit status is checked *before* the end of the output is
 * passed on. Otherwise a corrupt archive would reach the tar parser as a short tar and fail as
 * "Unexpected end of data", which says nothing about the real cause.
 */
export function throughTool(kind: Compression, tool: string): DecompressFn {
  return async function* (source) {
    trace(`${tool} -dc`);
    const child = spawn(path.basename(tool), ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.on('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    // Feed stdin in the background. If the tool stops early (corrupt input), writing fails with
    // EPIPE: its exit status below tells why, so that error is kept only for a broken input.
    const feeding = pipeline(source, child.stdin).catch((err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? null : err));
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const { code, signal, spawnError } = await exited;
      if (spawnError) throw new EngineError(`decompress ${kind}: ${spawnError.message}`);
      if (code !== 0) {
        const why = stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit status ${code}`);
        throw new EngineError(`decompress ${kind}: ${why}`);
      }
      const inputError = await feeding;
      if (inputError) throw inputError;
    } finally {
      // The consumer stopped early (a refused entry) or the tool failed: do not leave it running.
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  };
}
// #endregion
