// Issue 5, "Speed" (first rows): the page web mode serves carries the
// container list and the Containers view already rendered from it
// (app/web/index-page.ts); the app then takes over, and nothing the engine
// did between that list and the page's event subscription is lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startHarness, type Harness } from './utils/harness.js';
import { ContainersPage } from './pages/ContainersPage.js';

const reason = skipReason();
if (reason) console.log(`# skipping first-page e2e: ${reason}`);

describe('first page', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('first-page', failed);
  });

  async function create(name: string): Promise<void> {
    const r = await h.api('POST', `/containers/create?name=${name}`, {
      Image: 'busybox:latest',
      Cmd: ['true'],
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }

  test('comes with its rows rendered and the list inlined, then turns live', async () => {
    try {
      const pre = h.name('pre');
      await create(pre);
      const res = await h.page.request.get(new URL('/', h.daemon.uiUrl).href);
      assert.equal(res.status(), 200);
      const html = await res.text();
      assert.match(
        html,
        new RegExp(`data-testid="container-row"[^>]*data-name="${pre}"`),
        'a server-rendered row',
      );
      assert.match(html, /<script type="application\/json" id="wharf-snapshot">/);

      await h.page.reload();
      await h.page.waitForSelector('.engine-status .dot.ok');
      const list = new ContainersPage(h.page);
      // Events patch the list the page came with.
      await list.action(pre, 'Start');
      await list.waitState(pre, 'exited');
      await list.row(pre).click();
      assert.equal(await h.page.locator('[data-testid=detail-name]').innerText(), pre);
      await list.open();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  test('what happens between the inlined list and the event subscription still shows', async () => {
    try {
      const list = new ContainersPage(h.page);
      const late = h.name('late');
      // Hold the page's event socket until a container was created: the
      // list in the page then misses it, and no event for it reaches the page.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await h.page.routeWebSocket(/\/api\/events/, async (ws) => {
        await gate;
        ws.connectToServer();
      });
      await h.page.reload();
      await h.page.waitForSelector('h1:text("Containers")');
      await create(late);
      await h.page.waitForTimeout(500); // the web server has seen the event
      assert.equal(await list.row(late).count(), 0, 'not in the page yet');
      release();
      await list.row(late).waitFor({ timeout: 15_000 });
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
