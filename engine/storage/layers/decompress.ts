// Decompression of layer blobs, detected from the magic bytes, as streams so
// a layer goes from the network to disk without a temporary tar file.
//
// gzip: node:zlib (multi-member streams included). zstd: zstd-napi, Node-API
// bindings over the reference libzstd with a streaming Transform
// (DecompressStream) that honours backpressure; @mongodb-js/zstd only offers
// whole-buffer calls and fzstd is pure JS (several times slower), and Node 20
// has no zstd in zlib.
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { createRequire } from 'node:module';
import type { Compression } from './index.js';

// zstd-napi (a native module) is loaded on the first zstd layer, not with the daemon.
type Zstd = typeof import('zstd-napi');
let zstd: Zstd | undefined;
function loadZstd(): Zstd {
  zstd ??= createRequire(import.meta.url)('zstd-napi') as Zstd;
  return zstd;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export function detectCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

function decompressor(kind: Exclude<Compression, 'none'>): Transform {
  return kind === 'gzip' ? createGunzip() : new (loadZstd().DecompressStream)();
}

/**
 * A pipeline stage: yields the uncompressed bytes of `source`. With
 * `compression` omitted the format is detected from the first bytes.
 */
export function decompress(compression?: Compression) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = source[Symbol.asyncIterator]();
    let head: Buffer = Buffer.alloc(0);
    let done = false;
    while (head.length < 4) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
    }
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    const kind = compression ?? detectCompression(head);
    if (kind === 'none') {
      yield* rest();
      return;
    }
    const d = decompressor(kind);
    // Errors reach us through the iteration below; this keeps the AbortError
    // of an early stop (destroy on return) from going uncaught.
    d.on('error', () => undefined);
    const feeding = pipeline(rest, d);
    // A failure of the source or the decompressor surfaces through `d`.
    feeding.catch(() => undefined);
    for await (const chunk of d) yield chunk as Buffer;
    await feeding;
  };
}
