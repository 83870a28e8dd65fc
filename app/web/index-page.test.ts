// The page web mode serves (index-page.ts): the head goes out before the
// container list is in, the list is inlined as data no container name can
// break out of, the stylesheet is inlined, a slow engine does not hold the
// page, and (when `npm run build:ui` has built it) the first page is
// rendered on the server with the list's rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SNAPSHOT_ELEMENT_ID, type ContainerSnapshot } from '../shared/ipc.js';
import { jsonForScript, serveIndex, type IndexOptions } from './index-page.js';

const INDEX = `<!doctype html>
<html lang="en">
  <head>
    <title>Wharf</title>
    <script type="module" crossorigin src="./assets/index-abcdefgh.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-abcdefgh.css">
  </head>
  <body>
    <div id="root"></div>
  </body>
</html>
`;
const CSS = '.row{color:red}';
const HOSTILE = '</script><script>alert(1)</script><!--';

let dir: string;
let server: Server;
let base: string;
/** What the next request is served with. */
let next: { snapshot: Promise<ContainerSnapshot>; opts: IndexOptions };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-index-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets/index-abcdefgh.css'), CSS);
  server = createServer((_req, res) => void serveIndex(dir, res, next.snapshot, next.opts));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function snapshot(names: string[]): ContainerSnapshot {
  return {
    gen: 7,
    containers: names.map((name, i) => ({
      id: `${i}`.padStart(64, 'a'),
      name,
      image: 'busybox:latest',
      created: 1_700_000_000 + i,
      state: 'exited',
      status: 'Exited (0) 1 minute ago',
      ports: [],
    })),
  };
}

/** The page's chunks, each with the time it arrived (ms after the request). */
function get(): Promise<{ status: number; chunks: { at: number; text: string }[]; body: string }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    request(base, (res) => {
      const chunks: { at: number; text: string }[] = [];
      res.setEncoding('utf8');
      res.on('data', (text: string) => chunks.push({ at: Date.now() - t0, text }));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, chunks, body: chunks.map((c) => c.text).join('') }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function inlined(body: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${SNAPSHOT_ELEMENT_ID}">(.*?)</script>`).exec(
    body,
  );
  return m ? (JSON.parse(m[1]!) as unknown) : undefined;
}

test('no container name can end the data script early; the data reads back the same', () => {
  const snap = snapshot([HOSTILE]);
  const text = jsonForScript(snap);
  assert.ok(!text.includes('<'), text);
  assert.deepEqual(JSON.parse(text), snap);
});

test('the head goes out before the list is in; the list follows, inlined', async () => {
  let resolve!: (s: ContainerSnapshot) => void;
  const snap = snapshot(['first', HOSTILE]);
  next = { snapshot: new Promise((r) => (resolve = r)), opts: { waitMs: 5000 } };
  const page = get();
  setTimeout(() => resolve(snap), 300);
  const { status, chunks, body } = await page;
  assert.equal(status, 200);
  const head = chunks[0]!;
  assert.ok(head.at < 250, `the head came at ${head.at} ms, before the list`);
  assert.match(head.text, /<script type="module"[^>]*src="\.\/assets\/index-abcdefgh\.js"/);
  assert.deepEqual(inlined(body), snap);
  // Only the data script and the module script: the hostile name stays inside JSON.
  assert.equal(body.match(/<script/g)?.length, 2);
  assert.ok(body.trimEnd().endsWith('</html>'));
});

test('the stylesheet is inlined; an explicit theme is set on <html>', async () => {
  next = { snapshot: Promise.resolve(snapshot([])), opts: { theme: 'dark' } };
  const { body } = await get();
  assert.ok(body.includes(`<style>${CSS}</style>`), body);
  assert.ok(!body.includes('rel="stylesheet"'));
  assert.match(body, /<html data-theme="dark" lang="en">/);
});

test('an engine that does not answer does not hold the page', async () => {
  next = { snapshot: new Promise<ContainerSnapshot>(() => {}), opts: { waitMs: 200 } };
  const t0 = Date.now();
  const { status, body } = await get();
  assert.equal(status, 200);
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(inlined(body), undefined);
  assert.match(body, /<div id="root"><\/div>/);
});

test('a failed list: the page without it (the renderer asks itself)', async () => {
  const failed = Promise.reject(new Error('engine down'));
  failed.catch(() => {}); // rejected before the request comes
  next = { snapshot: failed, opts: {} };
  const { status, body } = await get();
  assert.equal(status, 200);
  assert.equal(inlined(body), undefined);
});

const ssrBuilt = existsSync(fileURLToPath(new URL('./dist/ssr.js', import.meta.url)));
test(
  'the first page is rendered on the server with the rows (escaped)',
  { skip: ssrBuilt ? false : 'app/web/dist/ssr.js is not built (npm run build:ui)' },
  async () => {
    next = { snapshot: Promise.resolve(snapshot(['web-1', 'db-2', HOSTILE])), opts: {} };
    const { body } = await get();
    const root = body.slice(body.indexOf('<div id="root">'), body.indexOf(`<script type="application/json"`));
    for (const name of ['web-1', 'db-2'])
      assert.match(root, new RegExp(`data-testid="container-row"[^>]*data-name="${name}"`));
    assert.ok(!root.includes(HOSTILE), 'names are escaped in the markup');
    assert.match(root.replace(/<!-- -->/g, ''), /3 total/);
  },
);
