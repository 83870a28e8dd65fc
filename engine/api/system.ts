// System endpoints: _ping, version, info, events, system/df, auth.
import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { normalizeRegistryKey } from '../registry/auth.js';
import { verifyLogin } from './login.js';
import { badRequest } from './errors.js';
import type { Engine } from './engine.js';
import type { DockerEvent } from './events.js';
import { API_VERSION, MIN_API_VERSION, type RequestCtx } from './http.js';
import { parseFilters, parseTimestamp, checkFilterKeys } from './query.js';
import type { Router } from './router.js';
import { detectCgroupVersion } from '../runtime/cgroups/index.js';
import { volumesDf } from './volumes.js';

export const WHARF_VERSION = '0.1.0';

const PING_HEADERS = {
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

async function version(_e: Engine, ctx: RequestCtx): Promise<void> {
  const v = {
    Platform: { Name: 'Wharf Engine' },
    Components: [
      {
        Name: 'Engine',
        Version: WHARF_VERSION,
        Details: {
          ApiVersion: API_VERSION,
          Arch: goArch(),
          BuildTime: '',
          Experimental: 'false',
          GitCommit: '',
          GoVersion: `node${process.versions.node}`,
          KernelVersion: release(),
          MinAPIVersion: MIN_API_VERSION,
          Os: 'linux',
        },
      },
    ],
    Version: WHARF_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
  };
  ctx.reply.json(200, v);
}

interface IndexInfo {
  Name: string;
  Mirrors: string[];
  Secure: boolean;
  Official: boolean;
}

/**
 * As dockerd reports its registry settings: --insecure-registry entries that
 * are CIDRs join 127.0.0.0/8 in InsecureRegistryCIDRs, host[:port] entries
 * become insecure IndexConfigs, and docker.io carries the mirrors.
 */
export function registryConfig(
  insecure: string[],
  mirrors: string[],
): { InsecureRegistryCIDRs: string[]; IndexConfigs: Record<string, IndexInfo>; Mirrors: string[] } {
  const cidrs = ['127.0.0.0/8'];
  const index: Record<string, IndexInfo> = {
    'docker.io': { Name: 'docker.io', Mirrors: mirrors, Secure: true, Official: true },
  };
  for (const raw of insecure) {
    const entry = raw
      .trim()
      .replace(/^https?:\/\//, '')
      .replace(/\/+$/, '');
    if (!entry) continue;
    if (/^[0-9a-f.:]+\/\d{1,3}$/i.test(entry)) {
      if (!cidrs.includes(entry)) cidrs.push(entry);
    } else {
      const name = entry.toLowerCase();
      index[name] = {
        Name: name,
        Mirrors: index[name]?.Mirrors ?? [],
        Secure: false,
        Official: name === 'docker.io',
      };
    }
  }
  return { InsecureRegistryCIDRs: cidrs, IndexConfigs: index, Mirrors: mirrors };
}

async function info(e: Engine, ctx: RequestCtx): Promise<void> {
  const all = e.runtime.list();
  const count = (s: string): number => all.filter((c) => c.state.status === s).length;
  const images = e.images ? (await e.images.list()).length : 0;
  const cg = await detectCgroupVersion().catch(() => 'v1' as const);
  ctx.reply.json(200, {
    ID: e.settings.id,
    Containers: all.length,
    ContainersRunning: count('running'),
    ContainersPaused: count('paused'),
    ContainersStopped: all.length - count('running') - count('paused'),
    Images: images,
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
    ],
    Plugins: { Volume: ['local'], Network: ['null'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: e.settings.debug,
    NFd: 0,
    OomKillDisable: cg === 'v1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg === 'v2' ? '2' : '1',
    NEventsListener: e.events.listenerCount('event'),
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: registryConfig(e.settings.insecureRegistries, e.settings.registryMirrors),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: e.paths.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: WHARF_VERSION,
    Runtimes: { wharf: { path: e.runtime.runtimePath } },
    DefaultRuntime: 'wharf',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', `name=cgroupns`],
    Warnings: [],
  });
}

const EVENT_FILTERS = [
  'container',
  'event',
  'image',
  'label',
  'type',
  'network',
  'volume',
  'daemon',
  'plugin',
  'node',
  'service',
  'secret',
  'config',
  'scope',
];

function eventMatches(ev: DockerEvent, f: Map<string, string[]>): boolean {
  const t = f.get('type');
  if (t && !t.includes(ev.Type)) return false;
  const action = f.get('event');
  if (action && !action.some((a) => ev.Action === a || ev.Action.startsWith(`${a}:`))) return false;
  const c = f.get('container');
  if (
    c &&
    !(ev.Type === 'container' && c.some((x) => ev.Actor.ID.startsWith(x) || ev.Actor.Attributes.name === x))
  ) {
    return false;
  }
  const img = f.get('image');
  if (img && !img.some((x) => ev.Actor.Attributes.image === x || ev.Actor.ID === x)) return false;
  const label = f.get('label');
  if (
    label &&
    !label.every((l) => {
      const i = l.indexOf('=');
      return i < 0 ? l in ev.Actor.Attributes : ev.Actor.Attributes[l.slice(0, i)] === l.slice(i + 1);
    })
  ) {
    return false;
  }
  return true;
}

async function events(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, EVENT_FILTERS);
  const since = parseTimestamp(ctx.query.get('since'));
  const until = parseTimestamp(ctx.query.get('until'));
  if (since !== undefined && until !== undefined && until < since) {
    throw badRequest('`since` time cannot be after `until` time');
  }
  const out = ctx.reply.stream(200, 'application/json');
  const send = (ev: DockerEvent): void => {
    if (eventMatches(ev, f)) out.write(JSON.stringify(ev) + '\n');
  };
  if (since !== undefined) for (const ev of e.events.past(since, until)) send(ev);
  if (until !== undefined && until <= Date.now()) {
    out.end();
    return;
  }
  const onEvent = (ev: DockerEvent): void => {
    if (until !== undefined && ev.timeNano / 1e6 > until) return;
    send(ev);
  };
  e.events.on('event', onEvent);
  await new Promise<void>((resolve) => {
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    if (until !== undefined) setTimeout(resolve, until - Date.now());
  });
  e.events.off('event', onEvent);
  out.end();
}

async function df(e: Engine, ctx: RequestCtx): Promise<void> {
  // ?type=volume (API 1.42): just the volumes, without sizing every container.
  const types = ctx.query.getAll('type');
  if (types.length > 0 && types.every((t) => t === 'volume')) {
    ctx.reply.json(200, { Volumes: await volumesDf(e) });
    return;
  }
  const containers = [];
  for (const r of e.runtime.list()) {
    const rootfs = await e.rootfsOf(r);
    const rw = rootfs ? await e.storage.size(rootfs).catch(() => 0) : 0;
    containers.push({
      Id: r.id,
      Names: [`/${e.nameOf(r)}`],
      Image: r.config.Image ?? '',
      ImageID: e.metaOf(r.id).imageId,
      Command: [...(r.config.Entrypoint ?? []), ...(r.config.Cmd ?? [])].join(' '),
      Created: Math.floor(Date.parse(r.created) / 1000),
      State: r.state.status,
      Status: r.state.status,
      SizeRw: rw,
      SizeRootFs: rw,
      Labels: r.config.Labels ?? {},
      Mounts: [],
    });
  }
  const images = [];
  let layersSize = 0;
  if (e.images) {
    for (const img of await e.images.list()) {
      layersSize += img.size;
      images.push({
        Id: img.id,
        ParentId: '',
        RepoTags: e.images.tagsOf(img.id),
        RepoDigests: img.repoDigests,
        Created: Math.floor(Date.parse(img.created) / 1000),
        Size: img.size,
        SharedSize: -1,
        VirtualSize: img.size,
        Labels: img.config.config?.Labels ?? {},
        Containers: e.runtime.list().filter((c) => e.metaOf(c.id).imageId === img.id).length,
      });
    }
  }
  ctx.reply.json(200, {
    LayersSize: layersSize,
    Images: images,
    Containers: containers,
    Volumes: await volumesDf(e),
    BuildCache: [],
  });
}

async function auth(e: Engine, ctx: RequestCtx): Promise<void> {
  const body = await ctx.json<{
    username?: string;
    password?: string;
    serveraddress?: string;
    identitytoken?: string;
  }>();
  if (!body || typeof body !== 'object') throw badRequest('invalid auth configuration');
  if (typeof body.username !== 'string' || typeof body.password !== 'string' || !body.username) {
    ctx.reply.json(401, {
      message: 'Get "https://registry-1.docker.io/v2/": unauthorized: incorrect username or password',
    });
    return;
  }
  const server = normalizeRegistryKey(body.serveraddress ?? '');
  await verifyLogin(e.settings, server, { username: body.username, password: body.password });
  if (e.auth) await e.auth.set(server, { username: body.username, password: body.password });
  ctx.reply.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

export function systemRoutes(r: Router, e: Engine): void {
  const ping = async (ctx: RequestCtx): Promise<void> =>
    ctx.reply.text(200, 'OK', 'text/plain; charset=utf-8', PING_HEADERS);
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', ping);
  r.add('GET', '/version', (c) => version(e, c));
  r.add('GET', '/info', (c) => info(e, c));
  r.add('GET', '/events', (c) => events(e, c));
  r.add('GET', '/system/df', (c) => df(e, c));
  r.add('POST', '/auth', (c) => auth(e, c));
}
