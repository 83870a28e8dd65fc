// Volume endpoints (/volumes, /volumes/create, /volumes/{name}, /volumes/prune)
// and what containers do with volumes: create makes missing named volumes
// and anonymous ones (image VOLUMEs, `-v /path`), copies the image's content
// into new ones, start/stop emit mount/unmount events, and removing a
// container with v=1 (or AutoRemove) removes its anonymous volumes.
import type { ContainerConfig, ContainerRecord, HostConfig } from '../runtime/index.js';
import { isWharfError, wharfError } from '../errors.js';
import {
  copyUp,
  isAnonymous,
  volumeMounts,
  volumeNameError,
  type Volume,
  type VolumeMount,
} from '../volumes/index.js';
import { badRequest } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import { checkFilterKeys, matchLabels, parseFilters, queryBool } from './query.js';
import type { Router } from './router.js';

/** Container id -> the volumes it mounts, for events after its record is gone. */
interface Tracked {
  mounts: VolumeMount[];
  autoRemove: boolean;
}

const hooked = new WeakMap<Engine, { tracked: Map<string, Tracked>; removeAnon: Set<string> }>();

/** Which containers (full ids) use each volume, from the containers' HostConfigs. */
export function volumeUsers(e: Engine): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const rec of e.runtime.list()) {
    for (const m of volumeMounts(rec.hostConfig)) {
      const ids = users.get(m.name) ?? [];
      if (!ids.includes(rec.id)) ids.push(rec.id);
      users.set(m.name, ids);
    }
  }
  return users;
}

function publish(e: Engine, action: string, name: string, attrs: Record<string, string> = {}): void {
  e.events.publish('volume', action, name, { driver: 'local', ...attrs });
}

async function removeVolume(e: Engine, name: string, force: boolean): Promise<void> {
  const store = e.volumes;
  if (!store?.get(name)) {
    if (force) return;
    throw wharfError('VOLUME_NOT_FOUND', name);
  }
  const users = volumeUsers(e).get(name);
  if (users?.length)
    throw wharfError('VOLUME_IN_USE', `remove ${name}: volume is in use - [${users.join(', ')}]`);
  await store.remove(name);
  publish(e, 'destroy', name);
}

