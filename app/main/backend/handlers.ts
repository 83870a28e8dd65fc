// The invoke half of the bridge: one function per channel of Invoke, each a
// thin call through dockerode to whichever endpoint is active.
import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Invoke, InvokeChannel } from '../../shared/ipc.js';
import type { FsChange, HostInfo, ImageLayers, ResourceSpec, RunSpec } from '../../shared/types.js';
import type { Endpoints } from './endpoints.js';
import { parsePorts, toDetail, toImage, toSummary } from './map.js';
import { describeError } from './docker-client.js';
import { cgroupValues, underTheHood } from './host-view.js';
import { volumeHandlers } from './volumes.js';
import { registryHandlers } from './registries.js';

type Async<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never;
export type Handlers = { [K in InvokeChannel]: Async<Invoke[K]> };

const CHANGE_KINDS: FsChange['kind'][] = ['modified', 'added', 'deleted'];

function hostConfigResources(r: ResourceSpec): Dockerode.HostConfig {
  return {
    Memory: r.memory,
    MemorySwap: r.memorySwap,
    CpuShares: r.cpuShares,
    NanoCpus: r.nanoCpus,
    PidsLimit: r.pidsLimit > 0 ? r.pidsLimit : 0,
  };
}

export function validateResources(r: ResourceSpec, host?: HostInfo): void {
  const MiB = 1024 * 1024;
  if (r.memory !== 0 && r.memory < 6 * MiB) throw new Error('Memory must be at least 6 MB (or unlimited).');
  if (host && r.memory > host.memTotal) throw new Error('Memory cannot be more than the host has.');
  if (r.memorySwap > 0 && r.memory === 0) throw new Error('Set a memory limit before memory + swap.');
  if (r.memorySwap > 0 && r.memorySwap < r.memory) {
    throw new Error('Memory + swap must be at least the memory limit.');
  }
  if (r.cpuShares !== 0 && (r.cpuShares < 2 || r.cpuShares > 262144)) {
    throw new Error('CPU shares go from 2 to 262144 (1024 is the default).');
  }
  if (r.nanoCpus < 0 || (host && r.nanoCpus > host.ncpu * 1e9)) {
    throw new Error(`CPUs must be between 0 (unlimited) and ${host?.ncpu ?? 'the host count'}.`);
  }
}

/** Shell-like split: words, "double" and 'single' quotes. */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3] ?? ''));
  }
  return out;
}

function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  return out;
}

