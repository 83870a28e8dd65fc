// Web mode's HTTP side: the token gate (401 without it; a cookie after
// ?token=), the static UI under a CSP, unknown channels refused, and engine
// failures answered as readable messages. The engine here is a socket path
// where nothing listens; the UI against a real engine is covered in e2e/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebUi, type WebUi } from './server.js';

let ui: WebUi;
let dir: string;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-webui-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Wharf</title>');
  ui = await startWebUi({ dockerSocket: join(dir, 'nothing.sock'), staticDir: dir });
  base = new URL(ui.url).origin;
});
after(async () => {
  await ui.close();
  rmSync(dir, { recursive: true, force: true });
});

test('listens on 127.0.0.1 and prints a URL with a random token', () => {
  const u = new URL(ui.url);
  assert.equal(u.hostname, '127.0.0.1');
  assert.ok((u.searchParams.get('token') ?? '').length >= 32);
});

test('no token, no access', async () => {
  for (const path of ['/', '/index.html', '/assets/x.js']) {
    const r = await fetch(base + path);
    assert.equal(r.status, 401, path);
  }
  const bad = await fetch(`${base}/?token=wrong`);
  assert.equal(bad.status, 401);
  const post = await fetch(`${base}/api/invoke`, { method: 'POST', body: '{}' });
  assert.equal(post.status, 401);
});

test('the token becomes a same-site HttpOnly cookie; the UI comes with a CSP', async () => {
  const r = await fetch(ui.url, { redirect: 'manual' });
  assert.equal(r.status, 303);
  const cookie = r.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Wharf/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
});

test('invokes: unknown channels are refused, engine failures come back in words', async () => {
  const call = async (channel: string): Promise<{ ok: boolean; error?: { message: string } }> => {
    const r = await fetch(`${base}/api/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ui.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, args: [] }),
    });
    assert.equal(r.status, 200);
    return (await r.json()) as { ok: boolean; error?: { message: string } };
  };
  const unknown = await call('fs/readFile');
  assert.equal(unknown.ok, false);
  assert.match(unknown.error!.message, /unknown channel/i);
  const down = await call('containers/list');
  assert.equal(down.ok, false);
  assert.match(down.error!.message, /not reachable/);
});
