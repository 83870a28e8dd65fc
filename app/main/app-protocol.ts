// The renderer is served from wharf://app/ (a privileged custom scheme), not
// file://: the page gets its own origin with no reach into the file system,
// and every response carries the content security policy as a header (a
// file:// page has no response headers to put it in).
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { contentTypeOf } from './content-types.js';

export const APP_SCHEME = 'wharf';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Is this URL one of the app's own pages (for IPC sender checks)? */
export function isAppUrl(url: string | undefined): boolean {
  return typeof url === 'string' && url.startsWith(`${APP_ORIGIN}/`);
}

/** The file under `root` a wharf://app/ URL names, or undefined (other hosts, escapes). */
export function fileFor(root: string, url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== 'app') return undefined;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
  return file.startsWith(root + sep) ? file : undefined;
}

/** The protocol handler: files of `root` with the CSP; 404 for anything else. */
export function appHandler(root: string, csp: string): (req: Request) => Promise<Response> {
  const base = resolve(root);
  return async (req) => {
    const file = fileFor(base, req.url);
    if (!file || req.method !== 'GET') return new Response('Not found', { status: 404 });
    try {
      return new Response(await readFile(file), {
        headers: {
          'content-type': contentTypeOf(file),
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  };
}
