// Stream plumbing shared by save, load and import: compression detection,
// decompression, a hashing pass-through, a two-way tee with backpressure, and
// one sequential pass over a tar file (plain or gzip) with tar-stream.
//
// tar-stream was chosen over node-tar because it is a pure streaming parser
// and packer: each entry arrives as its own stream and the next header is
// read only after it is consumed, so a layer goes from the archive straight
// into LayerStore.extract with backpressure and no temp file; node-tar's
// strength, writing to and reading from the filesystem, is what layers must
// not do here (extraction is the layer store's confined job).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Compression, Digest } from '../../storage/layers/index.js';
import { decompress } from '../../storage/layers/decompress.js';

export { detectCompression, decompress } from '../../storage/layers/decompress.js';

/** For 'error' listeners on streams whose errors are delivered through another path. */
function ignore(): void {}

/** Hashes and counts what passes through. */
export class Hasher extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private result: Digest | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  get digest(): Digest {
    this.result ??= `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}

/** sha256 and length of a stream's (decompressed, when `c` says so) bytes. */
export async function digestOf(
  input: Readable,
  c: Compression = 'none',
): Promise<{ digest: Digest; size: number }> {
  const h = new Hasher();
  await pipeline(input, decompress(c), h, async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
  return { digest: h.digest, size: h.bytes };
}

/**
 * Feeds `src` to two readers, at the pace of the slower one. An error on the
 * source destroys both branches; a branch its reader destroys early is
 * dropped and the other one goes on (its reader fails the work if it must).
 */
export function tee(src: Readable): [PassThrough, PassThrough] {
  const outs = [new PassThrough(), new PassThrough()] as const;
  for (const o of outs) o.on('error', ignore);
  const blocked = new Set<PassThrough>();
  const live = new Set<PassThrough>(outs);
  const unblock = (o: PassThrough) => {
    if (blocked.delete(o) && blocked.size === 0) src.resume();
  };
  src.on('data', (chunk: Buffer) => {
    for (const o of live) {
      if (!o.write(chunk) && !blocked.has(o)) {
        blocked.add(o);
        o.once('drain', () => unblock(o));
      }
    }
    if (blocked.size > 0) src.pause();
  });
  src.once('end', () => {
    for (const o of live) o.end();
  });
  src.once('error', (err) => {
    for (const o of outs) o.destroy(err);
  });
  for (const o of outs) {
    o.once('close', () => {
      live.delete(o);
      unblock(o);
      if (live.size === 0 && !src.readableEnded) src.destroy();
    });
  }
  return [outs[0], outs[1]];
}

/** Reads a stream to a Buffer, failing past `limit` bytes. */
export async function readAll(input: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of input) {
    n += chunk.length;
    if (n > limit) throw new Error(`more than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** "./a//b/" -> "a/b" (how archive paths compare). */
export function cleanName(name: string): string {
  return name
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

export interface TarEntry {
  name: string;
  size: number;
  type: 'file' | 'symlink' | 'link' | 'other';
  linkname?: string;
  stream: Readable;
}

/**
 * One pass over a tar file, plain or gzip. `visit` gets every entry; what it
 * leaves unread is skipped. A truncated or malformed archive rejects.
 */
export async function scanTar(
  path: string,
  visit: (e: TarEntry) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), decompress(), extract, signal ? { signal } : {});
  const reading = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const type =
        h.type === 'file' || h.type === 'contiguous-file'
          ? 'file'
          : h.type === 'symlink' || h.type === 'link'
            ? h.type
            : 'other';
      const stream = Readable.from(entry, { objectMode: false });
      stream.on('error', ignore);
      const e: TarEntry = { name: cleanName(h.name), size: h.size ?? 0, type, stream };
      if (h.linkname) e.linkname = h.linkname;
      await visit(e);
      // Drain what the visitor left so the next header can be read.
      if (!stream.readableEnded) {
        stream.resume();
        await finished(stream);
      }
    }
  })();
  const [fed, read] = await Promise.allSettled([feeding, reading]);
  if (read.status === 'rejected') throw read.reason;
  if (fed.status === 'rejected') throw fed.reason;
}

/**
 * Passes bytes through and, at the end, fails instead of ending when their
 * digest or count differs, so a reader never sees a clean end of bad content.
 */
export class Verifier extends Transform {
  private readonly hasher = createHash('sha256');
  private bytes = 0;

  constructor(
    private readonly expected: Digest,
    private readonly size: number | undefined,
    private readonly fail: (problem: string) => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.size !== undefined && this.bytes > this.size) {
      cb(this.fail(`more than the ${this.size} bytes stated`));
      return;
    }
    this.hasher.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const got = `sha256:${this.hasher.digest('hex')}`;
    if (this.size !== undefined && this.bytes !== this.size)
      cb(this.fail(`${this.bytes} bytes, ${this.size} stated`));
    else if (got !== this.expected) cb(this.fail(`content has digest ${got}, expected ${this.expected}`));
    else cb();
  }
}

/** Reads the first chunk of `src` and hands back a stream that still starts with it. */
export async function peek(src: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (!first.done) yield first.value;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  const stream = Readable.from(rest(), { objectMode: false });
  stream.on('error', ignore);
  return { head, stream };
}

/** `src` through `t`, as one stream whose errors come out of `t`. */
export function through(src: Readable, t: Transform): Transform {
  pipeline(src, t).catch(() => undefined);
  // Errors reach whoever reads `t` (and the pipeline above); no crash when nobody does yet.
  t.on('error', ignore);
  return t;
}
