// Docker's container records, as types only: config.v2.json (Container, its State, Config,
// MountPoints, NetworkSettings) and hostconfig.json (HostConfig), in docker's shapes and field
// names. The engine (lib/container) reads and writes them; mechanisms (lib/network, lib/volumes)
// take from them what they need as arguments and return results, never touching these files.
// Stage 3 notes (the container's directory), stage 4 ("mount points"), stage 5 ("reading inspect").
//
// This file imports nothing: every other file can use the shapes without an import circle.

// #region state-shape
/** The State object of `docker inspect`. */
export interface State {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  /** init's PID as the host sees it (0 when not running) */
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** Config: what the image and the run flags ask the container to be. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  /** "80/tcp" → {}: ports the image or --expose declare; -P publishes them (stage 5) */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** --stop-signal (or the image's STOPSIGNAL) and --stop-timeout: what `stop` sends, how long it waits (stage 7) */
  StopSignal?: string;
  StopTimeout?: number;
  /** `-v /data` (and an image's VOLUME): destinations that get an anonymous volume (stage 4) */
  Volumes?: Record<string, object> | null;
}

/** docker's HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  MaximumRetryCount: number;
}

/** HostConfig: how this host runs it (hostconfig.json). */
export interface HostConfig {
  AutoRemove: boolean;
  /** --init: docker-init (tini) runs as PID 1 (stage 7) */
  Init?: boolean;
  /** --log-opt max-size=…, max-file=… for the json-file log (stage 7; absent on older records) */
  LogConfig?: { Type: 'json-file'; Config: Record<string, string> };
  /** --restart no|on-failure[:N]|always|unless-stopped (stage 7; the shim honours it) */
  RestartPolicy?: RestartPolicy;
  NetworkMode: string;
  PidMode: string;
  IpcMode: string;
  UTSMode: string;
  CgroupnsMode: 'private' | 'host';
  Memory: number;
  MemorySwap: number;
  MemoryReservation: number;
  NanoCpus: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpuShares: number;
  CpusetCpus: string;
  CpusetMems: string;
  PidsLimit: number | null;
  /** -p, -P, --dns, --dns-search, --add-host ("name:ip") (stage 5) */
  PortBindings?: PortMap;
  PublishAllPorts?: boolean;
  Dns?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[] | null;
  /** -v SRC:DST[:OPTS], --mount, --volumes-from (stage 4) */
  Binds?: string[] | null;
  Mounts?: Mount[];
  VolumesFrom?: string[] | null;
  /** --cap-add, --cap-drop, --privileged, --security-opt, --read-only, --tmpfs, --device,
   *  --group-add, --ulimit, --sysctl (stage 8; SecurityOpt holds a seccomp profile's JSON text) */
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Privileged?: boolean;
  SecurityOpt?: string[] | null;
  ReadonlyRootfs?: boolean;
  Tmpfs?: Record<string, string>;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  GroupAdd?: string[] | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  Sysctls?: Record<string, string>;
  OomScoreAdj?: number;
}

/** config.v2.json: the container. */
export interface Container {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  State: State;
  Image: string;
  Name: string;
  Driver: string;
  OS: 'linux';
  LogPath: string;
  /** Where the container's root filesystem lives on the host (the graph driver's data). */
  GraphDriver: { Name: string; Data: Record<string, string> };
  /** the container's volumes and bind mounts, by destination (stage 4) */
  MountPoints?: Record<string, MountPoint>;
  /** minidock's own bookkeeping: the start time of init (to tell a live PID from a reused one) and the stage it ran at. */
  Minidock: { InitStartTime: string; Stage: number; MonitorPid: number };
  /** addresses, gateway, MAC, published ports, networks (stage 5: lib/network/settings.ts) */
  NetworkSettings?: NetworkSettings;
  /** --restart (stage 7): how often the shim has started it again, and whether a user stopped it */
  RestartCount?: number;
  HasBeenManuallyStopped?: boolean;
}
// #endregion

// #region mount-shapes
/** docker's mount.Mount: one `--mount` as the CLI parsed it (HostConfig.Mounts, MountPoint.Spec). */
export interface Mount {
  Type: string; // "bind" | "volume" (docker also knows tmpfs, npipe, cluster, image)
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
}

/** One entry of config.v2.json's MountPoints (keyed by Destination), as docker writes it. */
export interface MountPoint {
  /** the host path that is mounted: the bind source, or the volume's _data directory */
  Source: string;
  Destination: string;
  RW: boolean;
  /** the volume's name ("" for a bind mount) */
  Name: string;
  /** "local" for volumes, "" for bind mounts */
  Driver: string;
  Type: 'bind' | 'volume';
  /** the options typed after the second colon of -v ("ro", "z", …); docker keeps Mode under this old name */
  Relabel?: string;
  /** "rprivate" for bind mounts */
  Propagation?: string;
  /** the request this mount came from: -v parsed into a Mount, a --mount, or {} for `-v /data` */
  Spec: Partial<Mount>;
  /** --mount type=bind: the source must exist, it is never created */
  SkipMountpointCreation: boolean;
  /** minidock's own: fill an empty volume from the image at first start (docker does it during
   *  `create`, so it never writes this flag down) */
  CopyData?: boolean;
}
// #endregion

// #region port-shapes
/** One host address and port a container port is published on (docker's nat.PortBinding). */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** "80/tcp" → where it is published; null: exposed, not published (docker's nat.PortMap). */
export type PortMap = Record<string, PortBinding[] | null>;
// #endregion

// #region settings
/** The container's attachment to one network (docker's EndpointSettings). */
export interface EndpointSettings {
  IPAMConfig: null;
  Links: null;
  Aliases: null;
  MacAddress: string;
  DriverOpts: null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  /** the names other containers of a user-defined network resolve to this one */
  DNSNames: string[] | null;
}

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  /** the network namespace: docker bind-mounts it at /var/run/docker/netns/<id>; ours is init's */
  SandboxKey: string;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  Ports: PortMap;
  SecondaryIPAddresses: null;
  SecondaryIPv6Addresses: null;
  /** the top-level address fields mirror the default bridge network's endpoint (docker's legacy) */
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}
// #endregion