function normalizeDst(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

/**
 * Before a container is created: makes the named volumes its Binds/Mounts name
 * (when missing) and an anonymous volume for each VOLUME of the image or of
 * Config.Volumes not otherwise mounted, added to HostConfig.Mounts. Returns the
 * HostConfig to create with, the volumes new to this container's create (to
 * copy up into) and the anonymous ones (to remove again if create fails).
 */
export async function prepareVolumes(
  e: Engine,
  config: ContainerConfig,
  hostConfig: HostConfig,
  imageVolumes: Record<string, unknown> | undefined,
): Promise<{ hostConfig: HostConfig; fresh: VolumeMount[]; anonymous: string[] }> {
  const store = e.volumes;
  if (!store) return { hostConfig, fresh: [], anonymous: [] };
  const fresh: VolumeMount[] = [];
  for (const m of volumeMounts(hostConfig)) {
    const bad = volumeNameError(m.name);
    if (bad) throw wharfError('VOLUME_INVALID', `create ${m.name}: ${bad}`);
    const { created } = await store.create({ name: m.name });
    if (created) {
      publish(e, 'create', m.name);
      if (!m.noCopy) fresh.push(m);
    }
  }
  const taken = new Set<string>();
  for (const b of hostConfig.Binds ?? []) taken.add(normalizeDst(b.split(':')[1] ?? ''));
  for (const m of hostConfig.Mounts ?? []) taken.add(normalizeDst(m.Target ?? ''));
  for (const t of Object.keys(hostConfig.Tmpfs ?? {})) taken.add(normalizeDst(t));
  const wanted = [...Object.keys(imageVolumes ?? {}), ...Object.keys(config.Volumes ?? {})];
  const anonymous: string[] = [];
  const mounts = [...(hostConfig.Mounts ?? [])];
  for (const raw of wanted) {
    const dst = normalizeDst(raw);
    if (!dst.startsWith('/') || taken.has(dst)) continue;
    taken.add(dst);
    const { volume } = await store.create({ anonymous: true });
    publish(e, 'create', volume.Name);
    anonymous.push(volume.Name);
    mounts.push({ Type: 'volume', Source: volume.Name, Target: dst });
    fresh.push({ name: volume.Name, destination: dst, readOnly: false, noCopy: false });
  }
  return { hostConfig: anonymous.length ? { ...hostConfig, Mounts: mounts } : hostConfig, fresh, anonymous };
}

/** After create: Docker's copy-up of the image's content into each new volume. */
export async function populateVolumes(e: Engine, rec: ContainerRecord, fresh: VolumeMount[]): Promise<void> {
  const store = e.volumes;
  if (!store || fresh.length === 0) return;
  try {
    await e.withRootfs(rec, async (root) => {
      for (const m of fresh) {
        const res = await copyUp(root, m.destination, store.mountpoint(m.name));
        if (res === 'unsafe-source')
          e.log('warn', `volume ${m.name}: ${m.destination} is a symlink in the image; not copied`);
      }
    });
  } catch (err) {
    e.log('warn', `copying image content into volumes of ${rec.id}: ${String(err)}`);
  }
}

/** When create fails after prepareVolumes: drop the anonymous volumes it made. */
export async function discardVolumes(e: Engine, names: string[]): Promise<void> {
  for (const n of names) await removeVolume(e, n, true).catch(() => {});
}

/** DELETE /containers/{id}?v=1: remove the container's anonymous volumes with it. */
export function removeAnonymousVolumesWith(e: Engine, id: string): void {
  hooked.get(e)?.removeAnon.add(id);
}

/** Keeps mount/unmount events and anonymous-volume cleanup going; once per Engine. */
function hookRuntime(e: Engine): void {
  if (hooked.has(e) || !e.volumes) return;
  const state = { tracked: new Map<string, Tracked>(), removeAnon: new Set<string>() };
  hooked.set(e, state);
  const track = (rec: ContainerRecord): Tracked => {
    const t = { mounts: volumeMounts(rec.hostConfig), autoRemove: !!rec.hostConfig.AutoRemove };
    state.tracked.set(rec.id, t);
    return t;
  };
  for (const rec of e.runtime.list()) track(rec);
  e.runtime.on('create', (ev) => {
    if (e.runtime.has(ev.id)) track(e.runtime.inspect(ev.id));
  });
  e.runtime.on('start', (ev) => {
    // Mounts never change after create, so the entry made then is good.
    const t =
      state.tracked.get(ev.id) ?? (e.runtime.has(ev.id) ? track(e.runtime.inspect(ev.id)) : undefined);
    for (const m of t?.mounts ?? []) {
      publish(e, 'mount', m.name, {
        container: ev.id,
        destination: m.destination,
        propagation: '',
        'read/write': String(!m.readOnly),
      });
    }
  });
  e.runtime.on('die', (ev) => {
    for (const m of state.tracked.get(ev.id)?.mounts ?? [])
      publish(e, 'unmount', m.name, { container: ev.id });
  });
  e.runtime.on('destroy', (ev) => {
    const t = state.tracked.get(ev.id);
    state.tracked.delete(ev.id);
    const wanted = state.removeAnon.delete(ev.id) || !!t?.autoRemove;
    if (!t || !wanted) return;
    void (async () => {
      for (const m of t.mounts) {
        const v = e.volumes?.get(m.name);
        if (!v || !isAnonymous(v)) continue;
        await removeVolume(e, m.name, true).catch((err: unknown) => {
          if (!isWharfError(err, 'VOLUME_IN_USE')) e.log('warn', `removing volume ${m.name}: ${String(err)}`);
        });
      }
    })();
  });
}

// ---- endpoints -----------------------------------------------------------

function matches(v: Volume, f: Map<string, string[]>, users: Map<string, string[]>): boolean {
  const name = f.get('name');
  if (name && !name.some((n) => v.Name.includes(n))) return false;
  const driver = f.get('driver');
  if (driver && !driver.includes(v.Driver)) return false;
  const dangling = f.get('dangling');
  if (dangling) {
    const want = dangling.map((d) => {
      if (d === 'true' || d === '1') return true;
      if (d === 'false' || d === '0') return false;
      throw badRequest(`invalid filter 'dangling=${d}'`);
    });
    const isDangling = !users.get(v.Name)?.length;
    if (!want.includes(isDangling)) return false;
  }
  if (f.has('label') && !matchLabels(f.get('label'), v.Labels)) return false;
  if (f.has('label!') && matchLabels(f.get('label!'), v.Labels)) return false;
  return true;
}

async function list(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['name', 'driver', 'dangling', 'label', 'label!']);
  const users = volumeUsers(e);
  const vols = (e.volumes?.list() ?? []).filter((v) => matches(v, f, users));
  vols.sort((a, b) => a.Name.localeCompare(b.Name));
  ctx.reply.json(200, { Volumes: vols, Warnings: null });
}