export function createHandlers(eps: Endpoints): Handlers {
  const d = (): Dockerode => eps.docker;
  let hostCache: HostInfo | undefined;

  const systemInfo = async (): Promise<HostInfo> => {
    const [i, v] = await Promise.all([
      d().info(),
      d()
        .version()
        .catch(() => undefined),
    ]);
    hostCache = {
      name: i.Name ?? '',
      serverVersion: i.ServerVersion ?? v?.Version ?? '',
      operatingSystem: i.OperatingSystem ?? '',
      kernelVersion: i.KernelVersion ?? '',
      ncpu: i.NCPU ?? 1,
      memTotal: i.MemTotal ?? 0,
      cgroupVersion: i.CgroupVersion ?? '',
      containers: i.Containers ?? 0,
      containersRunning: i.ContainersRunning ?? 0,
      images: i.Images ?? 0,
      driver: i.Driver ?? '',
      local: eps.isLocal,
    };
    return hostCache;
  };

  return {
    ...volumeHandlers(d),
    ...registryHandlers(d, eps),
    'system/info': systemInfo,
    'endpoints/list': async () => eps.all(),
    'endpoints/add': async (input) => eps.add(input),
    'endpoints/remove': async (id) => eps.remove(id),
    'endpoints/select': async (id) => {
      hostCache = undefined;
      return eps.select(id);
    },
    'containers/list': async () => (await d().listContainers({ all: true })).map(toSummary),
    'containers/summaries': async (ids) => {
      if (ids.length === 0) return [];
      const want = new Set(ids);
      const list = await d().listContainers({ all: true, filters: { id: ids } });
      return list.filter((c) => want.has(c.Id)).map(toSummary);
    },
    'containers/inspect': async (id) => toDetail(await d().getContainer(id).inspect()),
    'containers/run': async (spec: RunSpec) => {
      if (!spec.image.trim()) throw new Error('Choose an image to run.');
      validateResources(spec.resources, hostCache);
      if (spec.name && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(spec.name)) {
        throw new Error('Names use letters, digits, "_", "." and "-", and start with a letter or digit.');
      }
      for (const e of spec.env) {
        if (!/^[^=\s]+=/.test(e)) throw new Error(`Environment entry "${e}" should look like KEY=value.`);
      }
      const { exposed, bindings } = parsePorts(spec.ports);
      // As `docker run -v`: "name:/path[:ro]" or "/host:/path[:ro]" are Binds; "/path" alone
      // asks for an anonymous volume (Config.Volumes).
      const binds: string[] = [];
      const anonymous: Record<string, object> = {};
      for (const v of spec.volumes.map((x) => x.trim()).filter(Boolean)) {
        if (v.split(':').length >= 2) binds.push(v);
        else if (v.startsWith('/')) anonymous[v] = {};
        else
          throw new Error(
            `Volume "${v}" should look like volume-name:/container/path or /host/path:/container/path.`,
          );
      }
      const create = d().createContainer({
        Image: spec.image.trim(),
        ...(spec.name ? { name: spec.name } : {}),
        ...(spec.cmd.length ? { Cmd: spec.cmd } : {}),
        Env: spec.env,
        Tty: spec.tty,
        OpenStdin: spec.tty,
        ExposedPorts: exposed,
        ...(Object.keys(anonymous).length ? { Volumes: anonymous } : {}),
        HostConfig: {
          ...hostConfigResources(spec.resources),
          PortBindings: bindings,
          Binds: binds,
          RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart },
        },
      });
      const c = await create.catch((err: unknown) => {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404 && /no such image/i.test(describeError(err).message)) {
          throw new Error(`${describeError(err).message}. Pull it from the Images view first.`, {
            cause: err,
          });
        }
        throw err;
      });
      await c.start();
      const detail = await c.inspect().then(toDetail, () => undefined);
      return { id: c.id, warnings: [], ...(detail ? { detail } : {}) };
    },
    'containers/start': async (id) => void (await d().getContainer(id).start()),
    'containers/stop': async (id) => void (await d().getContainer(id).stop()),
    'containers/restart': async (id) => void (await d().getContainer(id).restart()),
    'containers/pause': async (id) => void (await d().getContainer(id).pause()),
    'containers/unpause': async (id) => void (await d().getContainer(id).unpause()),
    'containers/remove': async (id, force) => void (await d().getContainer(id).remove({ force })),
    'containers/update': async (id, given) => {
      validateResources(given, hostCache);
      // In an update, 0 means "leave as is"; the UI's "default" swap is
      // Docker's default for a new limit: twice the memory.
      const r =
        given.memory > 0 && given.memorySwap === 0 ? { ...given, memorySwap: 2 * given.memory } : given;
      const res = (await d()
        .getContainer(id)
        .update(hostConfigResources(r) as Record<string, unknown>)) as
        { Warnings?: string[] | null } | undefined;
      return { warnings: res?.Warnings ?? [] };
    },
    'containers/top': async (id) => {
      const t = (await d().getContainer(id).top()) as { Titles?: string[]; Processes?: string[][] };
      return { titles: t.Titles ?? [], processes: t.Processes ?? [] };
    },
    'containers/changes': async (id) => {
      const ch = ((await d().getContainer(id).changes()) ?? []) as { Path: string; Kind: number }[];
      return ch.map((c) => ({ path: c.Path, kind: CHANGE_KINDS[c.Kind] ?? 'modified' }));
    },
    'containers/cgroup': async (id) => {
      const i = await d().getContainer(id).inspect();
      if (!eps.isLocal) {
        return { version: 'unknown', path: '', files: {}, note: 'This engine runs on another machine.' };
      }
      return cgroupValues(i.State.Running ? i.State.Pid : 0, i.Id);
    },
    'containers/under-the-hood': async (id) => {
      const i = await d().getContainer(id).inspect();
      if (!eps.isLocal) {
        return {
          pid: 0,
          namespaces: [],
          cgroup: { version: 'unknown', path: '', files: {} },
          note: 'This engine runs on another machine; its kernel objects are not visible from here.',
        };
      }
      const data = (i.GraphDriver?.Data ?? {}) as Record<string, string>;
      return underTheHood(i.State.Running ? i.State.Pid : 0, i.Id, data['MergedDir'] ?? '');
    },
    'images/list': async () => (await d().listImages({ all: false })).map(toImage),
    'images/remove': async (ref, force) => void (await d().getImage(ref).remove({ force })),
    'images/tag': async (ref, repo, tag) => {
      if (!repo.trim()) throw new Error('Give the new tag a repository name.');
      await d()
        .getImage(ref)
        .tag({ repo: repo.trim(), tag: tag.trim() || 'latest' });
    },
    'images/history': async (ref) => {
      const h = (await d().getImage(ref).history()) as {
        Id: string;
        Created: number;
        CreatedBy: string;
        Size: number;
        Comment: string;
      }[];
      return h.map((x) => ({
        id: x.Id,
        created: x.Created,
        createdBy: x.CreatedBy,
        size: x.Size,
        comment: x.Comment,
      }));
    },
    'images/layers': async (ref): Promise<ImageLayers> => {
      const img = await d().getImage(ref).inspect();
      const diffIds = img.RootFS?.Layers ?? [];
      const chains = chainIds(diffIds);
      const all = await d().listImages({ all: false });
      const others = new Map<string, string[]>();
      for (const o of all) {
        if (o.Id === img.Id) continue;
        const oi = await d()
          .getImage(o.Id)
          .inspect()
          .catch(() => undefined);
        if (!oi) continue;
        const label = (o.RepoTags ?? []).find((t) => t !== '<none>:<none>') ?? o.Id.slice(7, 19);
        for (const c of chainIds(oi.RootFS?.Layers ?? [])) {
          const list = others.get(c) ?? [];
          list.push(label);
          others.set(c, list);
        }
      }
      const hist = (
        (await d()
          .getImage(img.Id)
          .history()
          .catch(() => [])) as { CreatedBy: string; Size: number }[]
      ).reverse();
      const withSize = hist.length === diffIds.length ? hist : hist.filter((h) => h.Size > 0);
      const layerHist = withSize.length === diffIds.length ? withSize : [];
      const containers = (await d().listContainers({ all: true }))
        .filter((c) => c.ImageID === img.Id)
        .map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, ''));
      return {
        id: img.Id,
        tags: img.RepoTags ?? [],
        layers: diffIds.map((diffId, i) => ({
          diffId,
          chainId: chains[i] ?? diffId,
          ...(layerHist[i] ? { size: layerHist[i].Size, createdBy: layerHist[i].CreatedBy } : {}),
          sharedWith: others.get(chains[i] ?? '') ?? [],
        })),
        containers,
      };
    },
  };
}
