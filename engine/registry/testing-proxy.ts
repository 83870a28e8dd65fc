// Test fixture: a plain HTTP proxy on 127.0.0.1 in front of a test registry
// that counts blob GETs per digest (what was really downloaded) and can
// slow chosen blobs down (to hold a download open while a test acts).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { Digest } from '../images/index.js';

export interface RegistryProxy {
  /** "127.0.0.1:port": use it as the registry host of a reference. */
  host: string;
  /** Blob GETs per digest so far. */
  gets: Map<Digest, number>;
  /** Blobs served at about `bytesPerSecond` from now on (0 = full speed again). */
  throttle(digest: Digest, bytesPerSecond: number): void;
  close(): Promise<void>;
}

/** Passes bytes on in 16 KiB pieces at about `rate` bytes per second. */
class Pace extends Transform {
  constructor(private readonly rate: () => number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const send = (off: number): void => {
      if (off >= chunk.length || this.destroyed) {
        cb();
        return;
      }
      const piece = chunk.subarray(off, off + 16384);
      this.push(piece);
      const r = this.rate();
      if (r > 0) setTimeout(() => send(off + piece.length), (piece.length / r) * 1000);
      else send(off + piece.length);
    };
    send(0);
  }
}

export async function startRegistryProxy(target: string): Promise<RegistryProxy> {
  const gets = new Map<Digest, number>();
  const rates = new Map<Digest, number>();
  const [hostname, port] = target.split(':');
  const server: Server = createServer((req, res) => {
    const m = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '');
    const digest = m?.[1] as Digest | undefined;
    if (req.method === 'GET' && digest) gets.set(digest, (gets.get(digest) ?? 0) + 1);
    const up = request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const paced = digest && req.method === 'GET' && (rates.get(digest) ?? 0) > 0;
        if (paced) upRes.pipe(new Pace(() => rates.get(digest) ?? 0)).pipe(res);
        else upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${addr.port}`,
    gets,
    throttle: (digest, bytesPerSecond) => {
      rates.set(digest, bytesPerSecond);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
