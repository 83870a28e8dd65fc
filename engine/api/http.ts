// One request as the handlers see it, over either a normal node:http
// response or a raw socket (Node's `upgrade` event: Docker's hijack with
// `Upgrade: tcp`). Handlers answer through `Reply` and never touch the
// transport, so attach and exec start work the same over both:
//
//   reply.json / reply.empty     a complete answer
//   reply.stream(type)           headers flushed now, then a body of any length
//   reply.hijack(type)           101 UPGRADED (upgrade) or 200 (plain): raw
//                                output plus the client's input, half-closable
//
// Every response carries Docker's headers (Api-Version, Ostype, Server,
// Docker-Experimental). Errors thrown before anything was sent become
// Docker's JSON error answer (errors.ts).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { badRequest, errorResponse } from './errors.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';
export const SERVER_NAME = 'Wharf/0.1.0 (linux)';
/** JSON request bodies larger than this are refused (400). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

export const COMMON_HEADERS: Record<string, string> = {
  'Api-Version': API_VERSION,
  Ostype: 'linux',
  Server: SERVER_NAME,
  'Docker-Experimental': 'false',
};

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MUX_STREAM = 'application/vnd.docker.multiplexed-stream';

/** The streams of a hijacked connection. */
export interface Hijacked {
  /** Raw bytes to the client. */
  readonly output: Writable;
  /** The client's bytes after the request body; ends on the client's half-close. */
  readonly input: Readable;
  /** Ends the connection after queued output was written. */
  end(): void;
  /** Aborted when the client went away. */
  readonly signal: AbortSignal;
}

export interface Reply {
  readonly sent: boolean;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  empty(status: number, headers?: Record<string, string>): void;
  text(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string>): void;
  /** Flushes the headers at once; write the body to the returned stream and end it. */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  hijack(contentType: string): Hijacked;
  error(err: unknown): void;
}

export interface RequestCtx {
  readonly method: string;
  /** The path without the /v1.NN prefix. */
  readonly path: string;
  /** Negotiated API version as a number (1.24 … 1.50). */
  readonly version: number;
  params: string[];
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly reply: Reply;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
  /** The JSON body, undefined when empty. 400 on invalid JSON or a body over MAX_JSON_BODY. */
  json<T>(): Promise<T | undefined>;
  /** The raw body as a stream (archive PUT, image load). */
  body(): Readable;
}

function statusText(status: number): string {
  const t: Record<number, string> = {
    101: 'UPGRADED',
    200: 'OK',
    201: 'Created',
    204: 'No Content',
    304: 'Not Modified',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    503: 'Service Unavailable',
  };
  return t[status] ?? 'Unknown';
}

function readLimited(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        // Answer now; the rest of the body is read and dropped (resetting the
        // connection would lose the answer).
        stream.off('data', onData);
        stream.resume();
        reject(badRequest(`request body is too large (limit ${limit} bytes)`));
        return;
      }
      chunks.push(c);
    };
    stream.on('data', onData);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function parseJson<T>(buf: Buffer): T | undefined {
  const text = buf.toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

/** Reads exactly n bytes (or fewer at EOF) from a paused stream, unshifting the rest. */
async function readExactly(s: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const c = s.read() as Buffer | null;
    if (c === null) {
      if (s.readableEnded || s.destroyed) break;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          s.off('readable', done);
          s.off('end', done);
          s.off('close', done);
          resolve();
        };
        s.on('readable', done);
        s.on('end', done);
        s.on('close', done);
      });
      continue;
    }
    if (got + c.length > n) {
      chunks.push(c.subarray(0, n - got));
      s.unshift(c.subarray(n - got));
      got = n;
    } else {
      chunks.push(c);
      got += c.length;
    }
  }
  return Buffer.concat(chunks);
}

// ---- over a node:http response ------------------------------------------

