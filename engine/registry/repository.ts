// One repository on one registry, with the scopes a pull or push needs.
// Every request goes through request(), which answers 401 challenges (token or
// basic) once and keeps the Authorization for the following requests.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isWharfError, wharfError } from '../errors.js';
import type { Digest } from '../images/index.js';
import { isDigest, sha256Digest } from '../images/content-store.js';
import { parseChallenges, type Challenge } from './auth.js';
import {
  registryErrorText,
  responseHeader,
  type Endpoint,
  type HttpResponse,
  type RegistryClient,
} from './client.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_SIZE } from './manifest.js';
import { familiarName, type Reference } from './reference.js';

export type Action = 'pull' | 'push';

export interface FetchedManifest {
  bytes: Buffer;
  contentType: string | undefined;
  /** The digest the caller asked for, or the registry's Docker-Content-Digest (verified) for a tag. */
  digest: Digest;
}

export class Repository {
  private base: string | undefined;
  private authHeader: string | undefined;
  private challenges: Challenge[] | undefined;
  private readonly scopes: string[];

  constructor(
    readonly client: RegistryClient,
    readonly ref: Pick<Reference, 'domain' | 'path'>,
    readonly endpoint: Endpoint,
    actions: Action[],
  ) {
    this.scopes = [`repository:${ref.path}:${actions.join(',')}`];
  }

  get name(): string {
    return this.ref.path;
  }

  /** Adds a scope (cross-repository mount needs pull on the source) and drops the cached token. */
  addScope(scope: string): void {
    if (this.scopes.includes(scope)) return;
    this.scopes.push(scope);
    this.authHeader = undefined;
  }

  async baseURL(signal?: AbortSignal): Promise<string> {
    this.base ??= await this.client.baseURL(this.endpoint, signal);
    return this.base;
  }

  /**
   * Sends a request under /v2/<name>/ (or an absolute upload URL). Bodies
   * that are streams can't be replayed, so callers make sure auth is settled
   * first (uploads start with a POST).
   */
  async request(
    method: Dispatcher.HttpMethod,
    pathOrURL: string,
    opts: { headers?: Record<string, string>; body?: Buffer | string | Readable; signal?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    const base = await this.baseURL(opts.signal);
    const url = /^https?:\/\//.test(pathOrURL) ? pathOrURL : new URL(pathOrURL, base).href;
    const origin = new URL(base).origin;
    if (!this.authHeader && this.challenges) {
      this.authHeader = await this.client.authorize(this.endpoint, this.challenges, this.scopes, opts.signal);
    }
    const send = (authHeader: string | undefined): Promise<HttpResponse> =>
      this.client.send(method, url, {
        headers: opts.headers,
        body: opts.body,
        authHeader,
        authOrigin: origin,
        signal: opts.signal,
      });
    // Compare with the header this request carried: parallel requests may
    // have refreshed this.authHeader meanwhile.
    const used = this.authHeader;
    let res = await send(used);
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers['www-authenticate']);
    await res.body.dump();
    const replayable = opts.body === undefined || typeof opts.body === 'string' || Buffer.isBuffer(opts.body);
    this.challenges = challenges;
    const fresh = await this.client.authorize(this.endpoint, challenges, this.scopes, opts.signal);
    this.authHeader = fresh;
    if (fresh && fresh !== used && replayable) {
      res = await send(fresh);
      if (res.status !== 401) return res;
      await res.body.dump();
    }
    const creds = this.client.auth ? await this.client.auth.get(this.endpoint.registry) : undefined;
    throw wharfError(
      'REGISTRY_UNAUTHORIZED',
      creds
        ? `${this.endpoint.registry}: access to ${this.ref.path} denied for user ${creds.username}`
        : `pull access denied for ${familiarName({ domain: this.ref.domain, path: this.ref.path })}, repository does not exist or may require 'docker login'`,
    );
  }

  private async fail(res: HttpResponse, what: string): Promise<never> {
    const text = await registryErrorText(res);
    if (res.status === 401 || res.status === 403) {
      throw wharfError('REGISTRY_UNAUTHORIZED', `${this.endpoint.registry}: ${what}: ${text}`);
    }
    throw wharfError('REGISTRY_ERROR', `${what}: ${this.endpoint.registry} answered ${res.status} (${text})`);
  }

