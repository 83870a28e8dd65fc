// Issue 5, "What must be shown" 3: a terminal into a running container;
// `hostname` and `echo $((6*7))` answer in the xterm buffer; resizing the
// panel resizes the exec's pty (`stty size` changes); the session survives
// switching tabs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startHarness, type Harness } from './utils/harness.js';
import { ContainersPage } from './pages/ContainersPage.js';
import { DetailPage } from './pages/DetailPage.js';

const reason = skipReason();
if (reason) console.log(`# skipping terminal e2e: ${reason}`);

describe('terminal', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness({ colorScheme: 'dark' });
  });
  after(async () => {
    await h?.teardown('terminal', failed);
  });

  test('runs commands, resizes the pty, survives tab switches', async () => {
    try {
      const name = h.name('term');
      const created = await h.api<{ Id: string }>('POST', `/containers/create?name=${name}`, {
        Image: 'busybox:latest',
        Cmd: ['sleep', '3600'],
        Hostname: 'wharfbox',
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal((await h.api('POST', `/containers/${name}/start`)).status, 204);

      const list = new ContainersPage(h.page);
      await list.waitState(name, 'running');
      await list.openDetail(name);
      const d = new DetailPage(h.page);
      await d.tab('Terminal');
      await h.page.waitForSelector('[data-testid=terminal] .xterm-rows');
      await d.waitTerminal((t) => /[#$] ?$/m.test(t.trim()), 'a prompt');

      await d.typeInTerminal('hostname');
      await d.waitTerminal((t) => /^wharfbox\s*$/m.test(t), 'the hostname');
      await d.typeInTerminal('echo $((6*7))');
      await d.waitTerminal((t) => /^42\s*$/m.test(t), '42');
      await h.shot('03-terminal');

      await d.typeInTerminal('clear; stty size');
      const first = await d.waitTerminal((t) => /^\d+ \d+\s*$/m.test(t), 'stty size');
      const size1 = /^(\d+ \d+)\s*$/m.exec(first)![1]!;

      await h.page.setViewportSize({ width: 1000, height: 640 });
      await h.page.waitForTimeout(300);
      await d.typeInTerminal('clear; stty size');
      const second = await d.waitTerminal((t) => {
        const m = /^(\d+ \d+)\s*$/m.exec(t);
        return !!m && m[1] !== size1;
      }, 'a different stty size');
      const size2 = /^(\d+ \d+)\s*$/m.exec(second)![1]!;
      assert.notEqual(size2, size1);
      const [r1, c1] = size1.split(' ').map(Number);
      const [r2, c2] = size2.split(' ').map(Number);
      assert.ok(r2! < r1! && c2! < c1!, `pty shrank with the panel: ${size1} -> ${size2}`);

      // Session survives a tab switch: the earlier output is still there.
      await d.typeInTerminal('echo still-$((40+2))');
      await d.waitTerminal((t) => t.includes('still-42'), 'still-42');
      await d.tab('Overview');
      await d.tab('Terminal');
      const again = await d.terminalText();
      assert.match(again, /still-42/);
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