export class HttpReply implements Reply {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly abort: AbortSignal,
  ) {}

  get sent(): boolean {
    return this.res.headersSent;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const data = Buffer.from(JSON.stringify(body) + '\n');
    this.res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': data.length,
    });
    this.res.end(data);
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, headers);
    this.res.end();
  }

  text(
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    this.res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length });
    this.res.end(this.req.method === 'HEAD' ? undefined : data);
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.res.writeHead(status, { ...headers, 'Content-Type': contentType });
    this.res.flushHeaders();
    return this.res;
  }

  hijack(contentType: string): Hijacked {
    this.res.writeHead(200, { 'Content-Type': contentType });
    this.res.flushHeaders();
    const res = this.res;
    return {
      output: res,
      input: this.req,
      end: () => res.end(),
      signal: this.abort,
    };
  }

  error(err: unknown): void {
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const { status, message } = errorResponse(err);
    if (status === 304) return this.empty(304);
    this.json(status, { message });
  }
}

export function httpBody(req: IncomingMessage): { json<T>(): Promise<T | undefined>; body(): Readable } {
  return {
    json: async <T>() => parseJson<T>(await readLimited(req, MAX_JSON_BODY)),
    body: () => req,
  };
}

// ---- over a raw socket (the `upgrade` event) -----------------------------

export class RawReply implements Reply {
  private done = false;
  readonly input: PassThrough;
  private readonly controller = new AbortController();
  private bodyRead: Promise<Buffer> | undefined;

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    private readonly headers: IncomingHttpHeaders,
  ) {
    this.input = new PassThrough();
    if (head.length) this.input.write(head);
    socket.pipe(this.input);
    socket.on('error', () => this.controller.abort());
    socket.on('close', () => this.controller.abort());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get sent(): boolean {
    return this.done;
  }

  /** The request body: Content-Length bytes from the start of the input. */
  readBody(): Promise<Buffer> {
    const n = Number(this.headers['content-length'] ?? 0);
    if (!Number.isFinite(n) || n <= 0) return Promise.resolve(Buffer.alloc(0));
    if (n > MAX_JSON_BODY) return Promise.reject(badRequest('request body is too large'));
    this.bodyRead ??= readExactly(this.input, n);
    return this.bodyRead;
  }

  private head(status: number, headers: Record<string, string | number>): string {
    const all: Record<string, string | number> = { ...COMMON_HEADERS, ...headers };
    let s = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
    for (const [k, v] of Object.entries(all)) s += `${k}: ${v}\r\n`;
    return s + '\r\n';
  }

  private finish(status: number, headers: Record<string, string | number>, body?: Buffer): void {
    this.done = true;
    this.socket.write(
      this.head(status, { ...headers, 'Content-Length': body?.length ?? 0, Connection: 'close' }),
    );
    if (body) this.socket.end(body);
    else this.socket.end();
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.finish(
      status,
      { ...headers, 'Content-Type': 'application/json' },
      Buffer.from(JSON.stringify(body) + '\n'),
    );
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.finish(status, headers);
  }

  text(
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    this.finish(status, { ...headers, 'Content-Type': contentType }, Buffer.from(body));
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.done = true;
    this.socket.write(this.head(status, { ...headers, 'Content-Type': contentType, Connection: 'close' }));
    return this.socket;
  }

  hijack(contentType: string): Hijacked {
    this.done = true;
    this.socket.write(this.head(101, { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }));
    const socket = this.socket;
    return {
      output: socket,
      input: this.input,
      end: () => socket.end(),
      signal: this.controller.signal,
    };
  }

  error(err: unknown): void {
    if (this.done) {
      this.socket.destroy();
      return;
    }
    const { status, message } = errorResponse(err);
    this.json(status, { message });
  }
}

export function rawBody(reply: RawReply): { json<T>(): Promise<T | undefined>; body(): Readable } {
  return {
    json: async <T>() => parseJson<T>(await reply.readBody()),
    body: () => reply.input,
  };
}
