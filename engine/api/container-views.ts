// Docker's shapes of a container: inspect, the list entry, and the Status
// string `docker ps` shows ("Up 5 seconds", "Exited (0) 2 minutes ago").
import type { ContainerRecord } from '../runtime/index.js';
import type { ContainerRootfs } from '../storage/index.js';
import type { Engine } from './engine.js';

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function statusString(rec: ContainerRecord, now = Date.now(), restarting = false): string {
  const s = rec.state;
  if (restarting && s.finishedAt) {
    return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
  switch (s.status) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(s.startedAt ?? rec.created))}`;
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt ?? rec.created))} (Paused)`;
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      if (!s.finishedAt) return 'Created';
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
}

export function commandOf(rec: ContainerRecord): string[] {
  return [...(rec.config.Entrypoint ?? []), ...(rec.config.Cmd ?? [])];
}

/** Docker's default HostConfig fields, so clients that read them find values. */
function hostConfigView(rec: ContainerRecord): Record<string, unknown> {
  const hc = rec.hostConfig;
  return {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: 'none',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: 'private',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 67108864,
    Runtime: 'wharf',
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: null,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...hc,
  };
}

function networkSettings(): Record<string, unknown> {
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    Ports: {},
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: {},
  };
}

export function inspectView(
  e: Engine,
  rec: ContainerRecord,
  rootfs: ContainerRootfs | undefined,
): Record<string, unknown> {
  const meta = e.metaOf(rec.id);
  const cmd = commandOf(rec);
  const s = rec.state;
  const restarting = e.restartHooks.pending?.(rec.id) === true;
  const execIds = [...e.execs.values()].filter((x) => x.containerId === rec.id && x.running).map((x) => x.id);
  const etc = rootfs ? `${rootfs.initDir}/etc` : '';
  return {
    Id: rec.id,
    Created: rec.created,
    Path: cmd[0] ?? '',
    Args: cmd.slice(1),
    State: {
      Status: restarting ? 'restarting' : s.status,
      Running: restarting || s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: restarting,
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt ?? ZERO_TIME,
      FinishedAt: s.finishedAt ?? ZERO_TIME,
    },
    Image: meta.imageId,
    ResolvConfPath: etc ? `${etc}/resolv.conf` : '',
    HostnamePath: etc ? `${etc}/hostname` : '',
    HostsPath: etc ? `${etc}/hosts` : '',
    LogPath: rec.logPath,
    Name: `/${e.nameOf(rec)}`,
    RestartCount: meta.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: hostConfigView(rec),
    GraphDriver: rootfs
      ? {
          Name: 'overlay2',
          Data: {
            LowerDir: rootfs.lowerDirs.join(':'),
            UpperDir: rootfs.upperDir,
            MergedDir: rootfs.mergedDir,
            WorkDir: rootfs.workDir,
          },
        }
      : { Name: 'vfs', Data: null },
    Mounts: mountsView(e, rec),
    Config: {
      Hostname: rec.config.Hostname || rec.id.slice(0, 12),
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: null,
      Cmd: null,
      Image: '',
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      OnBuild: null,
      Labels: {},
      ...rec.config,
    },
    NetworkSettings: networkSettings(),
  };
}

function mountsView(e: Engine, rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const volume = (name: string, dst: string, mode: string, rw: boolean): Record<string, unknown> => ({
    Type: 'volume',
    Name: name,
    Source: e.volumes?.mountpoint(name) ?? '',
    Destination: dst,
    Driver: 'local',
    Mode: mode,
    RW: rw,
    Propagation: '',
  });
  for (const b of rec.hostConfig.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    if (!src.startsWith('/')) {
      out.push(volume(src, dst, mode, !mode.split(',').includes('ro')));
      continue;
    }
    out.push({
      Type: 'bind',
      Source: src,
      Destination: dst,
      Mode: mode,
      RW: !mode.split(',').includes('ro'),
      Propagation: 'rprivate',
    });
  }
  for (const m of rec.hostConfig.Mounts ?? []) {
    if (m.Type === 'volume' && m.Source) {
      out.push(volume(m.Source, m.Target, '', !m.ReadOnly));
      continue;
    }
    out.push({
      Type: m.Type,
      Source: m.Source ?? '',
      Destination: m.Target,
      Mode: '',
      RW: !m.ReadOnly,
      Propagation: '',
    });
  }
  for (const t of Object.keys(rec.hostConfig.Tmpfs ?? {})) {
    out.push({ Type: 'tmpfs', Source: '', Destination: t, Mode: '', RW: true, Propagation: '' });
  }
  return out;
}

export function listView(
  e: Engine,
  rec: ContainerRecord,
  size?: { rw: number; rootFs: number },
): Record<string, unknown> {
  const meta = e.metaOf(rec.id);
  const cmd = commandOf(rec);
  return {
    Id: rec.id,
    Names: [`/${e.nameOf(rec)}`],
    Image: rec.config.Image ?? '',
    ImageID: meta.imageId,
    Command: cmd.join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: [],
    Labels: rec.config.Labels ?? {},
    State: e.restartHooks.pending?.(rec.id) ? 'restarting' : rec.state.status,
    Status: statusString(rec, Date.now(), e.restartHooks.pending?.(rec.id) === true),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode || 'none' },
    NetworkSettings: { Networks: {} },
    Mounts: mountsView(e, rec),
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
  };
}
