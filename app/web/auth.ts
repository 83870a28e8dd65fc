// Token check for web mode: the token comes as ?token= once (then a
// same-site, HttpOnly cookie) or as "Authorization: Bearer <token>".
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'wharf_token';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A cookie's value, or undefined. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === name && v) {
      try {
        return decodeURIComponent(v);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return cookieOf(req, COOKIE);
}

export function authorized(req: IncomingMessage, url: URL, token: string): boolean {
  const t = tokenOf(req, url);
  return t !== undefined && same(t, token);
}

/** Browsers send Origin on WebSocket and POST: it must be this server. */
export function originOk(req: IncomingMessage, self: string): boolean {
  const o = req.headers.origin;
  return o === undefined || o === self;
}
