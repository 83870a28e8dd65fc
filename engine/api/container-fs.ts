// The container's filesystem over the API: changes (docker diff), export,
// and archive HEAD/GET/PUT (docker cp).
//
// Paths are resolved inside the container root the way Docker's
// FollowSymlinkInScope does: every symlink is resolved against the root, so
// `..` and absolute links can never leave it. Writes (PUT) then go through
// wharf-untar, which confines itself to the root (own mount namespace,
// pivot_root, seccomp) before reading a byte: a symlink swapped in by the
// running container resolves inside the container, never on the host.
// Reads stat the resolved path with O_NOFOLLOW on the last component and tar
// directories with `wharf-untar --create`, also confined to the directory.
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { spawn } from 'node:child_process';
import tar from 'tar-stream';
import type { ContainerRecord } from '../runtime/index.js';
import { exportMerged, tarDirectory } from '../storage/layers/index.js';
import { defaultUntarPath } from '../storage/layers/untar.js';
import { badRequest, notFound } from './errors.js';
import type { Engine } from './engine.js';
import type { RequestCtx } from './http.js';
import type { Router } from './router.js';
import { decompress } from '../storage/layers/decompress.js';

/** Resolves `p` inside `root`; returns the path relative to root ('' = root). */
export async function resolveInRoot(root: string, p: string, followLast: boolean): Promise<string> {
  let todo = p.split('/').filter((c) => c && c !== '.');
  let resolved: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift() as string;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const isLast = todo.length === 0;
    const full = posix.join(root, ...resolved, c);
    let st;
    try {
      st = await lstat(full);
    } catch {
      resolved.push(c);
      continue;
    }
    if (st.isSymbolicLink() && (!isLast || followLast)) {
      if (++links > 255) throw badRequest(`too many levels of symbolic links: ${p}`);
      const target = await readlink(full);
      if (target.startsWith('/')) resolved = [];
      todo = [...target.split('/').filter((x) => x && x !== '.'), ...todo];
      continue;
    }
    resolved.push(c);
  }
  return resolved.join('/');
}

/** Go's os.FileMode bits for a stat result. */
function goFileMode(st: { mode: number }): number {
  const m = st.mode;
  // Arithmetic, not `|`: bit 31 would make a negative int32.
  let out = m & 0o777;
  const fmt = m & constants.S_IFMT;
  if (fmt === constants.S_IFDIR) out += 2 ** 31;
  else if (fmt === constants.S_IFLNK) out += 2 ** 27;
  else if (fmt === constants.S_IFBLK) out += 2 ** 26;
  else if (fmt === constants.S_IFCHR) out += 2 ** 26 + 2 ** 21;
  else if (fmt === constants.S_IFIFO) out += 2 ** 25;
  else if (fmt === constants.S_IFSOCK) out += 2 ** 24;
  if (m & 0o4000) out += 2 ** 23;
  if (m & 0o2000) out += 2 ** 22;
  if (m & 0o1000) out += 2 ** 20;
  return out;
}

interface PathStat {
  rel: string;
  full: string;
  stat: import('node:fs').Stats;
  header: string;
  base: string;
}

async function statPath(root: string, rec: ContainerRecord, path: string): Promise<PathStat> {
  if (!path) throw badRequest('Path cannot be empty');
  const abs = path.startsWith('/') ? path : `/${path}`;
  // Docker resolves the parent and keeps a final symlink as itself (cp copies the link).
  const followLast = abs.endsWith('/') || abs.endsWith('/.');
  const rel = await resolveInRoot(root, abs, followLast);
  const full = posix.join(root, rel);
  let stat;
  try {
    stat = await lstat(full);
  } catch {
    throw notFound(`Could not find the file ${path} in container ${rec.id}`);
  }
  const base = abs.endsWith('/.') ? '.' : posix.basename(posix.normalize(abs)) || '/';
  const linkTarget = stat.isSymbolicLink() ? await readlink(full) : '';
  const header = Buffer.from(
    JSON.stringify({
      name: base,
      size: stat.size,
      mode: goFileMode(stat),
      mtime: stat.mtime.toISOString(),
      linkTarget,
    }),
  ).toString('base64');
  return { rel, full, stat, header, base };
}

