// Verifying content while it streams: a registry, an archive or our own layer directory hands us
// bytes that claim a digest; we hash them on the way and refuse the end of the stream when the
// hash is not the claimed one. Nothing is held in memory but the hash state.
//
// OCI image spec "descriptor.md" (digests). Stage 6 notes, "a digest is a promise".

import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { EngineError } from '../errors.js';
import type { Digest } from './digest.js';

// #region verify-stream
/**
 * A pass-through stream that hashes what goes through it. With `expected`, the stream fails at
 * its end if the sha256 differs (or, with `size`, if the length does). `.digest()` and `.size()`
 * tell what went through, once it has ended.
 */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private result: Digest | null = null;

  constructor(
    private readonly expected?: string,
    private readonly what = 'content',
    private readonly expectedSize?: number,
    /** told the byte count so far after each chunk (for a progress bar) */
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    done(null, chunk);
  }

  override _flush(done: (err?: Error | null) => void): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    if (this.expected !== undefined && this.result !== this.expected) {
      done(new EngineError(`${this.what}: digest mismatch: want ${this.expected}, got ${this.result}`));
      return;
    }
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      done(new EngineError(`${this.what}: size mismatch: want ${this.expectedSize} bytes, got ${this.bytes}`));
      return;
    }
    done();
  }

  digest(): Digest {
    if (this.result === null) throw new Error('digest() before the stream ended');
    return this.result;
  }

  size(): number {
    return this.bytes;
  }
}
// #endregion
