// For the unit tests of the layer store: a small layer tar built in memory (tar-stream), the way
// lib/sys/fake.ts gives them a fake Sys. Regular files only, mode 0644, mtime 0, so that the same
// files always make the same bytes (and the same DiffID).

import tar from 'tar-stream';

/** A tar of `files` (path → contents), in the order given. */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
