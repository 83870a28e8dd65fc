// The overlay layer store (LayerStore in ./index.ts):
//
//   <data-root>/layers/                 0700: host users never reach setuid files inside
//   <data-root>/layers/<hex>/diff/      extracted layer (an overlay lowerdir)
//   <data-root>/layers/<hex>/info.json  {chainID, diffID, parentChainID, size, entries, created}
//   <data-root>/layers/<hex>/refs       reference count, written atomically
//   <data-root>/layers/tmp/             extractions in progress and removals; cleanup() empties it
//
// <hex> is the chainID without "sha256:" (a ':' would break overlay's lowerdir
// list). A layer directory appears under its final name only by rename(2)
// of a complete temp dir, after its diffID was checked, so layers/<hex>/
// exists iff the layer is whole; removal renames it back into tmp/ first.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isErrno, wharfError } from '../../errors.js';
import type { Digest, ExtractOptions, LayerFile, LayerInfo, LayerStore } from './index.js';
import {
  DEFAULT_UNTAR_LIMITS,
  defaultUntarPath,
  isLayerFile,
  tarDirectory,
  untarInto,
  type UntarLimits,
} from './untar.js';

export interface LayerStoreOptions {
  /** The engine's data root (EnginePaths.dataRoot); layers/ is created below it. */
  dataRoot: string;
  /** Path of wharf-untar; default native/build/Release/wharf-untar or $WHARF_UNTAR. */
  helper?: string;
  limits?: Partial<UntarLimits>;
}

const DIGEST_RE = /^sha256:([0-9a-f]{64})$/;

function hexOf(d: Digest): string {
  const m = DIGEST_RE.exec(d);
  if (!m?.[1]) throw wharfError('INVALID_ARGUMENT', `not a sha256 digest: ${JSON.stringify(d)}`);
  return m[1];
}

/** Docker's chainID: bottom = diffID; next = sha256(parentChainID + " " + diffID). */
export function chainIDOf(parentChainID: Digest | null, diffID: Digest): Digest {
  hexOf(diffID);
  if (parentChainID === null) return diffID;
  hexOf(parentChainID);
  return `sha256:${createHash('sha256').update(`${parentChainID} ${diffID}`).digest('hex')}`;
}

/** The chainIDs of a stack of diffIDs, bottom first. */
export function chainIDsOf(diffIDs: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIDs) out.push(chainIDOf(out.at(-1) ?? null, d));
  return out;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Lets go of an input that will not be read. */
function discard(input: Readable | LayerFile): void {
  if (!isLayerFile(input)) input.destroy();
}

interface InfoFile extends LayerInfo {
  entries: number;
  created: string;
}

export class OverlayLayerStore implements LayerStore {
  readonly root: string;
  private readonly tmpRoot: string;
  private readonly helper: string;
  private readonly limits: UntarLimits;
  private readyPromise: Promise<void> | undefined;
  private readonly inflight = new Map<Digest, Promise<LayerInfo>>();
  private readonly locks = new Map<Digest, Promise<unknown>>();

  constructor(opts: LayerStoreOptions) {
    this.root = join(opts.dataRoot, 'layers');
    this.tmpRoot = join(this.root, 'tmp');
    this.helper = opts.helper ?? defaultUntarPath();
    this.limits = { ...DEFAULT_UNTAR_LIMITS, ...opts.limits };
  }

  private ready(): Promise<void> {
    this.readyPromise ??= (async () => {
      await mkdir(this.tmpRoot, { recursive: true, mode: 0o700 });
      await chmod(this.root, 0o700);
      await chmod(this.tmpRoot, 0o700);
    })();
    return this.readyPromise;
  }

  chainID(parentChainID: Digest | null, diffID: Digest): Digest {
    return chainIDOf(parentChainID, diffID);
  }

  private layerDir(chainID: Digest): string {
    return join(this.root, hexOf(chainID));
  }

  diffDir(chainID: Digest): string {
    return join(this.layerDir(chainID), 'diff');
  }

  async has(chainID: Digest): Promise<boolean> {
    return (await this.get(chainID)) !== undefined;
  }

