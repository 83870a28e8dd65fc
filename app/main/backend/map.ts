// Docker Engine API documents -> the bridge's payload types (app/shared/types.ts).
import type Dockerode from 'dockerode';
import type {
  ContainerDetail,
  ContainerState,
  ContainerSummary,
  ImageSummary,
  PortBinding,
  ResourceSpec,
} from '../../shared/types.js';

const STATES: ReadonlySet<string> = new Set([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

export function toState(s: string | undefined): ContainerState {
  const v = (s ?? '').toLowerCase();
  return STATES.has(v) ? (v as ContainerState) : 'exited';
}

function ports(list: Dockerode.Port[] | undefined): PortBinding[] {
  return (list ?? []).map((p) => ({
    privatePort: p.PrivatePort,
    ...(p.PublicPort ? { publicPort: p.PublicPort } : {}),
    ...(p.IP ? { ip: p.IP } : {}),
    type: p.Type,
  }));
}

export function toSummary(c: Dockerode.ContainerInfo): ContainerSummary {
  const project = c.Labels?.['com.docker.compose.project'];
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    created: c.Created,
    state: toState(c.State),
    status: c.Status ?? '',
    ports: ports(c.Ports),
    ...(project ? { project } : {}),
  };
}

export function toResources(h: Dockerode.HostConfig | undefined): ResourceSpec {
  return {
    memory: h?.Memory ?? 0,
    memorySwap: h?.MemorySwap ?? 0,
    cpuShares: h?.CpuShares ?? 0,
    nanoCpus: h?.NanoCpus ?? 0,
    pidsLimit: h?.PidsLimit ?? 0,
  };
}

export function toDetail(i: Dockerode.ContainerInspectInfo): ContainerDetail {
  const st = i.State;
  const state: ContainerState = st.Paused
    ? 'paused'
    : st.Restarting
      ? 'restarting'
      : st.Running
        ? 'running'
        : toState(st.Status);
  const portMap = i.NetworkSettings?.Ports ?? {};
  const bound: PortBinding[] = [];
  for (const [key, binds] of Object.entries(portMap)) {
    const [port, type] = key.split('/');
    for (const b of binds ?? []) {
      bound.push({
        privatePort: Number(port),
        publicPort: Number(b.HostPort),
        ip: b.HostIp,
        type: type ?? 'tcp',
      });
    }
  }
  const cmd = i.Config?.Cmd;
  const ep = i.Config?.Entrypoint;
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? i.Image,
    imageId: i.Image,
    created: i.Created,
    state,
    pid: st.Pid ?? 0,
    exitCode: st.ExitCode ?? 0,
    startedAt: st.StartedAt ?? '',
    finishedAt: st.FinishedAt ?? '',
    oomKilled: Boolean(st.OOMKilled),
    tty: Boolean(i.Config?.Tty),
    hostname: i.Config?.Hostname ?? '',
    cmd: Array.isArray(cmd) ? cmd : cmd ? [cmd] : [],
    entrypoint: Array.isArray(ep) ? ep : ep ? [ep] : [],
    env: i.Config?.Env ?? [],
    labels: i.Config?.Labels ?? {},
    restartPolicy: i.HostConfig?.RestartPolicy?.Name || 'no',
    resources: toResources(i.HostConfig),
    mounts: (i.Mounts ?? []).map((m) => ({
      type: m.Type,
      // A volume by its name (the host path is in the Volumes view).
      source: m.Type === 'volume' && m.Name ? m.Name : m.Source,
      destination: m.Destination,
      rw: m.RW,
    })),
    ports: bound,
    ipAddress: Object.values(i.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '',
    raw: i,
  };
}

export function toImage(i: Dockerode.ImageInfo): ImageSummary {
  return {
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    digests: i.RepoDigests ?? [],
    created: i.Created,
    size: i.Size,
    sharedSize: i.SharedSize ?? -1,
    containers: i.Containers ?? -1,
  };
}

/** "127.0.0.1:8080:80/tcp" -> docker's ExposedPorts + PortBindings. */
export function parsePorts(specs: string[]): {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const raw of specs) {
    const spec = raw.trim();
    if (!spec) continue;
    const [addr, proto = 'tcp'] = spec.split('/');
    const parts = (addr ?? '').split(':');
    const ctr = parts.pop() ?? '';
    if (!/^\d+$/.test(ctr)) throw new Error(`Port "${spec}": the container port must be a number.`);
    const hostPort = parts.pop() ?? '';
    const hostIp = parts.join(':');
    if (hostPort && !/^\d+$/.test(hostPort))
      throw new Error(`Port "${spec}": the host port must be a number.`);
    const key = `${ctr}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
  }
  return { exposed, bindings };
}
