// Issue 5, "What must be shown" 4: logs of a container printing a line a
// second update live; a 100,000-character line and a flood of output do not
// freeze the page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startHarness, waitFor, type Harness } from './utils/harness.js';
import { ContainersPage } from './pages/ContainersPage.js';
import { DetailPage } from './pages/DetailPage.js';

const reason = skipReason();
if (reason) console.log(`# skipping logs e2e: ${reason}`);

/** The page answers a round trip through its event loop within `ms`. */
async function responsive(h: Harness, ms = 2000): Promise<void> {
  const r = await Promise.race([
    h.page.evaluate(
      () =>
        new Promise<number>((res) =>
          (globalThis as unknown as { requestAnimationFrame(cb: () => void): number }).requestAnimationFrame(
            () => res(1),
          ),
        ),
    ),
    new Promise<number>((res) => setTimeout(() => res(0), ms)),
  ]);
  assert.equal(r, 1, `page did not render a frame within ${ms} ms`);
}

describe('logs', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('logs', failed);
  });

  async function runDetached(name: string, script: string): Promise<void> {
    const c = await h.api('POST', `/containers/create?name=${name}`, {
      Image: 'busybox:latest',
      Cmd: ['sh', '-c', script],
    });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    assert.equal((await h.api('POST', `/containers/${name}/start`)).status, 204);
  }

  test('a line a second appears live, and a 100,000-character line does not freeze the page', async () => {
    try {
      const name = h.name('logs');
      await runDetached(
        name,
        "head -c 100000 /dev/zero | tr '\\0' x; echo; i=0; while true; i=$((i+1)); do echo tick $i; sleep 1; done",
      );
      const list = new ContainersPage(h.page);
      await list.waitState(name, 'running');
      await list.openDetail(name);
      const d = new DetailPage(h.page);
      await d.tab('Logs');
      await h.page.waitForSelector('[data-testid=logs] .log-line');
      const tick = async (): Promise<number | undefined> => {
        const all = [...(await d.logText()).matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
        return all.length ? Math.max(...all) : undefined;
      };
      const first = await waitFor(tick, 'a tick line');
      await waitFor(async () => ((await tick()) ?? 0) >= first + 2 || undefined, 'two more ticks, live');
      await responsive(h);
      // The long line is there, shown shortened with a way to expand it.
      await h.page
        .getByText(/more characters/)
        .first()
        .waitFor();
      const longShown = await h.page.locator('.log-line .text').first().innerText();
      assert.ok(
        longShown.startsWith('xxxx') && longShown.length <= 2000,
        `long line shortened (${longShown.length})`,
      );
      await h.shot('04-logs');
      await h.page
        .getByText(/more characters/)
        .first()
        .click();
      await responsive(h);
      const expanded = await h.page.locator('.log-line .text').first().innerText();
      assert.equal(expanded.length, 100000);
      await responsive(h);
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  test('a flood of output keeps the page responsive and the DOM capped', async () => {
    try {
      const name = h.name('flood');
      await runDetached(
        name,
        'i=0; while [ $i -lt 60000 ]; do echo "line $i of the flood"; i=$((i+1)); done; sleep 3600',
      );
      const list = new ContainersPage(h.page);
      await list.open();
      await list.openDetail(name);
      const d = new DetailPage(h.page);
      await d.tab('Logs');
      for (let i = 0; i < 10; i++) {
        await responsive(h);
        await h.page.waitForTimeout(200);
      }
      await waitFor(
        async () => (/line 59999 of the flood/.test(await d.logText()) ? true : undefined),
        'the last line',
        60_000,
      );
      const rows = await h.page.locator('[data-testid=logs] .log-line').count();
      assert.ok(rows < 500, `virtualized: ${rows} rows in the DOM`);
      await responsive(h);
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
