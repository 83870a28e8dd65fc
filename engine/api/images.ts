// Image endpoints over the image store (engine/images) and the registry
// client (engine/registry): list, inspect, history, tag, delete, create
// (pull, fromSrc import), get (save), load, push, prune, search; and commit.
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest, ImageRecord } from '../images/index.js';
import type { FsImageStore } from '../images/image-store.js';
import { inspectImage, imageHistory } from '../images/inspect.js';
import { loadImages } from '../images/archive/load.js';
import { checkSaveable, saveImages } from '../images/archive/save.js';
import { importImage } from '../images/archive/import.js';
import { pull } from '../registry/pull.js';
import { push } from '../registry/push.js';
import { RegistryClient } from '../registry/client.js';
import { MemoryAuthStore, normalizeRegistryKey, type AuthStore } from '../registry/auth.js';
import { familiarString, parseReference } from '../registry/reference.js';
import type { ProgressEvent } from '../registry/progress.js';
import { errorResponse, badRequest, notFound } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import { checkFilterKeys, matchLabels, parseFilters, queryBool } from './query.js';
import type { Router } from './router.js';
import { parseChanges } from './commit.js';

function store(e: Engine): FsImageStore {
  if (!e.images) throw notFound('the image store is not available');
  return e.images;
}

function familiar(ref: string): string {
  try {
    return familiarString(parseReference(ref, { defaultTag: false }));
  } catch {
    return ref;
  }
}

async function getImage(e: Engine, name: string): Promise<ImageRecord> {
  const img = await store(e).get(name);
  if (!img) throw notFound(`No such image: ${name}`);
  return img;
}

function containersUsing(e: Engine, id: Digest): { id: string; running: boolean }[] {
  return e.runtime
    .list()
    .filter((c) => e.metaOf(c.id).imageId === id)
    .map((c) => ({ id: c.id, running: c.state.status === 'running' || c.state.status === 'paused' }));
}

function summary(e: Engine, img: ImageRecord): Record<string, unknown> {
  const tags = store(e).tagsOf(img.id).map(familiar);
  return {
    Id: img.id,
    ParentId: '',
    RepoTags: tags,
    RepoDigests: img.repoDigests.map(familiar),
    Created: Math.floor(Date.parse(img.config.created ?? img.created) / 1000) || 0,
    Size: img.size,
    SharedSize: -1,
    VirtualSize: img.size,
    Labels: img.config.config?.Labels ?? {},
    Containers: containersUsing(e, img.id).length,
  };
}

async function list(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['reference', 'dangling', 'label', 'before', 'since', 'until']);
  const all = await store(e).list();
  const refs = f.get('reference');
  const dangling = f.get('dangling')?.[0];
  const out = all
    .filter((img) => {
      const tags = store(e).tagsOf(img.id).map(familiar);
      if (dangling === 'true' && tags.length) return false;
      if (dangling === 'false' && !tags.length) return false;
      if (!matchLabels(f.get('label'), img.config.config?.Labels)) return false;
      if (refs) {
        const ok = refs.some((r) => {
          const re = new RegExp(
            `^${r
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '.')}(:.*)?$`,
          );
          return tags.some((t) => re.test(t) || t === r);
        });
        if (!ok) return false;
      }
      return true;
    })
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
    .map((img) => summary(e, img));
  ctx.reply.json(200, out);
}

async function inspect(e: Engine, ctx: RequestCtx): Promise<void> {
  const img = await getImage(e, ctx.params[0]!);
  ctx.reply.json(200, inspectImage(store(e), img));
}

async function history(e: Engine, ctx: RequestCtx): Promise<void> {
  const img = await getImage(e, ctx.params[0]!);
  ctx.reply.json(200, await imageHistory(store(e), img));
}

async function tag(e: Engine, ctx: RequestCtx): Promise<void> {
  const img = await getImage(e, ctx.params[0]!);
  const repo = ctx.query.get('repo');
  if (!repo) throw badRequest('repository name must have at least one component');
  const t = ctx.query.get('tag') || 'latest';
  const ref = `${repo}:${t}`;
  parseReference(ref);
  await store(e).tag(img.id, ref);
  e.events.publish('image', 'tag', img.id, { name: familiar(ref) });
  ctx.reply.empty(201);
}

