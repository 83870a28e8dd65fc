// Registry credentials and authentication challenges.
//
// AuthStore keeps credentials per registry host ("docker.io",
// "localhost:5000"); FileAuthStore writes them to <data-root>/auth.json
// (mode 0600) in the shape of Docker's config.json "auths" section, so
// `docker login` against Wharf and Wharf's pulls share one file.
import { readFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isErrno, wharfError } from '../errors.js';
import { writeJsonAtomic } from '../runtime/atomic-file.js';
import { DEFAULT_DOMAIN } from './reference.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface AuthStore {
  get(registry: string): Promise<Credentials | undefined>;
  set(registry: string, creds: Credentials): Promise<void>;
  delete(registry: string): Promise<void>;
  list(): Promise<string[]>;
}

/** Docker keys Docker Hub as its v1 index URL; Wharf accepts every spelling. */
export function normalizeRegistryKey(registry: string): string {
  let r = registry.trim().replace(/^https?:\/\//, '');
  r = r.replace(/\/.*$/, '');
  if (r === 'index.docker.io' || r === 'registry-1.docker.io' || r === '') r = DEFAULT_DOMAIN;
  return r.toLowerCase();
}

/** In-memory store (tests, one-shot credentials). */
export class MemoryAuthStore implements AuthStore {
  private readonly m = new Map<string, Credentials>();
  get(registry: string): Promise<Credentials | undefined> {
    return Promise.resolve(this.m.get(normalizeRegistryKey(registry)));
  }
  set(registry: string, creds: Credentials): Promise<void> {
    this.m.set(normalizeRegistryKey(registry), creds);
    return Promise.resolve();
  }
  delete(registry: string): Promise<void> {
    this.m.delete(normalizeRegistryKey(registry));
    return Promise.resolve();
  }
  list(): Promise<string[]> {
    return Promise.resolve([...this.m.keys()]);
  }
}

interface AuthFile {
  auths: Record<string, { auth?: string; username?: string; password?: string }>;
}

export class FileAuthStore implements AuthStore {
  readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dataRoot: string) {
    this.file = join(dataRoot, 'auth.json');
  }

  private async load(): Promise<AuthFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { auths: {} };
      throw err;
    }
    try {
      const doc = JSON.parse(text) as Partial<AuthFile>;
      return { auths: typeof doc.auths === 'object' && doc.auths !== null ? doc.auths : {} };
    } catch (err) {
      throw wharfError('STORE_CORRUPT', `${this.file} is not valid JSON`, err);
    }
  }

  /** Serializes read-modify-write cycles within this process. */
  private update(fn: (f: AuthFile) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const f = await this.load();
      fn(f);
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      await writeJsonAtomic(this.file, f, 0o600);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async get(registry: string): Promise<Credentials | undefined> {
    const want = normalizeRegistryKey(registry);
    const f = await this.load();
    for (const [key, entry] of Object.entries(f.auths)) {
      if (normalizeRegistryKey(key) !== want) continue;
      if (entry.username !== undefined && entry.password !== undefined) {
        return { username: entry.username, password: entry.password };
      }
      if (entry.auth) {
        const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
        const i = plain.indexOf(':');
        if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
      }
    }
    return undefined;
  }

  set(registry: string, creds: Credentials): Promise<void> {
    const key = normalizeRegistryKey(registry);
    return this.update((f) => {
      for (const k of Object.keys(f.auths)) if (normalizeRegistryKey(k) === key) delete f.auths[k];
      f.auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
    });
  }

  delete(registry: string): Promise<void> {
    const key = normalizeRegistryKey(registry);
    return this.update((f) => {
      for (const k of Object.keys(f.auths)) if (normalizeRegistryKey(k) === key) delete f.auths[k];
    });
  }

  async list(): Promise<string[]> {
    return Object.keys((await this.load()).auths).map(normalizeRegistryKey);
  }
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses WWW-Authenticate (RFC 7235): one or more challenges, each a scheme
 * followed by comma-separated auth-params with token or quoted-string values.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < n) {
    skipWs();
    while (i < n && text[i] === ',') {
      i++;
      skipWs();
    }
    const scheme = token();
    if (!scheme) break;
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      skipWs();
      const save = i;
      const key = token();
      skipWs();
      if (!key || text[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      ch.params[key.toLowerCase()] = value;
      skipWs();
      if (text[i] === ',') {
        i++;
        // A new challenge starts when the next item is "scheme token" rather than "key=".
        skipWs();
        const peekStart = i;
        token();
        skipWs();
        const isParam = text[i] === '=';
        i = peekStart;
        if (!isParam) break;
      } else {
        break;
      }
    }
  }
  return out;
}