/** Re-packs a tar with every name placed under `prefix` ('' keeps names). */
function retar(input: Readable, rename: (name: string) => string | undefined): Readable {
  const ex = tar.extract();
  const pack = tar.pack();
  void (async () => {
    try {
      for await (const entry of ex) {
        const h = entry.header;
        const name = rename(h.name);
        if (name === undefined) {
          entry.resume();
          continue;
        }
        const header = { ...h, name };
        if (h.type === 'link' && h.linkname) header.linkname = rename(h.linkname) ?? h.linkname;
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
          entry.on('data', (d: unknown) => {
            if (!sink.write(d)) {
              entry.pause();
              sink.once('drain', () => entry.resume());
            }
          });
          entry.on('end', () => sink.end(undefined));
          entry.on('error', reject);
        });
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  input.on('error', (err) => ex.destroy(err));
  input.pipe(ex);
  return pack as unknown as Readable;
}

function cleanTarName(n: string): string {
  return n.replace(/^\.\/?/, '').replace(/^\/+/, '');
}

async function archiveHead(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const path = ctx.query.get('path') ?? '';
  const st = await e.withRootfs(rec, (root) => statPath(root, rec, path));
  ctx.reply.empty(200, { 'X-Docker-Container-Path-Stat': st.header, 'Content-Type': 'application/x-tar' });
}

async function archiveGet(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const path = ctx.query.get('path') ?? '';
  await e.withRootfs(rec, async (root) => {
    const st = await statPath(root, rec, path);
    const out = ctx.reply.stream(200, 'application/x-tar', { 'X-Docker-Container-Path-Stat': st.header });
    let body: Readable;
    if (st.stat.isDirectory()) {
      body = retar(tarDirectory(st.full, { whiteouts: false }), (n) => {
        const c = cleanTarName(n);
        return c ? posix.join(st.base, c) : `${st.base}/`;
      });
    } else {
      const pack = tar.pack();
      const header = {
        name: st.base,
        mode: st.stat.mode & 0o7777,
        uid: st.stat.uid,
        gid: st.stat.gid,
        mtime: st.stat.mtime,
      };
      if (st.stat.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(st.full) });
        pack.finalize();
      } else if (st.stat.isFile()) {
        const fh = await open(st.full, constants.O_RDONLY | constants.O_NOFOLLOW);
        const src = fh.createReadStream();
        const sink = pack.entry({ ...header, type: 'file', size: st.stat.size }, () => pack.finalize());
        src.on('data', (d) => {
          if (!sink.write(d)) {
            src.pause();
            sink.once('drain', () => src.resume());
          }
        });
        src.on('end', () => sink.end(undefined));
        src.on('error', (err) => pack.destroy(err));
      } else {
        throw badRequest(`cannot copy ${path}: not a regular file, directory or symlink`);
      }
      body = pack as unknown as Readable;
    }
    await pipeline(body, out, { signal: ctx.signal }).catch(() => out.destroy());
  });
}

async function archivePut(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const path = ctx.query.get('path') ?? '';
  if (!path) throw badRequest('Path cannot be empty');
  await e.withRootfs(rec, async (root) => {
    const rel = await resolveInRoot(root, path.startsWith('/') ? path : `/${path}`, true);
    let st;
    try {
      st = await lstat(posix.join(root, rel));
    } catch {
      throw notFound(`Could not find the file ${path} in container ${rec.id}`);
    }
    if (!st.isDirectory()) throw badRequest('extraction point is not a directory');
    const input = Readable.from(decompress()(ctx.body()));
    const renamed = retar(input, (n) => {
      const c = cleanTarName(n);
      const name = posix.normalize(posix.join(rel, c));
      if (name.startsWith('..')) return undefined;
      return name === '.' ? undefined : name;
    });
    const child = spawn(defaultUntarPath(), ['--no-devices', root], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await pipeline(renamed, child.stdin).catch(() => {});
    const code = await exited;
    if (code !== 0) {
      throw badRequest(
        `copying into the container failed: ${stderr.trim().replace(/^wharf-untar: /, '') || `exit ${code}`}`,
      );
    }
  });
  e.events.publish('container', 'extract-to-dir', rec.id, e.attributes(rec.id));
  ctx.reply.empty(200);
}

async function changes(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const rootfs = await e.rootfsOf(rec);
  const list = rootfs ? await e.storage.changes(rootfs) : [];
  ctx.reply.json(200, list ?? []);
}

async function exportContainer(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  await e.withRootfs(rec, async (root) => {
    const out = ctx.reply.stream(200, 'application/x-tar');
    await pipeline(exportMerged(root), out, { signal: ctx.signal }).catch(() => out.destroy());
  });
  e.events.publish('container', 'export', rec.id, e.attributes(rec.id));
}

export function containerFsRoutes(r: Router, e: Engine): void {
  r.add('HEAD', '/containers/{id}/archive', (c) => archiveHead(e, c));
  r.add('GET', '/containers/{id}/archive', (c) => archiveGet(e, c));
  r.add('PUT', '/containers/{id}/archive', (c) => archivePut(e, c));
  r.add('GET', '/containers/{id}/changes', (c) => changes(e, c));
  r.add('GET', '/containers/{id}/export', (c) => exportContainer(e, c));
}
