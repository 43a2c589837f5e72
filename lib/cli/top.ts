// minidock top CONTAINER [ps OPTIONS] — docker top: the container's processes, as the host's ps
// shows them (default: ps -ef), picked by the PIDs in its cgroup.

import { ArgumentsError } from '../errors.js';
import { topContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { requireStage7 } from './exec.js';

export default async function top(argv: string[]): Promise<number> {
  if (argv.length === 0) throw new ArgumentsError(`'minidock top' requires at least 1 argument: minidock top CONTAINER [ps OPTIONS]`);
  requireStage7('top');
  const [ref, ...psArgs] = argv;
  process.stdout.write(topContainer(paths(), ref, psArgs.length > 0 ? psArgs : undefined));
  return 0;
}
