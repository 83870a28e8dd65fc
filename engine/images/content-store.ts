// Content store: blobs by sha256 digest under <data-root>/blobs/sha256/<hex>.
//
// Lifecycle of a write: bytes stream into blobs/tmp/<random> while being
// hashed; on end the digest (and size, when given) is compared with the
// expected one, the file is fsynced and renamed to its final name, and the
// directory is fsynced. Any failure removes the temp file. A crash leaves only
// blobs/tmp/* behind, which cleanup() removes on the next start.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isErrno, wharfError } from '../errors.js';
import type { ContentStore, Digest } from './index.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function hexOf(digest: Digest): string {
  if (!isDigest(digest)) throw wharfError('INVALID_ARGUMENT', `not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}

/**
 * A pass-through that hashes every byte and, at the end, fails the stream
 * instead of ending it when the digest (or size) differs. Whatever reads from
 * it therefore never sees a clean end-of-stream for unverified content.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly expected: Digest,
    private readonly size?: number,
    private readonly what: string = expected,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.size !== undefined && this.bytes > this.size) {
      cb(wharfError('DIGEST_MISMATCH', `${this.what}: more than the expected ${this.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const got = `sha256:${this.hash.digest('hex')}`;
    if (this.size !== undefined && this.bytes !== this.size) {
      cb(wharfError('DIGEST_MISMATCH', `${this.what}: got ${this.bytes} bytes, expected ${this.size}`));
    } else if (got !== this.expected) {
      cb(wharfError('DIGEST_MISMATCH', `${this.what}: content has digest ${got}, expected ${this.expected}`));
    } else {
      cb();
    }
  }
}

export class FileContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly tmpDir: string;

  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'blobs');
    this.blobDir = join(this.root, 'sha256');
    this.tmpDir = join(this.root, 'tmp');
  }

  /** Creates the directories and removes what a crash left behind. */
  static async open(dataRoot: string): Promise<FileContentStore> {
    const store = new FileContentStore(dataRoot);
    await mkdir(store.blobDir, { recursive: true, mode: 0o700 });
    await mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
    await store.cleanup();
    return store;
  }

  path(digest: Digest): string {
    return join(this.blobDir, hexOf(digest));
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async size(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.path(digest))).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  read(digest: Digest): Readable {
    // Big reads: layer blobs go through gunzip, which is several times faster fed 1 MiB at a time.
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  async readBuffer(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw wharfError('IMAGE_NOT_FOUND', `blob ${digest}`, err);
      throw err;
    }
  }

  async ingest(
    input: Readable,
    expected: Digest,
    opts: { size?: number; signal?: AbortSignal; verified?: boolean } = {},
  ): Promise<void> {
    const final = this.path(expected);
    const tmp = this.tempPath();
    // An error before pipeline() is attached below still reaches it (as the
    // stream's stored error); this only keeps it from going uncaught meanwhile.
    input.on('error', () => undefined);
    try {
      await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
      const file = createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 });
      const popts = opts.signal ? { signal: opts.signal } : {};
      if (opts.verified) await pipeline(input, file, popts);
      else await pipeline(input, new VerifyingStream(expected, opts.size), file, popts);
      await this.commit(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async put(data: Buffer): Promise<Digest> {
    const digest = sha256Digest(data);
    if (await this.has(digest)) return digest;
    const tmp = this.tempPath();
    try {
      await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
      await this.commit(tmp, this.path(digest));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return digest;
  }

  async add(input: Readable, opts: { signal?: AbortSignal } = {}): Promise<{ digest: Digest; size: number }> {
    const tmp = this.tempPath();
    input.on('error', () => undefined); // see ingest()
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
      await pipeline(
        input,
        hasher,
        createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
        opts.signal ? { signal: opts.signal } : {},
      );
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      await this.commit(tmp, this.path(digest));
      return { digest, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * A temp path in blobs/tmp for a writer that computes the digest itself
   * (push of a layer compressed on the fly); hand it to adopt() when done.
   */
  tempPath(): string {
    return join(this.tmpDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
  }

  /** Moves a finished temp file (see tempPath) to its digest, verifying it first. */
  async adopt(tmp: string, digest: Digest): Promise<void> {
    try {
      await pipeline(createReadStream(tmp), new VerifyingStream(digest));
      await this.commit(tmp, this.path(digest));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobDir).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    });
    return names.map((n) => `sha256:${n}` as const).filter(isDigest);
  }

  async cleanup(): Promise<void> {
    const names = await readdir(this.tmpDir).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    });
    await Promise.all(names.map((n) => rm(join(this.tmpDir, n), { force: true, recursive: true })));
  }

  private async commit(tmp: string, final: string): Promise<void> {
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    const dh = await open(this.blobDir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