function get(e: Engine, name: string): Volume {
  const v = e.volumes?.get(name);
  if (!v) throw wharfError('VOLUME_NOT_FOUND', name);
  return v;
}

async function create(e: Engine, ctx: RequestCtx): Promise<void> {
  const body = (await ctx.json<Record<string, unknown>>()) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('invalid JSON: expected an object');
  const str = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badRequest(`invalid JSON: ${k} must be a string`);
    return v;
  };
  const map = (k: string): Record<string, string> | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
      throw badRequest(`invalid JSON: ${k} must be an object of strings`);
    return v as Record<string, string>;
  };
  if (!e.volumes) throw badRequest('this engine has no volume store');
  const { volume, created } = await e.volumes.create({
    name: str('Name'),
    driver: str('Driver'),
    labels: map('Labels'),
    options: map('DriverOpts'),
  });
  if (created) publish(e, 'create', volume.Name);
  ctx.reply.json(201, volume);
}

async function prune(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['label', 'label!', 'all']);
  const all = (f.get('all') ?? []).some((v) => v === 'true' || v === '1');
  // API 1.42+: only anonymous volumes unless all=true (older clients: every unused volume).
  const anonymousOnly = !all && ctx.version >= 1.42;
  const users = volumeUsers(e);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const v of e.volumes?.list() ?? []) {
    if (users.get(v.Name)?.length) continue;
    if (anonymousOnly && !isAnonymous(v)) continue;
    if (f.has('label') && !matchLabels(f.get('label'), v.Labels)) continue;
    if (f.has('label!') && matchLabels(f.get('label!'), v.Labels)) continue;
    const size = await e.volumes!.size(v.Name).catch(() => 0);
    try {
      await removeVolume(e, v.Name, false);
    } catch (err) {
      e.log('warn', `prune: ${String(err)}`);
      continue;
    }
    deleted.push(v.Name);
    reclaimed += size;
  }
  e.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
  ctx.reply.json(200, { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

/** system/df's Volumes: each volume with UsageData (Size, RefCount). */
export async function volumesDf(
  e: Engine,
): Promise<Array<Volume & { UsageData: { Size: number; RefCount: number } }>> {
  const users = volumeUsers(e);
  const out = [];
  for (const v of e.volumes?.list() ?? []) {
    const size = await e.volumes!.size(v.Name).catch(() => -1);
    out.push({ ...v, UsageData: { Size: size, RefCount: users.get(v.Name)?.length ?? 0 } });
  }
  return out;
}

export function volumeRoutes(r: Router, e: Engine): void {
  hookRuntime(e);
  r.add('GET', '/volumes', (c) => list(e, c));
  r.add('POST', '/volumes/create', (c) => create(e, c));
  r.add('POST', '/volumes/prune', (c) => prune(e, c));
  r.add('GET', '/volumes/{name}', async (c) => c.reply.json(200, get(e, c.params[0]!)));
  r.add('DELETE', '/volumes/{name}', async (c) => {
    await removeVolume(e, c.params[0]!, queryBool(c.query, 'force'));
    c.reply.empty(204);
  });
}
