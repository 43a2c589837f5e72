// Tar-split: how a layer's tar is given back byte for byte after it was unpacked.
//
// An image config names each layer by its DiffID, the sha256 of the layer's tar. Once unpacked,
// the tar is gone; packing the directory again would give another tar (other header fields, other
// order) and so another DiffID, and `save` or `push` would hand out an image whose config lies.
// Docker keeps, beside each layer, `tar-split.json.gz`: every byte of the tar except the file
// contents, which are read back from the layer directory. We keep the same idea in our own small
// format (one JSON object a line, gzip):
//
//   {"raw":"<base64>"}            bytes of the tar as they were: headers, pax records, padding
//   {"file":"etc/passwd","size":N} N bytes of content, read from <layer dir>/etc/passwd
//
// tar(5) (ustar, pax, GNU long names). Stage 6 notes, "giving a layer back".

import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EngineError } from '../errors.js';

const BLOCK = 512;

export type SplitEntry = { raw: string } | { file: string; size: number };

// #region tar-splitter
/**
 * Watches an uncompressed tar stream go by (feed it every chunk, in order) and remembers its
 * layout. It parses only what it needs: each header's type, size and name (with pax `path=` and
 * GNU `L` long names), so it knows which bytes are file contents.
 */
export class TarSplitter {
  private entries: SplitEntry[] = [];
  private raw: Buffer[] = [];
  private pending = Buffer.alloc(0);
  /** bytes of file content still to skip (not recorded) */
  private skip = 0;
  /** bytes of metadata body (pax, long name) still to collect */
  private collect = 0;
  private collected: Buffer[] = [];
  private collectKind = '';
  private longName: string | null = null;
  private paxPath: string | null = null;
  private paxSize: number | null = null;
  /** after the end-of-archive blocks, everything is kept raw */
  private ended = false;

  write(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.ended) {
        this.raw.push(Buffer.from(data));
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        continue;
      }
      if (this.collect > 0) {
        const n = Math.min(this.collect, data.length);
        const part = Buffer.from(data.subarray(0, n));
        this.raw.push(part);
        this.collected.push(part);
        this.collect -= n;
        data = data.subarray(n);
        if (this.collect === 0) this.finishMetadata();
        continue;
      }
      if (data.length < BLOCK) {
        this.pending = Buffer.from(data);
        return;
      }
      this.header(Buffer.from(data.subarray(0, BLOCK)));
      data = data.subarray(BLOCK);
    }
  }
  // #endregion

  // #region tar-splitter-header
  /** One 512-byte header block: keep it raw, then decide what its body is. */
  private header(block: Buffer): void {
    this.raw.push(block);
    if (block.every((b) => b === 0)) {
      this.ended = true; // the two zero blocks that end an archive (and whatever padding follows)
      return;
    }
    const type = String.fromCharCode(block[156]);
    const size = this.paxSize ?? parseSize(block.subarray(124, 136));
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      // metadata about the next entry: kept raw, and read for a name or a size
      this.collectKind = type;
      this.collect = padded;
      this.collected = [];
      if (padded === 0) this.finishMetadata();
      return;
    }
    const name = this.longName ?? this.paxPath ?? headerName(block);
    this.longName = this.paxPath = this.paxSize = null;
    if ((type === '0' || type === '\0' || type === '7') && size > 0) {
      this.flush();
      this.entries.push({ file: name, size });
      // content and padding are skipped; the padding is zeros, recorded as such
      this.skip = padded;
      if (padded > size) this.raw.push(Buffer.alloc(padded - size));
      return;
    }
    this.collectKind = '';
    this.collect = padded; // other types should have no body; if one has, keep it raw
  }

  private finishMetadata(): void {
    const body = Buffer.concat(this.collected);
    if (this.collectKind === 'L') this.longName = body.toString('utf8').replace(/\0.*$/s, '');
    if (this.collectKind === 'x') {
      const pax = parsePax(body);
      if (pax.path !== undefined) this.paxPath = pax.path;
      if (pax.size !== undefined) this.paxSize = Number(pax.size);
    }
    this.collectKind = '';
  }

  private flush(): void {
    if (this.raw.length === 0) return;
    this.entries.push({ raw: Buffer.concat(this.raw).toString('base64') });
    this.raw = [];
  }

  /** The layout, gzip-compressed JSON lines, to keep beside the layer. */
  finish(): Buffer {
    if (this.pending.length > 0) this.raw.push(this.pending);
    this.flush();
    return gzipSync(this.entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
}
// #endregion

/** A header's numeric field: octal text, or (GNU) base-256 when the top bit is set. */
function parseSize(field: Buffer): number {
  if (field[0] & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** name (0..100), with the ustar prefix (345..500) in front when there is one. */
function headerName(block: Buffer): string {
  const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');
  const name = cstr(block.subarray(0, 100));
  const ustar = block.subarray(257, 262).toString('ascii') === 'ustar';
  const prefix = ustar ? cstr(block.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** pax records: "<len> key=value\n" one after the other. */
function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(body.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Read a tar-split file back into its entries. */
export function readTarSplit(gz: Buffer): SplitEntry[] {
  return gunzipSync(gz)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SplitEntry);
}

// #region reassemble
/**
 * The tar again: raw bytes as recorded, file contents from `dir`. A file that is not there, or
 * not as long as it was, stops the stream with an error (the caller checks the DiffID anyway).
 */
export function reassemble(entries: SplitEntry[], dir: string): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      if ('raw' in e) {
        yield Buffer.from(e.raw, 'base64');
        continue;
      }
      const parts = e.file.split('/').filter((c) => c !== '' && c !== '.');
      if (parts.includes('..')) throw new EngineError(`tar-split names ${JSON.stringify(e.file)}, outside the layer`);
      let got = 0;
      for await (const chunk of createReadStream(path.join(dir, ...parts))) {
        got += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (got !== e.size) throw new EngineError(`layer file ${e.file} changed: ${got} bytes, the tar had ${e.size}`);
    }
  }
  return Readable.from(bytes());
}
// #endregion
