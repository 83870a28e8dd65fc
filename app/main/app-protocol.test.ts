import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_URL, appHandler, fileFor, isAppUrl } from './app-protocol.js';

const root = mkdtempSync(join(tmpdir(), 'wharf-app-protocol-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html>');
writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {}');
writeFileSync(join(root, '..', 'wharf-app-protocol-secret'), 'no');
after(() => rmSync(join(root, '..', 'wharf-app-protocol-secret'), { force: true }));

test('maps wharf://app/ URLs into the root and nowhere else', () => {
  assert.equal(fileFor(root, 'wharf://app/'), join(root, 'index.html'));
  assert.equal(fileFor(root, 'wharf://app/assets/index-abc.js?x=1'), join(root, 'assets/index-abc.js'));
  // The URL parser drops dot segments (also %2e%2e) itself: this names a file inside the root.
  assert.equal(
    fileFor(root, 'wharf://app/../wharf-app-protocol-secret'),
    join(root, 'wharf-app-protocol-secret'),
  );
  assert.equal(fileFor(root, 'wharf://app/..%2fwharf-app-protocol-secret'), undefined);
  assert.equal(fileFor(root, 'wharf://other/index.html'), undefined);
  assert.equal(fileFor(root, 'file:///etc/passwd'), undefined);
  assert.equal(fileFor(root, 'wharf://app/%E0%A4%A'), undefined);
});

test('serves files with the CSP and a type; 404 otherwise', async () => {
  const h = appHandler(root, "default-src 'self'");
  const ok = await h(new Request(APP_URL));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-security-policy'), "default-src 'self'");
  assert.equal(ok.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await ok.text(), '<!doctype html>');
  const js = await h(new Request('wharf://app/assets/index-abc.js'));
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await h(new Request('wharf://app/missing.js'))).status, 404);
  assert.equal((await h(new Request('wharf://app/..%2fwharf-app-protocol-secret'))).status, 404);
});

test('isAppUrl', () => {
  assert.ok(isAppUrl(APP_URL));
  assert.ok(!isAppUrl('wharf://app'));
  assert.ok(!isAppUrl('wharf://app.evil/'));
  assert.ok(!isAppUrl('https://example.com/'));
  assert.ok(!isAppUrl(undefined));
});
