// The json-file log driver: what a detached container writes to stdout and stderr, kept in
// containers/<id>/<id>-json.log, one JSON object per line, as Docker's default log driver does:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.000000000Z"}

import { appendFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

export function logPath(containerDir: string, id: string): string {
  return `${containerDir}/${id}-json.log`;
}

/** Copy a stream into the log, one entry per line (a partial last line is flushed at the end). */
export function pipeToLog(stream: Readable, file: string, name: 'stdout' | 'stderr'): Promise<void> {
  let pending = '';
  const write = (text: string) => appendFileSync(file, JSON.stringify({ log: text, stream: name, time: new Date().toISOString() }) + '\n');
  return new Promise((resolve) => {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split(/(?<=\n)/);
      pending = lines[lines.length - 1].endsWith('\n') ? '' : lines.pop()!;
      for (const line of lines) write(line);
    });
    stream.on('end', () => {
      if (pending) write(pending);
      resolve();
    });
    stream.on('error', () => resolve());
  });
}
