// Issue 5, Settings: sign in to a registry with htpasswd auth — wrong
// password first (Docker's error text is shown), then the right one (the
// registry is listed with its username, never its password); the engine's
// data root and insecure registries are shown as /info reports them; sign
// out; the theme selector switches to dark and the choice survives a reload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  haveRegistryTools,
  startRegistry,
  writeHtpasswd,
  type RunningRegistry,
} from '../engine/registry/testing.js';
import { skipReason, startHarness, type Harness } from './utils/harness.js';

const reason = skipReason() ?? haveRegistryTools();
if (reason) console.log(`# skipping settings e2e: ${reason}`);

describe('settings: registries, engine settings, theme', { skip: reason }, () => {
  let h: Harness;
  let reg: RunningRegistry;
  let work: string;
  let failed = false;
  const user = `u${Math.random().toString(36).slice(2, 8)}`;
  const password = `p-${Math.random().toString(36).slice(2, 10)}`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'wharf-e2e-settings-'));
    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswd(htpasswd, { [user]: password });
    reg = await startRegistry({ htpasswd });
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('settings', failed);
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('signs in with wrong then right credentials, signs out, switches theme', async () => {
    try {
      const page = h.page;
      await page.click('[data-nav=settings]');
      await page.waitForSelector('h1:text("Settings")');

      // Engine settings as /info reports them.
      await page.locator('[data-testid=data-root]').filter({ hasText: h.daemon.dataRoot }).waitFor();
      assert.match(await page.locator('[data-testid=insecure-registries]').innerText(), /127\.0\.0\.0\/8/);

      const form = page.getByRole('form', { name: 'Sign in to a registry' });
      await form.getByLabel('Registry').fill(reg.host);
      await form.getByLabel('Username').fill(user);
      await form.getByLabel('Password').fill('wrong-password');
      await form.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.locator('.registries [role=alert]');
      await alert.waitFor({ timeout: 15_000 });
      assert.match(await alert.innerText(), /login attempt to http:\/\/.*\/v2\/ failed with status: 401/i);
      const list = page.getByRole('list', { name: 'Signed-in registries' });
      assert.doesNotMatch(await list.innerText(), new RegExp(reg.host.replace(/\./g, '\\.')));
      await h.shot('11-settings-login-failed');

      await form.getByLabel('Password').fill(password);
      await form.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.registries [role=status]').filter({ hasText: 'Login Succeeded' }).waitFor();
      assert.equal(await alert.count(), 0);
      const entry = list.locator('li', { hasText: reg.host });
      await entry.waitFor();
      assert.match(await entry.innerText(), new RegExp(`as ${user}`));
      assert.doesNotMatch(await page.content(), new RegExp(password));
      // The engine stored them (its auth.json), as `docker login` would have.
      const stored = JSON.parse(readFileSync(join(h.daemon.dataRoot, 'auth.json'), 'utf8')) as {
        auths: Record<string, unknown>;
      };
      assert.ok(stored.auths[reg.host], 'credentials stored in <data-root>/auth.json');
      await h.shot('11-settings-signed-in');

      await entry.getByRole('button', { name: 'Sign out' }).click();
      await entry.waitFor({ state: 'detached' });
      const after = JSON.parse(readFileSync(join(h.daemon.dataRoot, 'auth.json'), 'utf8')) as {
        auths: Record<string, unknown>;
      };
      assert.equal(after.auths[reg.host], undefined);

      // Theme: follows the system (light here) until chosen; the choice persists.
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
      await page.getByRole('radio', { name: 'Dark' }).click();
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      await page.reload();
      await page.waitForSelector('.engine-status .dot.ok', { timeout: 15_000 });
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      await page.click('[data-nav=settings]');
      await page.getByRole('radio', { name: 'Dark', checked: true }).waitFor();
      await h.shot('11-settings-dark');
      await page.getByRole('radio', { name: 'System' }).click();
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
