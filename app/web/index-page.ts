// The page itself (index.html), with the first container list in it twice:
// as data (ipc.ts, SNAPSHOT_ELEMENT_ID: the renderer's first list, no round
// trip) and rendered (app/renderer/src/ssr.tsx: the rows show as soon as the
// HTML and the styles are in, before the bundle has loaded; the bundle's
// first render replaces them). Everything up to #root is sent at once, so
// the browser fetches the bundle and the styles while the engine lists the
// containers. The bundle is a module script (deferred): it runs once the
// whole page, list included, is in.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SNAPSHOT_ELEMENT_ID, type ContainerSnapshot } from '../shared/ipc.js';

/** Past this the page goes out without the list, and the renderer asks for it itself. */
export const SNAPSHOT_WAIT_MS = 500;

/** The server-side render of the first page (built by `npm run build:ui`). */
interface FirstPage {
  renderFirstPage(snapshot: ContainerSnapshot): string;
}
const SSR_MODULE = new URL('./dist/ssr.js', import.meta.url).href;
let firstPage: Promise<FirstPage | undefined> | undefined;

/** Loads the server-side renderer once; without it (UI not built) pages carry only the data. */
export function loadFirstPage(log?: (msg: string) => void): Promise<FirstPage | undefined> {
  firstPage ??= (import(SSR_MODULE) as Promise<FirstPage>).then(
    (m) => (typeof m.renderFirstPage === 'function' ? m : undefined),
    (err: unknown) => {
      log?.(`no server-side first page (${(err as Error).message}); run \`npm run build:ui\``);
      return undefined;
    },
  );
  return firstPage;
}

const STYLESHEET = /<link rel="stylesheet"[^>]*href="\.\/(assets\/[\w.-]+\.css)"[^>]*>/;

/**
 * The page's stylesheet inline (a <style> instead of the <link>): the first
 * paint then waits for no second request. The CSP allows inline styles.
 */
async function inlineStylesheet(root: string, html: string): Promise<string> {
  const m = STYLESHEET.exec(html);
  if (!m?.[1]) return html;
  let css: string;
  try {
    css = await readFile(join(root, m[1]), 'utf8');
  } catch {
    return html;
  }
  return html.replace(m[0], () => `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`);
}

/** JSON that cannot end its <script> element early (no "<" at all, so no "</script" or "<!--"). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface IndexOptions {
  /** The user's explicit theme (the renderer mirrors it into a cookie), so the first paint has it. */
  theme?: 'light' | 'dark';
  waitMs?: number;
  log?: (msg: string) => void;
}

export async function serveIndex(
  root: string,
  res: ServerResponse,
  snapshot: Promise<ContainerSnapshot>,
  opts: IndexOptions = {},
): Promise<void> {
  // Handled from now on (a failed list is a page without it), whatever is awaited first.
  const list = snapshot.catch(() => undefined);
  let html: string;
  try {
    html = await readFile(join(root, 'index.html'), 'utf8');
  } catch {
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('The UI is not built: run `npm run build:ui`.\n');
    return;
  }
  html = await inlineStylesheet(root, html);
  if (opts.theme) html = html.replace(/<html(?=[\s>])/, `<html data-theme="${opts.theme}"`);
  const ROOT = '<div id="root">';
  const atRoot = html.indexOf(ROOT);
  const atBody = html.lastIndexOf('</body>');
  const headEnd = atRoot >= 0 ? atRoot + ROOT.length : atBody >= 0 ? atBody : html.length;
  const bodyEnd = atBody >= headEnd ? atBody : html.length;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    // The list in it is of this moment.
    'cache-control': 'no-store',
  });
  res.write(html.slice(0, headEnd));
  const renderer = loadFirstPage(opts.log);
  const snap = await within(list, opts.waitMs ?? SNAPSHOT_WAIT_MS);
  let rendered = '';
  if (snap && atRoot >= 0) {
    try {
      rendered = (await renderer)?.renderFirstPage(snap) ?? '';
    } catch (err) {
      opts.log?.(`server-side first page failed: ${(err as Error).message}`);
    }
  }
  res.write(rendered + html.slice(headEnd, bodyEnd));
  if (snap) {
    res.write(`<script type="application/json" id="${SNAPSHOT_ELEMENT_ID}">${jsonForScript(snap)}</script>`);
  }
  res.end(html.slice(bodyEnd));
}
