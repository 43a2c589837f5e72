// minidock explain CONTAINER — minidock's own verb (docker has none): draw a running container
// as the kernel sees it now — its namespaces beside the host's, its cgroup and limit files, its
// layer stack, its mounts, its veth and bridge. The facts come from /proc, /sys and the engine's
// files (lib/container/explain.ts); the drawing is lib/cli/explain-picture.ts.

import { ArgumentsError, EngineError } from '../errors.js';
import { explainContainer } from '../container/explain.js';
import { findContainer, initAlive, loadHostConfig } from '../container/state.js';
import { paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { renderExplain } from './explain-picture.js';

export default async function explain(argv: string[]): Promise<number> {
  if (argv.length !== 1) throw new ArgumentsError(`'minidock explain' requires exactly 1 argument: minidock explain CONTAINER`);
  // below stage 1 a container is a chroot: no namespaces to draw
  const stage = currentStage();
  if (stage < 1) throw new EngineError(`explain needs stage 1 (namespaces); this engine runs at stage ${stage}`, 1);
  const p = paths();
  const c = findContainer(p, argv[0]);
  if (!c.State.Running || !initAlive(c)) throw new EngineError(`container ${argv[0]} is not running: there is nothing live to explain`, 1);
  const networkMode = loadHostConfig(p, c.ID).NetworkMode;
  process.stdout.write(renderExplain(explainContainer(c, networkMode)));
  return 0;
}
