// The attach protocol: what travels over the unix socket between a container's shim and an
// attached client (`minidock attach`, `minidock run -t`). Stage 7 notes, "attach".
//
// One byte stream carries several: the container's stdout and stderr one way, the keys typed
// and the terminal's size changes the other, and at the end the exit status. Each piece is a
// frame with docker's stream header (the one `docker attach` and `docker logs` use over the API,
// moby's stdcopy): 8 bytes, then the payload.
//
//   [stream: 1 byte][0 0 0][length: 4 bytes, big-endian]  payload…
//
// Streams 0, 1 and 2 are docker's (stdin, stdout, stderr); docker sends a resize and the exit
// status over other API calls, this socket has two more frame kinds for them.
//
//   client ── STDIN bytes, RESIZE {rows, columns} ──▶ shim
//   client ◀── STDOUT / STDERR bytes, EXIT {status} ── shim

export const STREAM = { STDIN: 0, STDOUT: 1, STDERR: 2, RESIZE: 16, EXIT: 17 } as const;
export type Stream = (typeof STREAM)[keyof typeof STREAM];

export interface Frame {
  stream: Stream;
  payload: Buffer;
}

const HEADER = 8;

// #region attach-frames
export function encodeFrame(stream: Stream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Cuts a byte stream back into frames; a frame split across reads waits for its rest. */
export class FrameDecoder {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= HEADER) {
      const length = this.buffered.readUInt32BE(4);
      if (this.buffered.length < HEADER + length) break;
      frames.push({ stream: this.buffered.readUInt8(0) as Stream, payload: this.buffered.subarray(HEADER, HEADER + length) });
      this.buffered = this.buffered.subarray(HEADER + length);
    }
    return frames;
  }
}
// #endregion
