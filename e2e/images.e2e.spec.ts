// Issue 5, "What must be shown" 1 and the Layers half of 6: pull from a
// local registry (Debian's docker-registry on 127.0.0.1) in the Images view,
// with a progress bar per layer; the image is listed; two images built on
// the same base layer show that layer as shared in the Layers view.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../engine/testing/busybox.js';
import {
  haveRegistryTools,
  skopeoPush,
  startRegistry,
  tarDir,
  tarFiles,
  writeOciLayout,
  type RunningRegistry,
} from '../engine/registry/testing.js';
import { skipReason, startHarness, type Harness } from './utils/harness.js';

const reason = skipReason() ?? haveRegistryTools();
if (reason) console.log(`# skipping images e2e: ${reason}`);

describe('images: pull with progress, layers shared', { skip: reason }, () => {
  let h: Harness;
  let reg: RunningRegistry;
  let work: string;
  let failed = false;
  const repo = `e2e-${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'wharf-e2e-img-'));
    reg = await startRegistry();
    const base = await tarDir(makeBusyboxRootfs(join(work, 'rootfs')));
    for (const app of ['alpha', 'beta']) {
      const layout = join(work, `layout-${app}`);
      const top = await tarFiles({ [`srv/${app}/index.html`]: `<h1>${app}</h1>\n`.repeat(2000) });
      await writeOciLayout(layout, '1', [{ layers: [base, top], cmd: ['sh'] }]);
      await skopeoPush(layout, '1', `${reg.host}/${repo}/${app}:1`);
    }
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('images', failed);
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('pulls two images from the registry and shows their shared base layer', async () => {
    try {
      const page = h.page;
      await page.click('[data-nav=images]');
      for (const app of ['alpha', 'beta']) {
        const ref = `${reg.host}/${repo}/${app}:1`;
        await page.fill('input[aria-label="Image to pull"]', ref);
        await page.click('[data-testid=pull]');
        await page.locator('[data-testid=layer-progress]').first().waitFor({ timeout: 30_000 });
        await page.locator(`[data-testid=image-row][data-tags~="${ref}"]`).waitFor({ timeout: 60_000 });
        if (app === 'alpha') await h.shot('01-pull');
        const rows = await page.locator('[data-testid=layer-progress]').count();
        assert.ok(rows >= 1, `per-layer progress rows: ${rows}`);
      }
      const listed = await h.api<{ RepoTags: string[] }[]>('GET', '/images/json');
      const tags = listed.json.flatMap((i) => i.RepoTags ?? []);
      assert.ok(tags.includes(`${reg.host}/${repo}/alpha:1`), `listed: ${tags.join(', ')}`);

      await page
        .locator(`[data-testid=image-row][data-tags~="${reg.host}/${repo}/alpha:1"] .row-title`)
        .click();
      await page.locator('[data-testid=layer]').first().waitFor();
      const shared = page.locator('[data-testid=layer-shared]');
      await shared.first().waitFor({ timeout: 15_000 });
      assert.match(await shared.first().innerText(), new RegExp(`${repo}/beta:1`));
      assert.equal(await page.locator('[data-testid=layer]').count(), 2);
      await h.shot('06-layers');
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
