// Issue 5, "What must be shown" 7: stop and remove from the UI, singly and
// in bulk; the list follows the engine's events (including changes made
// behind the UI's back, through the API).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startHarness, type Harness } from './utils/harness.js';
import { ContainersPage } from './pages/ContainersPage.js';

const reason = skipReason();
if (reason) console.log(`# skipping lifecycle e2e: ${reason}`);

describe('container lifecycle from the list', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('lifecycle', failed);
  });

  async function runDetached(name: string, labels: Record<string, string> = {}): Promise<string> {
    const c = await h.api<{ Id: string }>('POST', `/containers/create?name=${name}`, {
      Image: 'busybox:latest',
      Cmd: ['sleep', '3600'],
      Labels: labels,
    });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    assert.equal((await h.api('POST', `/containers/${name}/start`)).status, 204);
    return c.json.Id;
  }

  async function state(name: string): Promise<string | undefined> {
    const r = await h.api<{ State: { Status: string } }>('GET', `/containers/${name}/json`);
    return r.status === 404 ? undefined : r.json.State.Status;
  }

  test('stop and remove one container, then several in bulk', async () => {
    try {
      const list = new ContainersPage(h.page);
      const single = h.name('one');
      const bulk = [h.name('web'), h.name('db'), h.name('cache')];
      await runDetached(single);
      for (const n of bulk) await runDetached(n, { 'com.docker.compose.project': 'shop' });
      // Events bring containers created behind the UI's back into the list.
      for (const n of [single, ...bulk]) await list.waitState(n, 'running');
      const heads = await h.page.locator('.group-head').allInnerTexts();
      assert.ok(
        heads.some((t) => /^shop\s*3$/i.test(t.trim())),
        `grouped by compose project: ${JSON.stringify(heads)}`,
      );
      await h.shot('07-containers-grouped');

      await list.action(single, 'Stop');
      await list.waitState(single, 'exited', 30_000);
      assert.equal(await state(single), 'exited');
      await list.action(single, 'Remove');
      await list.waitGone(single);
      assert.equal(await state(single), undefined);

      for (const n of bulk.slice(0, 2)) await list.select(n);
      await h.shot('07-bulk-selection');
      await list.bulk('stop');
      for (const n of bulk.slice(0, 2)) await list.waitState(n, 'exited', 30_000);
      assert.equal(await state(bulk[2]!), 'running', 'only the selected ones stopped');
      for (const n of bulk) await list.select(n);
      await list.bulk('remove');
      for (const n of bulk) await list.waitGone(n, 30_000);
      for (const n of bulk) assert.equal(await state(n), undefined);

      // Removed behind the UI's back: the list follows the destroy event.
      const outside = h.name('outside');
      await runDetached(outside);
      await list.waitState(outside, 'running');
      assert.equal((await h.api('DELETE', `/containers/${outside}?force=1`)).status, 204);
      await list.waitGone(outside);
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
