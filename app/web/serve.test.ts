// `wharf serve` as a process: the printed URL carries the token (none: 401),
// the page is served with it, the same engine answers the docker CLI on its
// socket, and SIGTERM leaves the containers running.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { skipReason, startTestDaemon, uniqueName, type TestDaemon } from '../../engine/api/testing.js';

const skip = skipReason();
if (skip) process.stdout.write(`# skipping wharf serve tests: ${skip}\n`);
const DIST = fileURLToPath(new URL('../renderer/dist/index.html', import.meta.url));

let d: TestDaemon;
before(async () => {
  if (!skip) d = await startTestDaemon('serve', { serve: true });
});
after(async () => {
  await d?.cleanup();
});

test('prints a 127.0.0.1 URL with a token; no token, 401; with it, the page', { skip }, async (t) => {
  const url = new URL(d.uiUrl);
  assert.equal(url.hostname, '127.0.0.1');
  assert.ok(Number(url.port) > 0);
  assert.ok((url.searchParams.get('token') ?? '').length >= 32);
  for (const path of ['/', '/index.html', '/api/invoke']) {
    const r = await fetch(url.origin + path);
    assert.equal(r.status, 401, path);
  }
  assert.equal((await fetch(`${url.origin}/?token=nope`)).status, 401);
  const r = await fetch(url, { redirect: 'manual' });
  assert.equal(r.status, 303);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await fetch(`${url.origin}/`, { headers: { cookie } });
  if (!existsSync(DIST)) {
    t.diagnostic('app/renderer/dist not built (npm run build:ui): page content not checked');
    assert.notEqual(page.status, 401);
    return;
  }
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  // The bridge reaches the engine through the same socket the docker CLI uses.
  const inv = await fetch(`${url.origin}/api/invoke`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', origin: url.origin },
    body: JSON.stringify({ channel: 'containers/list', args: [] }),
  });
  assert.equal(inv.status, 200);
  assert.equal(((await inv.json()) as { ok: boolean }).ok, true);
});

test('the docker CLI works against the engine socket of wharf serve', { skip }, () => {
  const out = d.dockerOk(['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(out.trim(), '1.50');
});

test('SIGTERM stops serve and leaves containers running', { skip }, async () => {
  const name = uniqueName('srv');
  d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
  const pid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim());
  assert.ok(pid > 0);
  const oldUrl = d.uiUrl;
  await d.stop();
  assert.equal(d.child.exitCode, 0, d.logs());
  assert.ok(existsSync(`/proc/${pid}`), 'the container died with wharf serve');
  await d.start();
  assert.notEqual(d.uiUrl, oldUrl, 'a new token after a restart');
  assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Running}}', name]).trim(), 'true');
  assert.equal((await fetch(new URL(d.uiUrl).origin + '/')).status, 401);
});
