// The Docker Engine API server: node:http over unix sockets (or anything
// node:net listens on). Strips /v1.NN/, negotiates the version (newer clients
// are served as 1.50), routes, and makes sure no request can take the
// process down: every handler runs inside a catch that answers Docker's JSON
// error, and stream errors on a socket only end that socket.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  API_VERSION,
  COMMON_HEADERS,
  HttpReply,
  MIN_API_VERSION,
  RawReply,
  httpBody,
  rawBody,
  type Reply,
  type RequestCtx,
} from './http.js';
import { ApiError } from './errors.js';
import type { Router } from './router.js';
import { trace } from '../util/trace.js';

export interface ApiServerOptions {
  router: Router;
  /** Called for unexpected (5xx) failures. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

const SWARM_PREFIXES = ['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs'];

interface Parsed {
  path: string;
  version: number;
  query: URLSearchParams;
}

function parseUrl(raw: string | undefined): Parsed {
  const url = new URL(raw ?? '/', 'http://localhost');
  let path = url.pathname.replace(/\/{2,}/g, '/');
  let version = Number(API_VERSION);
  const m = /^\/v(\d+)\.(\d+)(\/.*)?$/.exec(path);
  if (m) {
    version = Number(`${m[1]}.${m[2]}`);
    path = m[3] ?? '/';
    if (version < Number(MIN_API_VERSION)) {
      throw new ApiError(
        400,
        `client version ${m[1]}.${m[2]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      );
    }
    version = Math.min(version, Number(API_VERSION));
  }
  return { path, version, query: url.searchParams };
}

export class ApiServer {
  readonly http: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: ApiServerOptions) {
    this.http = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
    this.http.on('request', (req, res) => void this.onRequest(req, res));
    this.http.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void this.onUpgrade(req, socket, head),
    );
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    req.on('error', () => ac.abort());
    res.on('error', () => ac.abort());
    const reply = new HttpReply(req, res, ac.signal);
    await this.dispatch(req, reply, ac.signal, httpBody(req));
  }

  private async onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const reply = new RawReply(socket, head, req.headers);
    await this.dispatch(req, reply, reply.signal, rawBody(reply));
  }

  private async dispatch(
    req: IncomingMessage,
    reply: Reply,
    signal: AbortSignal,
    body: { json<T>(): Promise<T | undefined>; body(): import('node:stream').Readable },
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const started = Date.now();
    trace(`api> ${method} ${req.url}`);
    try {
      const { path, version, query } = parseUrl(req.url);
      const match = this.opts.router.match(method, path);
      if (match === undefined || match === 'method') {
        if (SWARM_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) {
          throw new ApiError(503, 'This node is not part of a swarm');
        }
        throw new ApiError(404, `page not found`);
      }
      const ctx: RequestCtx = {
        method,
        path,
        version,
        params: match.params,
        query,
        headers: req.headers,
        reply,
        signal,
        json: body.json,
        body: body.body,
      };
      await match.handler(ctx);
      if (!reply.sent) reply.empty(204);
      trace(`api< ${method} ${req.url}`);
      this.opts.log?.('debug', `${method} ${req.url} ${Date.now() - started} ms`);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : ((err as { status?: number }).status ?? 500);
      if (status >= 500)
        this.opts.log?.('error', `${method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      else this.opts.log?.('debug', `${method} ${req.url}: ${(err as Error).message}`);
      try {
        reply.error(err);
      } catch {
        // the connection is gone
      }
    }
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(path, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
  }

  /** Stops accepting, ends every open connection (streams included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.http.closeAllConnections();
    await closed;
  }
}