  /** GET a manifest by tag or digest, bounded to MAX_MANIFEST_SIZE and verified against its digest. */
  async getManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${this.name}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      signal,
    });
    if (res.status === 404) {
      await res.body.dump();
      throw wharfError('MANIFEST_UNKNOWN', `${familiarName(this.ref)}:${reference}`);
    }
    if (res.status !== 200) await this.fail(res, `fetching manifest ${reference}`);
    const length = Number(responseHeader(res.headers, 'content-length') ?? NaN);
    if (length > MAX_MANIFEST_SIZE) {
      res.body.destroy();
      throw wharfError(
        'MANIFEST_INVALID',
        `manifest is ${length} bytes, over the ${MAX_MANIFEST_SIZE} byte limit`,
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > MAX_MANIFEST_SIZE) {
          res.body.destroy();
          throw wharfError('MANIFEST_INVALID', `manifest is over the ${MAX_MANIFEST_SIZE} byte limit`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (isWharfError(err)) throw err;
      throw wharfError(
        'MANIFEST_INVALID',
        `manifest download was cut short (${(err as Error).message})`,
        err,
      );
    }
    const bytes = Buffer.concat(chunks);
    if (Number.isFinite(length) && length !== bytes.length) {
      throw wharfError('MANIFEST_INVALID', `manifest is truncated: got ${bytes.length} of ${length} bytes`);
    }
    const got = sha256Digest(bytes);
    let digest: Digest;
    if (isDigest(reference)) {
      if (got !== reference) {
        throw wharfError('DIGEST_MISMATCH', `manifest ${reference} has digest ${got}`);
      }
      digest = reference;
    } else {
      const claimed = responseHeader(res.headers, 'docker-content-digest');
      if (claimed && claimed.startsWith('sha256:') && claimed !== got) {
        throw wharfError(
          'DIGEST_MISMATCH',
          `manifest ${reference}: registry says ${claimed}, content has ${got}`,
        );
      }
      digest = got;
    }
    return { bytes, contentType: responseHeader(res.headers, 'content-type'), digest };
  }

  /** GET a blob; redirects to storage are followed without credentials. Caller consumes the body. */
  async getBlob(digest: Digest, signal?: AbortSignal): Promise<HttpResponse> {
    const res = await this.request('GET', `/v2/${this.name}/blobs/${digest}`, { signal });
    if (res.status === 200) return res;
    if (res.status === 404) {
      await res.body.dump();
      throw wharfError(
        'REGISTRY_ERROR',
        `blob ${digest} is unknown to ${this.endpoint.registry}/${this.name}`,
      );
    }
    return this.fail(res, `fetching blob ${digest}`);
  }

  /** Size of a blob the repository has, or undefined. */
  async headBlob(digest: Digest, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${this.name}/blobs/${digest}`, { signal });
    await res.body.dump();
    if (res.status === 200) return Number(responseHeader(res.headers, 'content-length') ?? 0);
    if (res.status === 404) return undefined;
    return this.fail(res, `checking blob ${digest}`);
  }

  /** Tries a cross-repository mount; on refusal returns the upload URL the registry opened instead. */
  async mountBlob(
    digest: Digest,
    from: string,
    signal?: AbortSignal,
  ): Promise<{ mounted: true } | { mounted: false; location: string }> {
    this.addScope(`repository:${from}:pull`);
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request('POST', `/v2/${this.name}/blobs/uploads/?${q.toString()}`, {
      headers: { 'content-length': '0' },
      body: '',
      signal,
    });
    await res.body.dump();
    if (res.status === 201) return { mounted: true };
    if (res.status === 202) return { mounted: false, location: this.location(res) };
    return this.fail(res, `mounting blob ${digest} from ${from}`);
  }

  async startUpload(signal?: AbortSignal): Promise<string> {
    const res = await this.request('POST', `/v2/${this.name}/blobs/uploads/`, {
      headers: { 'content-length': '0' },
      body: '',
      signal,
    });
    if (res.status !== 202) return this.fail(res, 'starting a blob upload');
    await res.body.dump();
    return this.location(res);
  }

  private location(res: HttpResponse): string {
    const loc = responseHeader(res.headers, 'location');
    if (!loc)
      throw wharfError('REGISTRY_ERROR', `${this.endpoint.registry} opened an upload without a Location`);
    return new URL(loc, res.url).href;
  }

  /** Monolithic upload: PUT <location>?digest= with the whole blob. */
  async putBlob(
    location: string,
    digest: Digest,
    body: Readable | Buffer,
    size: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', u.href, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      signal,
    });
    if (res.status !== 201) return this.fail(res, `uploading blob ${digest}`);
    await res.body.dump();
  }

  /** Chunked upload: PATCH each chunk with Content-Range, then PUT ?digest= to close. */
  async patchBlob(
    location: string,
    digest: Digest,
    chunks: AsyncIterable<Buffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    let loc = location;
    let offset = 0;
    for await (const chunk of chunks) {
      const res = await this.request('PATCH', loc, {
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(chunk.length),
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        signal,
      });
      if (res.status !== 202) return this.fail(res, `uploading a chunk of ${digest}`);
      await res.body.dump();
      loc = this.location(res);
      offset += chunk.length;
    }
    const u = new URL(loc);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', u.href, { headers: { 'content-length': '0' }, body: '', signal });
    if (res.status !== 201) return this.fail(res, `closing the upload of ${digest}`);
    await res.body.dump();
  }

  async putManifest(
    reference: string,
    bytes: Buffer,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<Digest> {
    const res = await this.request('PUT', `/v2/${this.name}/manifests/${reference}`, {
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      signal,
    });
    if (res.status !== 201 && res.status !== 200)
      return this.fail(res, `uploading the manifest for ${reference}`);
    await res.body.dump();
    return sha256Digest(bytes);
  }
}
