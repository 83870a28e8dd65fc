// HTTP side of the OCI distribution spec: endpoints, TLS policy, auth and
// redirects. Built on undici's request() rather than fetch(): bodies are Node
// Readables that go straight into pipeline() without WHATWG stream adapters,
// redirects are never followed implicitly (we follow them by hand so that
// credentials never leave the registry's origin), and TLS options are set per
// dispatcher (insecure registries) instead of process-wide.
//
// Policy, as Docker's:
//  - TLS always, except for registries the user configured as insecure and
//    for localhost / 127.0.0.0/8 / ::1, which try https and fall back to http.
//  - docker.io goes to registry-1.docker.io, after any configured mirrors.
//  - Bearer tokens come from the realm in the WWW-Authenticate challenge, per
//    repository scope, cached until they expire; basic auth when asked for.
//  - Authorization is dropped on a redirect to another origin (blob storage).
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';

// undici is loaded on the first registry request: it is ~20 MB of the
// daemon's RSS, and a daemon that never pulls never needs it.
type Undici = typeof import('undici');
let undici: Undici | undefined;
async function loadUndici(): Promise<Undici> {
  undici ??= await import('undici');
  return undici;
}
import { isWharfError, wharfError } from '../errors.js';
import { normalizeRegistryKey, type AuthStore, type Challenge, type Credentials } from './auth.js';
import { DEFAULT_DOMAIN } from './reference.js';

export interface RegistryClientOptions {
  auth?: AuthStore;
  /** Registries (host[:port] or CIDR) that may be reached over plain HTTP / unverified TLS. */
  insecureRegistries?: string[];
  /** Pull-through mirrors for docker.io ("https://mirror.example.com"). */
  mirrors?: string[];
  userAgent?: string;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | Buffer;
}

export interface Endpoint {
  /** "https://registry-1.docker.io" */
  url: string;
  /** The registry host as users name it ("docker.io", "localhost:5000"): the credentials key. */
  registry: string;
  insecure: boolean;
  mirror: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(): Promise<void>; text(): Promise<string> };
  url: string;
}

interface Token {
  header: string;
  expiresAt: number;
}

const MAX_REDIRECTS = 10;
const TOKEN_MIN_TTL_S = 60;

