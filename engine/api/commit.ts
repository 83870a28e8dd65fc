// POST /commit (docker commit): the container's upper dir becomes a new
// layer on top of its image's, with the container's config (and any
// `changes`, Dockerfile instructions) as the new image's defaults.
import type { ImageRecord } from '../images/index.js';
import type { FsImageStore } from '../images/image-store.js';
import { tarDirectory } from '../storage/layers/index.js';
import { badRequest, notFound } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import { queryBool } from './query.js';
import type { Router } from './router.js';

function store(e: Engine): FsImageStore {
  if (!e.images) throw notFound('the image store is not available');
  return e.images;
}

async function getImage(e: Engine, name: string): Promise<ImageRecord> {
  const img = await store(e).get(name);
  if (!img) throw notFound(`No such image: ${name}`);
  return img;
}

export /** The Dockerfile instructions `docker commit -c` / `docker import -c` send as `changes`. */
function parseChanges(changes: string[]): NonNullable<ImageRecord['config']['config']> {
  const cfg: NonNullable<ImageRecord['config']['config']> = {};
  for (const c of changes) {
    const m = /^\s*(CMD|ENTRYPOINT|ENV|WORKDIR|USER|LABEL|STOPSIGNAL)\s+(.*)$/i.exec(c);
    if (!m || !m[1] || m[2] === undefined) throw badRequest(`unsupported or invalid change: ${c}`);
    const v = m[2].trim();
    let arr: string[];
    try {
      arr = v.startsWith('[') ? (JSON.parse(v) as string[]) : ['/bin/sh', '-c', v];
    } catch {
      arr = ['/bin/sh', '-c', v];
    }
    const k = m[1].toUpperCase();
    if (k === 'CMD') cfg.Cmd = arr;
    else if (k === 'ENTRYPOINT') cfg.Entrypoint = arr;
    else if (k === 'ENV') cfg.Env = [...(cfg.Env ?? []), v.includes('=') ? v : v.replace(/\s+/, '=')];
    else if (k === 'WORKDIR') cfg.WorkingDir = v;
    else if (k === 'USER') cfg.User = v;
    else if (k === 'STOPSIGNAL') cfg.StopSignal = v;
    else if (k === 'LABEL') {
      const [lk = '', ...rest] = v.split('=');
      cfg.Labels = {
        ...(cfg.Labels ?? {}),
        [lk.replace(/^"|"$/g, '')]: rest.join('=').replace(/^"|"$/g, ''),
      };
    }
  }
  return cfg;
}

async function commit(e: Engine, ctx: RequestCtx): Promise<void> {
  const cref = ctx.query.get('container');
  if (!cref) throw badRequest('container is required');
  const rec = e.resolve(cref);
  const rootfs = await e.rootfsOf(rec);
  if (!rootfs) throw badRequest('only containers made from images can be committed');
  const base = await getImage(e, e.metaOf(rec.id).imageId);
  const pause = queryBool(ctx.query, 'pause', true) && rec.state.status === 'running';
  const body = ((await ctx.json<Record<string, unknown>>()) ?? {}) as NonNullable<
    ImageRecord['config']['config']
  >;
  if (pause) await e.runtime.pause(rec.id).catch(() => {});
  let diff;
  try {
    const top = base.chainIDs.at(-1) ?? null;
    diff = await store(e).layers.extract(tarDirectory(rootfs.upperDir, { whiteouts: true }), {
      parentChainID: top,
    });
  } finally {
    if (pause) await e.runtime.unpause(rec.id).catch(() => {});
  }
  const created = new Date().toISOString();
  const baseCfg = base.config;
  const runtimeCfg = {
    ...(baseCfg.config ?? {}),
    Cmd: rec.config.Cmd ?? baseCfg.config?.Cmd,
    Entrypoint: rec.config.Entrypoint ?? baseCfg.config?.Entrypoint,
    Env: rec.config.Env ?? baseCfg.config?.Env,
    WorkingDir: rec.config.WorkingDir ?? baseCfg.config?.WorkingDir,
    Labels: rec.config.Labels ?? baseCfg.config?.Labels,
    ...body,
    ...parseChanges(ctx.query.getAll('changes')),
  };
  const config = {
    ...baseCfg,
    created,
    author: ctx.query.get('author') ?? '',
    comment: ctx.query.get('comment') ?? '',
    container: rec.id,
    config: runtimeCfg,
    rootfs: { type: 'layers' as const, diff_ids: [...baseCfg.rootfs.diff_ids, diff.diffID] },
    history: [
      ...(baseCfg.history ?? []),
      {
        created,
        created_by: [...(rec.config.Entrypoint ?? []), ...(rec.config.Cmd ?? [])].join(' '),
        comment: ctx.query.get('comment') ?? '',
      },
    ],
  };
  const img = await store(e).add(Buffer.from(JSON.stringify(config)), [
    ...base.layerBlobs.map(() => null),
    null,
  ]);
  const repo = ctx.query.get('repo');
  if (repo) await store(e).tag(img.id, `${repo}:${ctx.query.get('tag') || 'latest'}`);
  e.events.publish('container', 'commit', rec.id, {
    ...e.attributes(rec.id),
    comment: ctx.query.get('comment') ?? '',
  });
  ctx.reply.json(201, { Id: img.id });
}

export function commitRoutes(r: Router, e: Engine): void {
  r.add('POST', '/commit', (c) => commit(e, c));
}
