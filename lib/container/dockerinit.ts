// --init: a tiny init as the container's PID 1, docker's choice — tini, bind-mounted read-only at
// /sbin/docker-init and started as `docker-init -- <the command>`. PID 1 has two jobs no ordinary
// program does: reap orphans (or they stay zombies) and pass signals on (the kernel drops those
// PID 1 has no handler for). Stage 7 notes, "zombies and PID 1". Seed 004: docker-init is tini.

import { existsSync } from 'node:fs';
import { EngineError } from '../errors.js';
import type { Spec } from '../runtime/spec.js';

/** Where docker-init is inside every container (docker's path). */
export const DOCKER_INIT = '/sbin/docker-init';

/**
 * The host's static tini: MINIDOCK_INIT_PATH, or where Debian's tini package (tini-static) and
 * docker's packages (docker-init) put it. Static, because it must run in any image's rootfs.
 */
export function findDockerInit(env: NodeJS.ProcessEnv = process.env, exists: (f: string) => boolean = existsSync): string {
  const candidates = [env.MINIDOCK_INIT_PATH, '/usr/bin/tini-static', '/usr/libexec/docker/docker-init', '/usr/bin/docker-init'].filter((f): f is string => !!f);
  const found = candidates.find(exists);
  if (!found) throw new EngineError(`--init: no static init binary found (looked for ${candidates.join(', ')}); install the tini package`);
  return found;
}

// #region with-docker-init
/** The spec with docker-init as PID 1: the bind mount, and the command behind `--`. */
export function withDockerInit(spec: Spec, initBinary: string): Spec {
  // #region exercise 7.docker-init
  return {
    ...spec,
    process: { ...spec.process, args: [DOCKER_INIT, '--', ...spec.process.args] },
    mounts: [...spec.mounts, { destination: DOCKER_INIT, type: 'bind', source: initBinary, options: ['bind', 'ro'] }],
  };
  // #endregion
}
// #endregion
