// Where minidock keeps its state, mirroring Docker's /var/lib/docker and /run/docker.
//
//   /var/lib/minidock/                 MINIDOCK_ROOT (tests point it at a temp dir)
//     containers/<id>/                 config.v2.json, hostconfig.json, hostname, hosts, …
//     image/overlay2/                  imagedb/, layerdb/, repositories.json
//     overlay2/<id>/ and overlay2/l/   the layers (stage 3)
//     volumes/<name>/_data             volumes (stage 4)
//   /run/minidock/                     MINIDOCK_RUN: runtime state that must not survive a reboot
//     bundles/<id>/config.json         the OCI bundle the engine hands the runtime (docker: /run/docker/containerd/<id>)
//     runtime/<id>/state.json          the runtime's own record (runc: /run/runc/<id>)
//     attach/<id>.sock                 where a detached container's shim takes attach clients

import path from 'node:path';

export interface Paths {
  root: string;
  run: string;
  containers: string;
  container(id: string): string;
  imageDb: string;
  layerDb: string;
  repositories: string;
  overlay2: string;
  volumes: string;
  tmp: string;
  locks: string;
  /** the OCI bundle of a container: config.json, whose root.path is the mounted rootfs */
  bundle(id: string): string;
  /** the runtime's --root */
  runtimeRoot: string;
  /** a detached container's attach socket, its shim listening (stage 7) */
  attachSocket(id: string): string;
}

export function paths(env: NodeJS.ProcessEnv = process.env): Paths {
  const root = path.resolve(env.MINIDOCK_ROOT || '/var/lib/minidock');
  const run = path.resolve(env.MINIDOCK_RUN || (env.MINIDOCK_ROOT ? path.join(root, 'run') : '/run/minidock'));
  return {
    root,
    run,
    containers: path.join(root, 'containers'),
    container: (id: string) => path.join(root, 'containers', id),
    imageDb: path.join(root, 'image', 'overlay2', 'imagedb'),
    layerDb: path.join(root, 'image', 'overlay2', 'layerdb'),
    repositories: path.join(root, 'image', 'overlay2', 'repositories.json'),
    overlay2: path.join(root, 'overlay2'),
    volumes: path.join(root, 'volumes'),
    tmp: path.join(root, 'tmp'),
    locks: path.join(run, 'locks'),
    bundle: (id: string) => path.join(run, 'bundles', id),
    runtimeRoot: path.join(run, 'runtime'),
    attachSocket: (id: string) => path.join(run, 'attach', `${id}.sock`),
  };
}