async function remove(e: Engine, ctx: RequestCtx): Promise<void> {
  const name = ctx.params[0]!;
  await getImage(e, name);
  const items = await store(e).remove(name, {
    force: queryBool(ctx.query, 'force'),
    inUse: (id) => containersUsing(e, id),
  });
  for (const it of items) {
    if (it.Untagged) e.events.publish('image', 'untag', it.Untagged, { name: it.Untagged });
    if (it.Deleted) e.events.publish('image', 'delete', it.Deleted, { name: it.Deleted });
  }
  ctx.reply.json(
    200,
    items.map((it) => (it.Untagged ? { Untagged: familiar(it.Untagged) } : it)),
  );
}

/** X-Registry-Auth (base64url JSON) on top of the daemon's stored credentials. */
function authFor(e: Engine, ctx: RequestCtx, registry: string): AuthStore | undefined {
  const header = ctx.headers['x-registry-auth'];
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw) {
    try {
      const doc = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
        username?: string;
        password?: string;
      };
      if (doc.username && doc.password) {
        const m = new MemoryAuthStore();
        void m.set(normalizeRegistryKey(registry), { username: doc.username, password: doc.password });
        return m;
      }
    } catch {
      // e30= and friends: no credentials
    }
  }
  return e.auth;
}

function client(e: Engine, auth: AuthStore | undefined): RegistryClient {
  return new RegistryClient({
    auth,
    insecureRegistries: e.settings.insecureRegistries,
    mirrors: e.settings.registryMirrors,
    userAgent: 'wharf/0.1.0',
  });
}

/** Streams progress JSON lines; a failure after the headers becomes Docker's errorDetail line. */
async function progressStream(
  ctx: RequestCtx,
  work: (emit: (ev: ProgressEvent | Record<string, unknown>) => void) => Promise<void>,
): Promise<void> {
  const out: Writable = ctx.reply.stream(200, 'application/json');
  const emit = (ev: unknown): void => {
    if (!out.destroyed) out.write(JSON.stringify(ev) + '\n');
  };
  try {
    await work(emit);
  } catch (err) {
    const { message } = errorResponse(err);
    emit({ errorDetail: { message }, error: message });
  }
  out.end();
}

async function create(e: Engine, ctx: RequestCtx): Promise<void> {
  const fromImage = ctx.query.get('fromImage');
  const fromSrc = ctx.query.get('fromSrc');
  const tagQ = ctx.query.get('tag');
  if (fromSrc !== null) {
    if (fromSrc !== '-')
      throw badRequest('importing from a URL is not supported; use fromSrc=- with the tarball as the body');
    const repo = ctx.query.get('repo');
    const ref = repo ? `${repo}${tagQ ? `:${tagQ}` : ''}` : undefined;
    const cfg = parseChanges(ctx.query.getAll('changes'));
    await progressStream(ctx, async (emit) => {
      const img = await importImage(store(e), ctx.body(), {
        ref,
        changes: cfg,
        message: ctx.query.get('message') ?? undefined,
        source: '-',
        signal: ctx.signal,
      });
      e.events.publish('image', 'import', img.id, { name: ref ?? img.id });
      emit({ status: img.id });
    });
    return;
  }
  if (!fromImage) throw badRequest('fromImage or fromSrc is required');
  const name = tagQ && !fromImage.includes('@') ? `${fromImage}:${tagQ}` : fromImage;
  const ref = parseReference(name);
  const auth = authFor(e, ctx, ref.domain);
  await progressStream(ctx, async (emit) => {
    const c = client(e, auth);
    try {
      const result = await pull(
        { client: c, content: store(e).content, layers: store(e).layers, images: store(e) },
        name,
        {
          onProgress: emit,
          signal: ctx.signal,
        },
      );
      const shown = familiar(result.reference);
      e.events.publish('image', 'pull', shown, { name: shown });
    } finally {
      await c.close();
    }
  });
}

