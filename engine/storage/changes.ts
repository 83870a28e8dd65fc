// `docker diff` for an overlay: walk the upper dir and classify each entry
// against the lower layers (moby pkg/archive changes() with overlay rules).
//
//   0/0 char device          -> Deleted
//   opaque dir (xattr "y")   -> Modified if a lower had it, Added otherwise,
//                               plus Deleted for every lower entry it hides
//   present in a lower       -> Modified (a dir whose size, mode and mtime
//                               match the lower's is skipped, as Docker does)
//   otherwise                -> Added
// Every Added/Deleted entry also marks its parent dir Modified once.
import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { native } from '../../native/index.js';
import { isErrno } from '../errors.js';
import { ChangeKind, type Change } from './index.js';

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

export class LowerView {
  private readonly opaque = new Map<string, boolean>();

  constructor(
    private readonly lowers: readonly string[],
    private readonly opaqueXattr: string,
  ) {}

  async isOpaque(hostPath: string): Promise<boolean> {
    let v = this.opaque.get(hostPath);
    if (v === undefined) {
      const x = await native.lgetxattr(hostPath, this.opaqueXattr).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTSUP') || isErrno(err, 'ENOTDIR')) return null;
        throw err;
      });
      v = x !== null && x.toString() === 'y';
      this.opaque.set(hostPath, v);
    }
    return v;
  }

  /** The topmost lower's entry at `path` ("/a/b"), or null when no lower shows one. */
  async lookup(path: string): Promise<Stats | null> {
    for (const lower of this.lowers) {
      const st = await lstatOrNull(posix.join(lower, path));
      if (st) return isWhiteout(st) ? null : st;
      // An opaque or whited-out ancestor in this layer hides everything below.
      let dir = posix.dirname(path);
      while (dir !== '/') {
        const ast = await lstatOrNull(posix.join(lower, dir));
        if (ast && (isWhiteout(ast) || !ast.isDirectory())) return null;
        if (ast && (await this.isOpaque(posix.join(lower, dir)))) return null;
        dir = posix.dirname(dir);
      }
    }
    return null;
  }

  /** Names visible in the lowers at directory `path`. */
  async list(path: string): Promise<string[]> {
    const seen = new Set<string>();
    const hidden = new Set<string>();
    for (const lower of this.lowers) {
      const host = posix.join(lower, path);
      let entries;
      try {
        entries = await readdir(host, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) continue;
        throw err;
      }
      for (const e of entries) {
        if (seen.has(e.name) || hidden.has(e.name)) continue;
        const st = await lstat(posix.join(host, e.name));
        if (isWhiteout(st)) hidden.add(e.name);
        else seen.add(e.name);
      }
      if (await this.isOpaque(host)) break;
    }
    return [...seen].sort();
  }
}

function sameTime(a: Stats, b: Stats): boolean {
  const an = a.mtimeMs,
    bn = b.mtimeMs;
  return (
    an === bn || (Math.floor(an / 1000) === Math.floor(bn / 1000) && (an % 1000 === 0 || bn % 1000 === 0))
  );
}

export async function overlayChanges(
  upper: string,
  lowers: readonly string[],
  userXattr: boolean,
): Promise<Change[]> {
  const view = new LowerView(lowers, userXattr ? 'user.overlay.opaque' : 'trusted.overlay.opaque');
  const changes: Change[] = [];
  const changedDirs = new Set<string>();

  const markParent = (path: string): void => {
    const parent = posix.dirname(path);
    if (parent !== '/' && !changedDirs.has(parent)) {
      changes.push({ Path: parent, Kind: ChangeKind.Modified });
      changedDirs.add(parent);
    }
  };

  const visit = async (path: string): Promise<void> => {
    const host = posix.join(upper, path);
    const st = await lstat(host);
    if (isWhiteout(st)) {
      markParent(path);
      changes.push({ Path: path, Kind: ChangeKind.Deleted });
      return;
    }
    const lower = await view.lookup(path);
    if (st.isDirectory() && (await view.isOpaque(host))) {
      // Opaque: the directory replaces whatever the lowers had here.
      if (lower) {
        changedDirs.add(path);
        changes.push({ Path: path, Kind: ChangeKind.Modified });
        const inUpper = new Set(await readdir(host));
        for (const name of lower.isDirectory() ? await view.list(path) : []) {
          if (!inUpper.has(name)) changes.push({ Path: posix.join(path, name), Kind: ChangeKind.Deleted });
        }
      } else {
        markParent(path);
        changedDirs.add(path);
        changes.push({ Path: path, Kind: ChangeKind.Added });
      }
    } else if (!lower) {
      if (st.isDirectory()) changedDirs.add(path);
      markParent(path);
      changes.push({ Path: path, Kind: ChangeKind.Added });
    } else if (
      st.isDirectory() &&
      lower.isDirectory() &&
      st.size === lower.size &&
      st.mode === lower.mode &&
      sameTime(st, lower)
    ) {
      // Only a parent of something changed; its children decide.
    } else {
      if (st.isDirectory()) changedDirs.add(path);
      changes.push({ Path: path, Kind: ChangeKind.Modified });
    }
    if (st.isDirectory()) {
      const names = (await readdir(host)).sort();
      for (const name of names) await visit(posix.join(path, name));
    }
  };

  for (const name of (await readdir(upper)).sort()) await visit(`/${name}`);
  return changes;
}

/** Bytes of everything but directories under `dir`, hard links counted once (Docker's SizeRw). */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const e of entries) {
      const p = posix.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await lstatOrNull(p);
      if (!st) continue;
      if (st.nlink > 1) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
