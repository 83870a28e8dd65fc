// Payload types of the bridge (ipc.ts). Plain data, shaped after the Docker
// Engine API but trimmed to what the UI shows.

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PortBinding {
  privatePort: number;
  publicPort?: number;
  ip?: string;
  type: string;
}

/**
 * A row of the Containers list: only what the list shows, searches and
 * groups by (it is sent for every container on each load, 1,000+ of them).
 * Labels, command, mounts and the rest come with `containers/inspect`.
 */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  created: number;
  state: ContainerState;
  status: string;
  ports: PortBinding[];
  /** com.docker.compose.project, when set. */
  project?: string;
}

/**
 * The container list with the backend's event generation at the moment it
 * was asked of the engine. The generation moves on with every engine event
 * (and endpoint switch) the backend sees, so a list whose `gen` equals the
 * generation at which a subscriber started receiving events misses none.
 */
export interface ContainerSnapshot {
  gen: number;
  containers: ContainerSummary[];
}

export interface HostInfo {
  name: string;
  serverVersion: string;
  operatingSystem: string;
  kernelVersion: string;
  ncpu: number;
  memTotal: number;
  cgroupVersion: string;
  containers: number;
  containersRunning: number;
  images: number;
  driver: string;
  /** Embedded engine or a local socket: cgroup files can be read. */
  local: boolean;
}

export interface ResourceSpec {
  /** Bytes; 0 = unlimited. */
  memory: number;
  /** Bytes of memory + swap; -1 = unlimited swap, 0 = default (twice memory). */
  memorySwap: number;
  /** Relative weight; 0 = default (1024). */
  cpuShares: number;
  /** Billionths of a CPU; 0 = unlimited. */
  nanoCpus: number;
  /** 0 or -1 = unlimited. */
  pidsLimit: number;
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RunSpec {
  image: string;
  name?: string;
  /** Words of the command (empty: the image's default). */
  cmd: string[];
  env: string[];
  /** "8080:80/tcp", "127.0.0.1:8080:80", "80" */
  ports: string[];
  /** "/host:/ctr[:ro]" or "volume:/ctr" */
  volumes: string[];
  restart: RestartPolicy;
  tty: boolean;
  resources: ResourceSpec;
}

export interface ContainerDetail {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  state: ContainerState;
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  tty: boolean;
  hostname: string;
  cmd: string[];
  entrypoint: string[];
  env: string[];
  labels: Record<string, string>;
  restartPolicy: string;
  resources: ResourceSpec;
  mounts: { type: string; source: string; destination: string; rw: boolean }[];
  ports: PortBinding[];
  ipAddress: string;
  /** The full inspect document, for the Inspect tab. */
  raw: unknown;
}

export interface CgroupValues {
  version: 'v1' | 'v2' | 'unknown';
  /** Path of the container's cgroup (relative to the hierarchy root). */
  path: string;
  /** File name -> contents, e.g. "memory.limit_in_bytes" -> "134217728". */
  files: Record<string, string>;
  /** Why nothing could be read (remote endpoint, stopped container...). */
  note?: string;
}

export interface UnderTheHood {
  pid: number;
  namespaces: { type: string; inode: string; hostInode: string; shared: boolean }[];
  cgroup: CgroupValues;
  overlay?: { lowerdir: string[]; upperdir: string; workdir: string; merged: string };
  note?: string;
}

export interface TopResult {
  titles: string[];
  processes: string[][];
}

export interface FsChange {
  path: string;
  kind: 'modified' | 'added' | 'deleted';
}

export interface ImageSummary {
  id: string;
  tags: string[];
  digests: string[];
  created: number;
  size: number;
  sharedSize: number;
  containers: number;
}

export interface ImageHistoryItem {
  id: string;
  created: number;
  createdBy: string;
  size: number;
  comment: string;
}

export interface ImageLayer {
  diffId: string;
  chainId: string;
  size?: number;
  createdBy?: string;
  /** Other images whose stack contains this chainID. */
  sharedWith: string[];
}

export interface ImageLayers {
  id: string;
  tags: string[];
  layers: ImageLayer[];
  containers: string[];
}

export interface VolumeUser {
  id: string;
  name: string;
  /** Where the container mounts the volume. */
  destination: string;
}

export interface VolumeSummary {
  name: string;
  driver: string;
  mountpoint: string;
  /** Unix seconds; 0 when the engine does not say. */
  created: number;
  labels: Record<string, string>;
  /** Made for an image VOLUME or `-v /path` (Docker's com.docker.volume.anonymous label). */
  anonymous: boolean;
  /** Bytes, when the engine reports it (system df); undefined otherwise. */
  size: number | undefined;
  usedBy: VolumeUser[];
}

export interface VolumeCreateInput {
  name: string;
  /** "key=value" entries. */
  labels: string[];
}

export interface EngineEvent {
  type: string;
  action: string;
  id: string;
  time: number;
  attributes: Record<string, string>;
}

export type EndpointKind = 'embedded' | 'unix' | 'tcp' | 'ssh';

export interface EndpointInput {
  name: string;
  kind: Exclude<EndpointKind, 'embedded'>;
  /** unix: socket path; tcp: tcp://host:port; ssh: ssh://user@host[:port] */
  address: string;
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface EndpointInfo {
  id: string;
  name: string;
  kind: EndpointKind;
  address: string;
  active: boolean;
  /** Last connection failure, in words. */
  error?: string;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 timestamp when asked for. */
  ts?: string;
  text: string;
}

export interface StatsSample {
  time: number;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

export interface PullProgress {
  /** Layer id, or '' for overall status lines. */
  id: string;
  status: string;
  current?: number;
  total?: number;
  error?: string;
}

/** The engine's registry settings and data root, as /info reports them (read-only). */
export interface RegistrySettings {
  /** CIDRs and host[:port] entries the engine talks plain HTTP / unverified TLS to. */
  insecureRegistries: string[];
  mirrors: string[];
  dataRoot: string;
}

export interface RegistryLogin {
  server: string;
  username: string;
}

/** Stored sign-ins; `available` is false where the app cannot read them (non-embedded engines). */
export interface RegistryLogins {
  available: boolean;
  logins: RegistryLogin[];
}

export interface RegistryLoginInput {
  server: string;
  username: string;
  password: string;
}