async function pushImage(e: Engine, ctx: RequestCtx): Promise<void> {
  const name = ctx.params[0]!;
  const t = ctx.query.get('tag');
  const full = t ? `${name}:${t}` : name;
  const ref = parseReference(full);
  await getImage(e, full);
  const auth = authFor(e, ctx, ref.domain);
  await progressStream(ctx, async (emit) => {
    const c = client(e, auth);
    try {
      const res = await push(
        { client: c, content: store(e).content, layers: store(e).layers, images: store(e) },
        full,
        {
          onProgress: emit,
          signal: ctx.signal,
        },
      );
      emit({ status: `${ref.tag ?? 'latest'}: digest: ${res.digest} size: ${res.size}` });
      emit({ progressDetail: {}, aux: { Tag: ref.tag ?? 'latest', Digest: res.digest, Size: res.size } });
      e.events.publish('image', 'push', familiar(full), { name: familiar(full) });
    } finally {
      await c.close();
    }
  });
}

async function save(e: Engine, ctx: RequestCtx, names: string[]): Promise<void> {
  if (!names.length) throw badRequest('no images given');
  await checkSaveable(store(e), names);
  const out = ctx.reply.stream(200, 'application/x-tar');
  await pipeline(saveImages(store(e), names), out, { signal: ctx.signal }).catch(() => out.destroy());
}

async function load(e: Engine, ctx: RequestCtx): Promise<void> {
  const quiet = queryBool(ctx.query, 'quiet');
  const out = ctx.reply.stream(200, 'application/json');
  try {
    const loaded = await loadImages(store(e), ctx.body(), {
      signal: ctx.signal,
      onProgress: quiet
        ? undefined
        : (p) =>
            out.write(
              JSON.stringify({
                status: p.status,
                progressDetail: { current: p.current, total: p.total },
                id: p.id,
              }) + '\n',
            ),
    });
    for (const img of loaded) {
      e.events.publish('image', 'load', img.id, { name: img.id });
      if (img.tags.length)
        for (const t of img.tags)
          out.write(JSON.stringify({ stream: `Loaded image: ${familiar(t)}\n` }) + '\n');
      else out.write(JSON.stringify({ stream: `Loaded image ID: ${img.id}\n` }) + '\n');
    }
  } catch (err) {
    const { message } = errorResponse(err);
    out.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
  }
  out.end();
}

async function prune(e: Engine, ctx: RequestCtx): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  checkFilterKeys(f, ['dangling', 'until', 'label']);
  const danglingOnly = (f.get('dangling')?.[0] ?? 'true') !== 'false';
  const deleted: Array<{ Untagged?: string; Deleted?: string }> = [];
  let reclaimed = 0;
  for (const img of await store(e).list()) {
    if (danglingOnly && store(e).tagsOf(img.id).length) continue;
    if (containersUsing(e, img.id).length) continue;
    if (!matchLabels(f.get('label'), img.config.config?.Labels)) continue;
    try {
      deleted.push(
        ...(await store(e).remove(img.id, { force: !danglingOnly, inUse: (id) => containersUsing(e, id) })),
      );
      reclaimed += img.size;
    } catch {
      // in use or raced; skip
    }
  }
  ctx.reply.json(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

export function imageRoutes(r: Router, e: Engine): void {
  r.add('GET', '/images/json', (c) => list(e, c));
  r.add('POST', '/images/create', (c) => create(e, c));
  r.add('POST', '/images/load', (c) => load(e, c));
  r.add('POST', '/images/prune', (c) => prune(e, c));
  r.add('GET', '/images/search', async (c) => c.reply.json(200, []));
  r.add('GET', '/images/get', (c) => save(e, c, c.query.getAll('names')));
  r.add('GET', '/images/{name*}/json', (c) => inspect(e, c));
  r.add('GET', '/images/{name*}/history', (c) => history(e, c));
  r.add('GET', '/images/{name*}/get', (c) => save(e, c, [c.params[0]!]));
  r.add('POST', '/images/{name*}/tag', (c) => tag(e, c));
  r.add('POST', '/images/{name*}/push', (c) => pushImage(e, c));
  r.add('DELETE', '/images/{name*}', (c) => remove(e, c));
}
