// Web mode (`wharf serve`'s UI half): the built renderer over HTTP on
// 127.0.0.1, and the same typed bridge carried over HTTP (invokes) and
// WebSockets (one for events, one per stream). A random token is required:
// no token, 401.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_CHANNEL_LIST, THEME_COOKIE } from '../shared/ipc.js';
import { createBackend, describeError, type Backend } from '../main/backend/index.js';
import { authorized, COOKIE, cookieOf, originOk } from './auth.js';
import { csp, serveStatic } from './static.js';
import { loadFirstPage, serveIndex } from './index-page.js';

export interface WebUiOptions {
  /** Docker API socket of the engine to drive (the embedded engine's). */
  dockerSocket: string;
  port?: number;
  host?: '127.0.0.1' | 'localhost' | '::1';
  /** Built renderer; default app/renderer/dist. */
  staticDir?: string;
  /** Fixed token (tests); default 32 random bytes. */
  token?: string;
  log?: (msg: string) => void;
}

export interface WebUi {
  url: string;
  token: string;
  close(): Promise<void>;
}

const DEFAULT_STATIC = fileURLToPath(new URL('../renderer/dist', import.meta.url));
const MAX_BODY = 4 * 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
}

export async function startWebUi(opts: WebUiOptions): Promise<WebUi> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const staticDir = opts.staticDir ?? DEFAULT_STATIC;
  const backend: Backend = createBackend({
    endpoints: [{ id: 'embedded', name: 'Wharf (embedded)', kind: 'embedded', address: opts.dockerSocket }],
    ...(opts.log ? { log: opts.log } : {}),
  });
  let self = '';
  let wsSelf = '';
  void loadFirstPage(opts.log); // loaded (and compiled) before the first page load needs it

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: describeError(err) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', self);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    if (!authorized(req, url, token)) {
      res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('Unauthorized: open the URL with its ?token=.\n');
      return;
    }
    // A page load: fetch the container list now (already on the ?token=
    // request, before its redirect); the page carries it (index-page.ts).
    const page = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html');
    if (page) backend.prefetch();
    if (url.searchParams.has('token')) {
      // Trade the query token for a cookie and drop it from the address bar.
      res.setHeader(
        'set-cookie',
        `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      );
      url.searchParams.delete('token');
      res.writeHead(303, { location: url.pathname + url.search }).end();
      return;
    }
    if (url.pathname === '/api/invoke') {
      if (req.method !== 'POST' || !originOk(req, self)) {
        send(res, 405, { ok: false, error: { message: 'POST from this page only' } });
        return;
      }
      let body: { channel?: unknown; args?: unknown };
      try {
        body = (await readJson(req)) as { channel?: unknown; args?: unknown };
      } catch {
        send(res, 400, { ok: false, error: { message: 'bad request body' } });
        return;
      }
      try {
        const value = await backend.invoke(String(body.channel), Array.isArray(body.args) ? body.args : []);
        send(res, 200, { ok: true, value: value ?? null });
      } catch (err) {
        send(res, 200, { ok: false, error: describeError(err) });
      }
      return;
    }
    res.setHeader('content-security-policy', csp(wsSelf));
    if (page) {
      const theme = cookieOf(req, THEME_COOKIE);
      await serveIndex(staticDir, res, backend.snapshot(), {
        ...(theme === 'light' || theme === 'dark' ? { theme } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
    } else await serveStatic(staticDir, url.pathname, res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', self);
    if (!authorized(req, url, token) || !originOk(req, self)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname !== '/api/events' && url.pathname !== '/api/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (url.pathname === '/api/events') onEvents(ws);
      else onStream(ws, url);
    });
  });

  function onEvents(ws: WebSocket): void {
    const offs = EVENT_CHANNEL_LIST.map((ch) =>
      backend.on(ch, (payload) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ channel: ch, payload }));
      }),
    );
    // Subscribed: a snapshot taken at this generation missed nothing (ipc.ts).
    ws.send(JSON.stringify({ hello: { gen: backend.generation() } }));
    ws.on('close', () => offs.forEach((o) => o()));
    ws.on('error', () => {});
  }

  function onStream(ws: WebSocket, url: URL): void {
    let args: unknown;
    try {
      args = JSON.parse(url.searchParams.get('args') ?? '{}');
    } catch {
      ws.close(1008, 'bad args');
      return;
    }
    let stream;
    try {
      stream = backend.open(url.searchParams.get('kind') ?? '', args, {
        send(batch) {
          if (ws.readyState !== ws.OPEN) return;
          if (batch.length > 0 && batch.every((b) => b instanceof Uint8Array)) {
            ws.send(Buffer.concat(batch as Uint8Array[]), { binary: true });
          } else {
            ws.send(JSON.stringify({ t: 'data', batch }));
          }
        },
        end(error) {
          if (ws.readyState === ws.OPEN) {
            ws.send(JSON.stringify({ t: 'end', ...(error ? { error } : {}) }));
            ws.close(1000);
          }
        },
      });
    } catch (err) {
      ws.send(JSON.stringify({ t: 'end', error: describeError(err).message }));
      ws.close(1008);
      return;
    }
    const s = stream;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: { t?: string; msg?: unknown };
      try {
        m = JSON.parse(String(data)) as { t?: string; msg?: unknown };
      } catch {
        return;
      }
      if (m.t === 'ack') s.ack();
      else if (m.t === 'up') s.receive(m.msg);
      else if (m.t === 'close') s.close();
    });
    ws.on('close', () => s.close());
    ws.on('error', () => s.close());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  self = `http://${h}:${addr.port}`;
  wsSelf = `ws://${h}:${addr.port}`;
  return {
    url: `${self}/?token=${token}`,
    token,
    async close() {
      backend.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
