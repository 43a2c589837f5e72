// The engine's plan for one mount of a container (a volume, a bind, /etc/hosts …), before it is
// written into the bundle's config.json as an OCI mount. Stage 4 notes, "mount order".

import type { Mount } from '../runtime/spec.js';

export interface MountSpec {
  /** on the host */
  source: string;
  /** inside the container */
  target: string;
  /** "bind" for bind mounts (volumes, files), else a filesystem type like "tmpfs" */
  type: string;
  readonly: boolean;
  /** mount(2) data for non-bind types, e.g. "size=64m" */
  data?: string;
  /** a volume's first mount: if it is empty, fill it from the image's directory at `target` (docker's copyData) */
  copyData?: boolean;
}

/** The OCI mount the runtime gets: binds are recursive (rbind), as docker makes them. */
export function toOciMount(m: MountSpec): Mount {
  if (m.type === 'bind') return { destination: m.target, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
  const data = m.data ? m.data.split(',') : [];
  return { destination: m.target, type: m.type, source: m.type, options: ['nosuid', 'nodev', ...(m.readonly ? ['ro'] : []), ...data] };
}
