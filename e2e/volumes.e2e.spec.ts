// Issue 5, Volumes: create a volume in the UI, run a container with it from
// the Run dialog, see which container uses it, be told why removing it fails
// while in use, then remove it once the container is gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { skipReason, startHarness, waitFor, type Harness } from './utils/harness.js';
import { RunDialog } from './pages/RunDialog.js';

const reason = skipReason();
if (reason) console.log(`# skipping volumes e2e: ${reason}`);

describe('volumes', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('volumes', failed);
  });

  test('create a volume, use it from a container, see who uses it, remove it', async () => {
    try {
      const vol = h.name('vol');
      const name = h.name('user');
      const row = h.page.locator(`[data-testid=volume-row][data-name="${vol}"]`);

      await h.page.click('[data-nav=volumes]');
      await h.page.fill('input[name=volume-name]', vol);
      await h.page.fill('input[name=volume-labels]', 'team=e2e');
      await h.page.click('[data-testid=create-volume]');
      await row.waitFor();
      assert.match(await row.innerText(), /Not used by any container/);
      assert.match(await row.innerText(), /team=e2e/);

      const run = new RunDialog(h.page);
      await run.open();
      await run.fill({ image: 'busybox:latest', name, command: 'sh -c "echo hi > /data/f; sleep 600"' });
      await h.page.fill('textarea[name=volumes]', `${vol}:/data`);
      await run.submit();
      // The dialog opens the new container's detail once it runs.
      await h.page.waitForSelector('[data-state=running]', {
        timeout: 15_000,
      });

      await h.page.click('[data-nav=volumes]');
      const user = row.locator('[data-testid=volume-user]');
      await user.waitFor();
      assert.match(await user.innerText(), new RegExp(`${name} → /data`));
      const info = await h.api<{ Mountpoint: string }>('GET', `/volumes/${vol}`);
      assert.equal(info.status, 200);
      await waitFor(
        async () => {
          try {
            return readFileSync(`${info.json.Mountpoint}/f`, 'utf8') === 'hi\n' ? true : undefined;
          } catch {
            return undefined;
          }
        },
        'the container wrote into the volume',
        10_000,
      );
      await h.shot('10-volumes');

      // In use: the row says so, in words naming the container.
      await row.getByRole('button', { name: 'Remove' }).click();
      const note = row.locator('[role=alert]');
      await note.waitFor();
      assert.match(await note.innerText(), new RegExp(`in use by ${name}`));
      await h.shot('10-volume-in-use');

      assert.equal((await h.api('DELETE', `/containers/${name}?force=1`)).status, 204);
      await waitFor(
        async () => ((await row.innerText()).includes('Not used by any container') ? true : undefined),
        'the volume row to follow the container removal',
        10_000,
      );
      await row.getByRole('button', { name: 'Remove' }).click();
      await row.waitFor({ state: 'detached' });
      assert.equal((await h.api('GET', `/volumes/${vol}`)).status, 404);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