function header(h: HttpResponse['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export { header as responseHeader };

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (!net || bitsText === undefined || isIP(net) !== 4 || isIP(ip) !== 4) return false;
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

function hostOnly(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(1, hostport.indexOf(']'));
  const i = hostport.lastIndexOf(':');
  return i >= 0 && hostport.indexOf(':') === i ? hostport.slice(0, i) : hostport;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const code = (err as NodeJS.ErrnoException).code;
    return `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}${cause}`;
  }
  return String(err);
}

export class RegistryClient implements AsyncDisposable {
  readonly auth: AuthStore | undefined;
  private readonly insecure: string[];
  private readonly mirrors: string[];
  private readonly userAgent: string;
  private readonly ca: string | Buffer | undefined;
  private secureAgent: Agent | undefined;
  private insecureAgent: Agent | undefined;
  private readonly tokens = new Map<string, Token>();
  /** host -> "https" | "http" once an insecure-allowed host answered. */
  private readonly schemeFor = new Map<string, 'https' | 'http'>();

  constructor(opts: RegistryClientOptions = {}) {
    this.auth = opts.auth;
    this.insecure = (opts.insecureRegistries ?? []).map((r) => r.toLowerCase());
    this.mirrors = opts.mirrors ?? [];
    this.userAgent = opts.userAgent ?? 'wharf/0.1';
    this.ca = opts.ca;
  }

  async close(): Promise<void> {
    await Promise.all([this.secureAgent?.close(), this.insecureAgent?.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Docker's rule: configured insecure registries, localhost and 127.0.0.0/8 (and ::1). */
  isInsecure(hostport: string): boolean {
    const hp = hostport.toLowerCase();
    const host = hostOnly(hp);
    if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
    for (const r of this.insecure) {
      if (r === hp || r === host) return true;
      if (r.includes('/') && inCidr(host, r)) return true;
    }
    return false;
  }

  /** Endpoints to try for a registry, mirrors first for docker.io. */
  endpoints(registry: string): Endpoint[] {
    if (registry === DEFAULT_DOMAIN) {
      const mirrors = this.mirrors.map((m) => {
        const u = new URL(m.includes('://') ? m : `https://${m}`);
        return {
          url: u.origin,
          registry: DEFAULT_DOMAIN,
          insecure: u.protocol === 'http:' || this.isInsecure(u.host),
          mirror: true,
        };
      });
      return [...mirrors, { url: 'https://registry-1.docker.io', registry, insecure: false, mirror: false }];
    }
    return [{ url: `https://${registry}`, registry, insecure: this.isInsecure(registry), mirror: false }];
  }

  private agentFor(u: Undici, url: URL): Dispatcher {
    const tuning = { keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 120_000 };
    if (url.protocol === 'https:' && this.isInsecure(url.host)) {
      this.insecureAgent ??= new u.Agent({ ...tuning, connect: { rejectUnauthorized: false } });
      return this.insecureAgent;
    }
    this.secureAgent ??= new u.Agent({ ...tuning, connect: this.ca ? { ca: this.ca } : {} });
    return this.secureAgent;
  }

  /**
   * One HTTP exchange with redirects followed by hand. Authorization goes only
   * to `authOrigin`; a redirect to http is refused unless that host is insecure.
   */
  async send(
    method: Dispatcher.HttpMethod,
    target: string,
    opts: {
      headers?: Record<string, string>;
      body?: Buffer | Readable | string;
      authHeader?: string;
      authOrigin?: string;
      signal?: AbortSignal;
      followRedirects?: boolean;
    } = {},
  ): Promise<HttpResponse> {
    let url = new URL(target);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...(opts.headers ?? {}) };
      if (opts.authHeader && url.origin === (opts.authOrigin ?? url.origin))
        headers.authorization = opts.authHeader;
      let res: Dispatcher.ResponseData;
      try {
        const u = await loadUndici();
        res = await u.request(url, {
          method,
          headers,
          body: hop === 0 ? opts.body : undefined,
          dispatcher: this.agentFor(u, url),
          signal: opts.signal,
        });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        throw wharfError('REGISTRY_UNREACHABLE', `${method} ${url.origin}: ${describe(err)}`, err);
      }
      const redirect = [301, 302, 303, 307, 308].includes(res.statusCode);
      const location = header(res.headers, 'location');
      if (!redirect || !location || opts.followRedirects === false) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url: url.href };
      }
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) throw wharfError('REGISTRY_ERROR', `too many redirects from ${target}`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw wharfError('REGISTRY_ERROR', `refusing redirect to ${next.protocol} URL`);
      }
      if (next.protocol === 'http:' && url.protocol === 'https:' && !this.isInsecure(next.host)) {
        throw wharfError('REGISTRY_ERROR', `refusing redirect from https to plain http (${next.origin})`);
      }
      url = next;
    }
  }

  /** Picks https or http for an endpoint (http only when insecure and https fails). */
  async baseURL(ep: Endpoint, signal?: AbortSignal): Promise<string> {
    const u = new URL(ep.url);
    if (!ep.insecure) return ep.url;
    const known = this.schemeFor.get(u.host);
    if (known) return `${known}://${u.host}`;
    if (u.protocol === 'http:') {
      this.schemeFor.set(u.host, 'http');
      return ep.url;
    }
    try {
      const res = await this.send('GET', `https://${u.host}/v2/`, { signal });
      await res.body.dump();
      this.schemeFor.set(u.host, 'https');
    } catch (err) {
      if (signal?.aborted) throw err;
      this.schemeFor.set(u.host, 'http');
    }
    return `${this.schemeFor.get(u.host)}://${u.host}`;
  }

  private tokenKey(registry: string, challenge: Challenge, scopes: string[], creds?: Credentials): string {
    return JSON.stringify([
      registry,
      challenge.params.realm,
      challenge.params.service,
      scopes,
      creds?.username,
    ]);
  }

  cachedAuth(
    registry: string,
    challenge: Challenge,
    scopes: string[],
    creds?: Credentials,
  ): string | undefined {
    const t = this.tokens.get(this.tokenKey(registry, challenge, scopes, creds));
    return t && t.expiresAt > Date.now() ? t.header : undefined;
  }

  /** Answers a 401 challenge: a bearer token from the realm, or basic credentials. */
  async authorize(
    ep: Endpoint,
    challenges: Challenge[],
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const creds = this.auth ? await this.auth.get(normalizeRegistryKey(ep.registry)) : undefined;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const cached = this.cachedAuth(ep.registry, bearer, scopes, creds);
      if (cached) return cached;
      return this.fetchToken(ep, bearer, scopes, creds, signal);
    }
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (basic && creds) {
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    return undefined;
  }

  private async fetchToken(
    ep: Endpoint,
    challenge: Challenge,
    scopes: string[],
    creds: Credentials | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const realmText = challenge.params.realm;
    if (!realmText)
      throw wharfError('REGISTRY_ERROR', `${ep.registry} sent a bearer challenge without a realm`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch (err) {
      throw wharfError('REGISTRY_ERROR', `${ep.registry} sent an invalid token realm ${realmText}`, err);
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.isInsecure(realm.host))) {
      throw wharfError(
        'REGISTRY_ERROR',
        `token realm ${realm.origin} of ${ep.registry} must use https (plain http only for insecure registries)`,
      );
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    for (const s of scopes) realm.searchParams.append('scope', s);
    const authHeader = creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      : undefined;
    const res = await this.send('GET', realm.href, { authHeader, authOrigin: realm.origin, signal });
    const text = await res.body.text();
    if (res.status === 401 || res.status === 403) {
      throw wharfError(
        'REGISTRY_UNAUTHORIZED',
        creds
          ? `${ep.registry}: incorrect username or password`
          : `${ep.registry}: the token server refused anonymous access`,
      );
    }
    if (res.status !== 200) {
      throw wharfError(
        'REGISTRY_ERROR',
        `token server ${realm.origin} answered ${res.status}: ${text.slice(0, 200)}`,
      );
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (err) {
      throw wharfError('REGISTRY_ERROR', `token server ${realm.origin} sent invalid JSON`, err);
    }
    const token =
      typeof doc.token === 'string' && doc.token
        ? doc.token
        : typeof doc.access_token === 'string'
          ? doc.access_token
          : '';
    if (!token) throw wharfError('REGISTRY_ERROR', `token server ${realm.origin} sent no token`);
    const ttl = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : TOKEN_MIN_TTL_S;
    const issued = typeof doc.issued_at === 'string' ? Date.parse(doc.issued_at) : NaN;
    const start = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    const headerValue = `Bearer ${token}`;
    // Renew a little early so a token never expires mid-request.
    this.tokens.set(this.tokenKey(ep.registry, challenge, scopes, creds), {
      header: headerValue,
      expiresAt: start + Math.max(ttl - 10, 1) * 1000,
    });
    return headerValue;
  }
}

/** Reads a registry error body ({"errors":[{code,message}]}) into one line. */
export async function registryErrorText(res: HttpResponse): Promise<string> {
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    return `HTTP ${res.status}`;
  }
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return `${(first.code ?? '').toLowerCase()}: ${first.message ?? ''}`.replace(/^: /, '');
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

export function isRetriableNetworkError(err: unknown): boolean {
  return (
    isWharfError(err, 'REGISTRY_UNREACHABLE') ||
    (undici !== undefined &&
      (err instanceof undici.errors.SocketError || err instanceof undici.errors.BodyTimeoutError))
  );
}