  async get(chainID: Digest): Promise<LayerInfo | undefined> {
    let raw: string;
    try {
      raw = await readFile(join(this.layerDir(chainID), 'info.json'), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    let info: InfoFile;
    try {
      info = JSON.parse(raw) as InfoFile;
    } catch (err) {
      throw wharfError('STORE_CORRUPT', `layer ${chainID}: info.json is not JSON`, err);
    }
    return { chainID: info.chainID, diffID: info.diffID, parentChainID: info.parentChainID, size: info.size };
  }

  async extract(input: Readable | LayerFile, opts: ExtractOptions): Promise<LayerInfo> {
    await this.ready();
    const parent = opts.parentChainID;
    if (parent !== null && !opts.parentPending && !(await this.has(parent))) {
      discard(input);
      throw wharfError('LAYER_NOT_FOUND', `${parent} (the parent of the layer being extracted)`);
    }
    if (opts.expectedDiffID === undefined) return this.extractNew(input, opts);

    const chainID = this.chainID(parent, opts.expectedDiffID);
    for (;;) {
      const existing = await this.get(chainID);
      if (existing) {
        discard(input);
        return existing;
      }
      const running = this.inflight.get(chainID);
      if (!running) break;
      try {
        const info = await running;
        discard(input);
        return info;
      } catch {
        // That one failed; try again with our own stream.
      }
    }
    const p = this.extractNew(input, opts);
    this.inflight.set(chainID, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(chainID);
    }
  }

  private async extractNew(input: Readable | LayerFile, opts: ExtractOptions): Promise<LayerInfo> {
    const tmp = await mkdtemp(join(this.tmpRoot, 'x-'));
    try {
      const diff = join(tmp, 'diff');
      await mkdir(diff, { mode: 0o755 });
      const res = await untarInto(input, diff, {
        helper: this.helper,
        limits: this.limits,
        compression: opts.compression,
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      if (opts.expectedDiffID !== undefined && res.diffID !== opts.expectedDiffID) {
        throw wharfError('LAYER_DIGEST_MISMATCH', `expected ${opts.expectedDiffID} got ${res.diffID}`);
      }
      const chainID = this.chainID(opts.parentChainID, res.diffID);
      const info: InfoFile = {
        chainID,
        diffID: res.diffID,
        parentChainID: opts.parentChainID,
        size: res.size,
        entries: res.entries,
        created: new Date().toISOString(),
      };
      await writeFileAtomic(join(tmp, 'info.json'), JSON.stringify(info, null, 2) + '\n');
      try {
        await rename(tmp, this.layerDir(chainID));
      } catch (err) {
        if (!isErrno(err, 'ENOTEMPTY') && !isErrno(err, 'EEXIST')) throw err;
        // Someone else stored the same layer first: theirs is as good as ours.
        await rm(tmp, { recursive: true, force: true });
        const existing = await this.get(chainID);
        if (existing) return existing;
        throw err;
      }
      await fsyncPath(this.root);
      return { chainID, diffID: res.diffID, parentChainID: opts.parentChainID, size: res.size };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  tar(chainID: Digest): Readable {
    return tarDirectory(this.diffDir(chainID), { whiteouts: true, helper: this.helper });
  }

  /** Serialises the read-modify-write of one layer's refs file. */
  private async locked<T>(chainID: Digest, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(chainID) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(chainID, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(chainID) === next) this.locks.delete(chainID);
    }
  }

  private async readRefs(chainID: Digest): Promise<number> {
    try {
      const n = Number.parseInt(await readFile(join(this.layerDir(chainID), 'refs'), 'utf8'), 10);
      return Number.isFinite(n) && n > 0 ? n : 0;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }
  }

  /** Current reference count (0 for an unknown layer). */
  refs(chainID: Digest): Promise<number> {
    return this.readRefs(chainID);
  }

  acquire(chainID: Digest): Promise<void> {
    return this.locked(chainID, async () => {
      if (!(await this.has(chainID))) throw wharfError('LAYER_NOT_FOUND', chainID);
      const n = (await this.readRefs(chainID)) + 1;
      await writeFileAtomic(join(this.layerDir(chainID), 'refs'), `${n}\n`);
    });
  }

  release(chainID: Digest): Promise<void> {
    return this.locked(chainID, async () => {
      if (!(await this.has(chainID))) return;
      const n = (await this.readRefs(chainID)) - 1;
      if (n > 0) {
        await writeFileAtomic(join(this.layerDir(chainID), 'refs'), `${n}\n`);
        return;
      }
      await this.remove(chainID);
    });
  }

  setRefs(chainID: Digest, n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) throw wharfError('INVALID_ARGUMENT', `reference count ${n}`);
    return this.locked(chainID, async () => {
      if (!(await this.has(chainID))) {
        if (n > 0) throw wharfError('LAYER_NOT_FOUND', chainID);
        return;
      }
      if (n === 0) {
        await this.remove(chainID);
        return;
      }
      if ((await this.readRefs(chainID)) !== n) {
        await writeFileAtomic(join(this.layerDir(chainID), 'refs'), `${n}\n`);
      }
    });
  }

  private async remove(chainID: Digest): Promise<void> {
    await this.ready();
    const doomed = join(this.tmpRoot, `rm-${hexOf(chainID).slice(0, 12)}-${randomBytes(6).toString('hex')}`);
    await rename(this.layerDir(chainID), doomed);
    await fsyncPath(this.root);
    await rm(doomed, { recursive: true, force: true });
  }

  async list(): Promise<LayerInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const out: LayerInfo[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const info = await this.get(`sha256:${name}`);
      if (info) out.push(info);
    }
    return out;
  }

  async cleanup(): Promise<void> {
    await this.ready();
    for (const name of await readdir(this.tmpRoot)) {
      await rm(join(this.tmpRoot, name), { recursive: true, force: true });
    }
    for (const name of await readdir(this.root)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      for (const f of await readdir(join(this.root, name))) {
        if (f.startsWith('refs.') && f.endsWith('.tmp')) await rm(join(this.root, name, f), { force: true });
      }
    }
  }
}

export function createLayerStore(opts: LayerStoreOptions): OverlayLayerStore {
  return new OverlayLayerStore(opts);
}
