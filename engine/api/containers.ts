// Container lifecycle endpoints: create, list, inspect, start, stop,
// restart, kill, pause, unpause, wait, rename, update, resize, delete, prune.
import { join } from 'node:path';
import {
  AttachClient,
  type ContainerConfig,
  type ContainerRecord,
  type HostConfig,
} from '../runtime/index.js';
import { isWharfError } from '../errors.js';
import { ApiError, badRequest, conflict, notFound } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import { checkFilterKeys, matchLabels, parseFilters, parseTimestamp, queryBool, queryInt } from './query.js';
import type { Router } from './router.js';
import { inspectView, listView } from './container-views.js';
import { checkConfig, checkHostConfig } from './validate.js';
import { volumeMounts } from '../volumes/index.js';
import { discardVolumes, populateVolumes, prepareVolumes, removeAnonymousVolumesWith } from './volumes.js';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

interface CreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
}

function running(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

/**
 * Wharf has no container networks yet: a container gets its own network
 * namespace with loopback only (as `--network none`), or the host's with
 * `--network host`. Asking to publish ports would silently do nothing, so
 * it is refused, as are other networks by name.
 */
function refuseUnsupportedNetworking(hc: HostConfig): void {
  const mode = hc.NetworkMode || 'default';
  const published =
    hc.PublishAllPorts === true ||
    Object.values(hc.PortBindings ?? {}).some((b) => Array.isArray(b) && b.length > 0);
  if (published && mode !== 'host') {
    throw badRequest(
      'publishing ports (-p/-P) needs a bridge network, which Wharf does not provide yet; ' +
        "use --network host to reach the container on the host's ports",
    );
  }
  // Docker answers 404 here, which the docker CLI takes for a missing image
  // and starts a pull; 400 shows the message as it is.
  if (!['default', 'bridge', 'none', 'host'].includes(mode)) throw badRequest(`network ${mode} not found`);
}

async function create(e: Engine, ctx: RequestCtx): Promise<void> {
  const rawName = ctx.query.get('name');
  let name: string | undefined;
  if (rawName) {
    if (!NAME_RE.test(rawName)) {
      throw badRequest(`Invalid container name (${rawName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    name = rawName.replace(/^\//, '');
  }
  const body = await ctx.json<CreateBody>();
  if (body === undefined || body === null)
    throw badRequest('config cannot be empty in order to create a container');
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('invalid JSON: expected an object');
  const { HostConfig: hostConfigIn, NetworkingConfig: _net, ...configIn } = body;
  const config = checkConfig(configIn);
  const hostConfig = checkHostConfig(hostConfigIn ?? {});
  refuseUnsupportedNetworking(hostConfig);
  if (!config.Image) throw badRequest('No such image: ');
  if (!e.images) throw notFound(`No such image: ${config.Image}`);
  const image = await e.images.get(config.Image);
  if (!image) throw notFound(`No such image: ${config.Image}`);
  const layers = image.chainIDs.map((c) => e.images!.layers.diffDir(c));
  const reservation = e.reserveName(name);
  try {
    const img = image.config.config ?? {};
    const vols = await prepareVolumes(e, config, hostConfig, img.Volumes);
    const rec = await e.runtime
      .create({
        name: reservation.name,
        config: { ...config, Labels: { ...(img.Labels ?? {}), ...(config.Labels ?? {}) } },
        hostConfig: vols.hostConfig,
        rootfs: { layers },
        image: {
          User: img.User,
          Env: img.Env,
          Entrypoint: img.Entrypoint,
          Cmd: img.Cmd,
          WorkingDir: img.WorkingDir,
          StopSignal: img.StopSignal,
        },
      })
      .catch(async (err: unknown) => {
        await discardVolumes(e, vols.anonymous);
        throw err;
      });
    await populateVolumes(e, rec, vols.fresh);
    await e.meta.set(rec.id, {
      name: reservation.name,
      imageId: image.id,
      restartCount: 0,
      manualStop: false,
    });
    ctx.reply.json(201, { Id: rec.id, Warnings: [] });
  } finally {
    reservation.release();
  }
}

const LIST_FILTERS = [
  'id',
  'name',
  'label',
  'status',
  'exited',
  'ancestor',
  'before',
  'since',
  'health',
  'network',
  'volume',
  'isolation',
  'is-task',
  'publish',
  'expose',
];

async function list(e: Engine, ctx: RequestCtx): Promise<void> {
  const limit = queryInt(ctx.query, 'limit', -1);
  const all = queryBool(ctx.query, 'all') || limit > 0;
  const withSize = queryBool(ctx.query, 'size');
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, LIST_FILTERS);
  let recs = e.runtime.list().sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  const before = f.get('before')?.[0];
  const since = f.get('since')?.[0];
  if (before) {
    const b = e.resolve(before);
    recs = recs.filter((r) => Date.parse(r.created) < Date.parse(b.created));
  }
  if (since) {
    const s = e.resolve(since);
    recs = recs.filter((r) => Date.parse(r.created) > Date.parse(s.created));
  }
  recs = recs.filter((r) => {
    if (!all && !running(r) && !f.has('status') && !f.has('exited')) return false;
    const id = f.get('id');
    if (id && !id.some((x) => r.id.startsWith(x))) return false;
    const names = f.get('name');
    if (names && !names.some((n) => new RegExp(n.replace(/^\//, '')).test(e.nameOf(r)))) return false;
    if (!matchLabels(f.get('label'), r.config.Labels)) return false;
    const status = f.get('status');
    if (status && !status.includes(r.state.status)) return false;
    const exited = f.get('exited');
    if (exited && !(r.state.status === 'exited' && exited.includes(String(r.state.exitCode)))) return false;
    const anc = f.get('ancestor');
    if (anc && !anc.some((a) => r.config.Image === a || e.metaOf(r.id).imageId.includes(a))) return false;
    const vol = f.get('volume');
    if (vol && !volumeMounts(r.hostConfig).some((m) => vol.includes(m.name) || vol.includes(m.destination)))
      return false;
    return true;
  });
  if (limit > 0) recs = recs.slice(0, limit);
  const out = [];
  for (const r of recs) {
    let size: { rw: number; rootFs: number } | undefined;
    if (withSize) {
      const rootfs = await e.rootfsOf(r);
      const rw = rootfs ? await e.storage.size(rootfs).catch(() => 0) : 0;
      const img = e.metaOf(r.id).imageId;
      const imgSize = img && e.images ? ((await e.images.get(img))?.size ?? 0) : 0;
      size = { rw, rootFs: rw + imgSize };
    }
    out.push(listView(e, r, size));
  }
  ctx.reply.json(200, out);
}

async function inspect(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const view = inspectView(e, rec, await e.rootfsOf(rec));
  if (queryBool(ctx.query, 'size')) {
    const rootfs = await e.rootfsOf(rec);
    view.SizeRw = rootfs ? await e.storage.size(rootfs).catch(() => 0) : 0;
  }
  ctx.reply.json(200, view);
}

async function start(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  if (rec.state.status === 'removing')
    throw conflict(`container is marked for removal and cannot be started`);
  await e.meta.update(rec.id, { manualStop: false, restartCount: 0 });
  e.restartHooks.onManualStart?.(rec.id);
  const started = await e.runtime.start(rec.id);
  if (!started) throw new ApiError(304, '');
  ctx.reply.empty(204);
}

function stopOptions(ctx: RequestCtx): { timeout?: number; signal?: string } {
  const t = ctx.query.get('t');
  const signal = ctx.query.get('signal') || undefined;
  if (t !== null && t !== '' && !/^-?\d+$/.test(t)) throw badRequest(`invalid value for t: ${t}`);
  return { timeout: t === null || t === '' ? undefined : Math.max(0, Number(t)), signal };
}

async function stop(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const opts = stopOptions(ctx);
  if (e.restartHooks.pending?.(rec.id)) {
    // Restarting: stopping it means not restarting it.
    e.restartHooks.cancel?.(rec.id);
    await e.meta.update(rec.id, { manualStop: true });
    ctx.reply.empty(204);
    return;
  }
  // Marked before the running check: a container that just exited may have
  // its restart scheduled right after this request, and a stop must win.
  await e.meta.update(rec.id, { manualStop: true });
  e.restartHooks.cancel?.(rec.id);
  if (!running(rec)) throw new ApiError(304, '');
  const status = await e.runtime.stop(rec.id, opts);
  if (status === undefined) throw new ApiError(304, '');
  ctx.reply.empty(204);
}

async function restart(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const opts = stopOptions(ctx);
  e.restartHooks.cancel?.(rec.id);
  if (running(rec)) {
    e.restartHooks.skipNext?.(rec.id);
    await e.runtime.stop(rec.id, opts);
  }
  await e.meta.update(rec.id, { manualStop: false });
  await e.runtime.start(rec.id);
  e.events.publish('container', 'restart', rec.id, e.attributes(rec.id));
  ctx.reply.empty(204);
}

async function kill(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const signal = ctx.query.get('signal') || 'SIGKILL';
  if (!running(rec)) {
    throw conflict(`Cannot kill container: ${ctx.params[0]}: Container ${rec.id} is not running`);
  }
  const sig = signal.toUpperCase().replace(/^SIG/, '');
  const stopSig = (rec.config.StopSignal ?? 'SIGTERM').toUpperCase().replace(/^SIG/, '');
  if (sig === 'KILL' || sig === '9' || sig === stopSig) e.restartHooks.skipNext?.(rec.id);
  try {
    await e.runtime.kill(rec.id, signal);
  } catch (err) {
    if (isWharfError(err, 'INVALID_ARGUMENT')) throw badRequest(`Invalid signal: ${signal}`);
    throw err;
  }
  ctx.reply.empty(204);
}

async function pause(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
  if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
  await e.runtime.pause(rec.id);
  ctx.reply.empty(204);
}

async function unpause(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  if (rec.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
  await e.runtime.unpause(rec.id);
  ctx.reply.empty(204);
}

/** Resolves with the status of the next exit, or on abort. */
function nextEvent(e: Engine, id: string, action: 'die' | 'destroy', signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = (ev: { Action: string; Actor: { ID: string } }): void => {
      if (ev.Actor.ID === id && ev.Action === action) done();
    };
    const onAbort = (): void => {
      e.events.off('event', onEvent);
      reject(new Error('client went away'));
    };
    const done = (): void => {
      e.events.off('event', onEvent);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    e.events.on('event', onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function wait(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const condition = ctx.query.get('condition') || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
    throw badRequest(`invalid condition: "${condition}"`);
  }
  // Register before answering: the CLI sends start once it has our headers.
  let until: Promise<void>;
  if (condition === 'removed') until = nextEvent(e, rec.id, 'destroy', ctx.signal);
  else if (condition === 'next-exit' || running(rec)) until = nextEvent(e, rec.id, 'die', ctx.signal);
  else until = Promise.resolve();
  const out = ctx.reply.stream(200, 'application/json');
  try {
    await until;
  } catch {
    out.end();
    return;
  }
  const last = e.lastExitOf(rec.id);
  const code = last?.exitCode ?? (e.runtime.has(rec.id) ? e.runtime.inspect(rec.id).state.exitCode : 0);
  out.end(JSON.stringify({ StatusCode: code, Error: null }) + '\n');
}

async function rename(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const raw = ctx.query.get('name') ?? '';
  if (!raw) throw badRequest('Neither old nor new names may be empty');
  if (!NAME_RE.test(raw))
    throw badRequest(`Invalid container name (${raw}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const name = raw.replace(/^\//, '');
  const old = e.nameOf(rec);
  if (name === old) throw conflict(`Renaming a container with the same name as its current name`);
  const reservation = e.reserveName(name);
  try {
    await e.meta.update(rec.id, { name });
  } finally {
    reservation.release();
  }
  e.events.publish('container', 'rename', rec.id, { ...e.attributes(rec.id), oldName: `/${old}` });
  ctx.reply.empty(204);
}

async function update(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const body = (await ctx.json<HostConfig>()) ?? {};
  const hc = checkHostConfig(body);
  const policy = hc.RestartPolicy;
  if (policy?.Name && policy.Name !== 'no' && rec.hostConfig.AutoRemove) {
    throw badRequest('Restart policy cannot be updated because AutoRemove is enabled for the container');
  }
  try {
    await e.runtime.update(rec.id, hc);
  } catch (err) {
    if (isWharfError(err) && err.status === 500)
      throw badRequest(`Cannot update container ${rec.id}: ${err.message}`);
    throw err;
  }
  ctx.reply.json(200, { Warnings: [] });
}

async function resize(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const h = queryInt(ctx.query, 'h', 0);
  const w = queryInt(ctx.query, 'w', 0);
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw badRequest('invalid terminal size');
  if (!running(rec) && rec.state.status !== 'created') throw conflict(`Container ${rec.id} is not running`);
  const client = await AttachClient.connect(join(e.runtime.stateDir(rec.id), 'attach.sock'));
  client.resize(h, w);
  await new Promise((r) => setTimeout(r, 5));
  client.close();
  ctx.reply.empty(200);
}

async function remove(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const force = queryBool(ctx.query, 'force');
  if (queryBool(ctx.query, 'link'))
    throw badRequest('Conflict, cannot remove the default link name of the container');
  if (rec.state.status === 'removing')
    throw conflict(`removal of container ${rec.id} is already in progress`);
  if (running(rec) && !force) {
    throw conflict(
      `cannot remove container "/${e.nameOf(rec)}": container is running: stop the container before removing or force remove`,
    );
  }
  e.restartHooks.cancel?.(rec.id);
  e.restartHooks.skipNext?.(rec.id);
  if (queryBool(ctx.query, 'v')) removeAnonymousVolumesWith(e, rec.id);
  await e.runtime.remove(rec.id, { force });
  ctx.reply.empty(204);
}

async function prune(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['until', 'label', 'label!']);
  const until = parseTimestamp(f.get('until')?.[0] ?? null);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const r of e.runtime.list()) {
    if (running(r) || r.state.status === 'removing') continue;
    if (until !== undefined && Date.parse(r.created) >= until) continue;
    if (!matchLabels(f.get('label'), r.config.Labels)) continue;
    const not = f.get('label!');
    if (not && not.some((l) => matchLabels([l], r.config.Labels))) continue;
    const rootfs = await e.rootfsOf(r);
    const size = rootfs ? await e.storage.size(rootfs).catch(() => 0) : 0;
    try {
      await e.runtime.remove(r.id);
      deleted.push(r.id);
      reclaimed += size;
    } catch {
      // raced with a start; leave it
    }
  }
  e.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
  ctx.reply.json(200, { ContainersDeleted: deleted, SpaceReclaimed: reclaimed });
}

export function containerRoutes(r: Router, e: Engine): void {
  r.add('POST', '/containers/create', (c) => create(e, c));
  r.add('GET', '/containers/json', (c) => list(e, c));
  r.add('POST', '/containers/prune', (c) => prune(e, c));
  r.add('GET', '/containers/{id}/json', (c) => inspect(e, c));
  r.add('POST', '/containers/{id}/start', (c) => start(e, c));
  r.add('POST', '/containers/{id}/stop', (c) => stop(e, c));
  r.add('POST', '/containers/{id}/restart', (c) => restart(e, c));
  r.add('POST', '/containers/{id}/kill', (c) => kill(e, c));
  r.add('POST', '/containers/{id}/pause', (c) => pause(e, c));
  r.add('POST', '/containers/{id}/unpause', (c) => unpause(e, c));
  r.add('POST', '/containers/{id}/wait', (c) => wait(e, c));
  r.add('POST', '/containers/{id}/rename', (c) => rename(e, c));
  r.add('POST', '/containers/{id}/update', (c) => update(e, c));
  r.add('POST', '/containers/{id}/resize', (c) => resize(e, c));
  r.add('DELETE', '/containers/{id}', (c) => remove(e, c));
}
