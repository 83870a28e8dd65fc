// Serves the built renderer (app/renderer/dist) with a strict CSP.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { contentTypeOf } from '../main/content-types.js';

export function csp(wsOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  let file = join(root, rel || 'index.html');
  if (!file.startsWith(root + sep) && file !== root) {
    res.writeHead(404).end();
    return;
  }
  let st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    file = join(file, 'index.html');
    st = await stat(file).catch(() => undefined);
  }
  if (!st) {
    // Single-page app: unknown paths without an extension get index.html.
    if (extname(rel) === '') {
      file = join(root, 'index.html');
      st = await stat(file).catch(() => undefined);
    }
    if (!st) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(
          rel === '' || rel === 'index.html'
            ? 'The UI is not built: run `npm run build:ui`.\n'
            : 'Not found\n',
        );
      return;
    }
  }
  const hashed = /-[A-Za-z0-9_-]{8,}\.(js|css)$/.test(file);
  res.writeHead(200, {
    'content-type': contentTypeOf(file),
    'content-length': st.size,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}
