// Issue 5, "What must be shown" 2 and 5: run from the Run dialog with memory
// 128 MB and CPU shares 512 set by the sliders; the API and the cgroup files
// agree; then drag the memory slider of the running container to 256 MB and
// the cgroup file follows without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupFile, skipReason, startHarness, waitFor, type Harness } from './utils/harness.js';
import { ContainersPage } from './pages/ContainersPage.js';
import { RunDialog, slideTo } from './pages/RunDialog.js';
import { DetailPage } from './pages/DetailPage.js';

const reason = skipReason();
if (reason) console.log(`# skipping run-and-limits e2e: ${reason}`);

interface Inspect {
  Id: string;
  State: { Running: boolean; Pid: number; StartedAt: string };
  HostConfig: { Memory: number; CpuShares: number };
}

describe('run dialog and live resource limits', { skip: reason }, () => {
  let h: Harness;
  let failed = false;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.teardown('run-and-limits', failed);
  });

  test('runs with memory 128 MB and CPU shares 512 from the sliders, then updates memory live', async (t) => {
    t.after(() => {
      failed ||= !!(t as unknown as { failed?: boolean }).failed;
    });
    try {
      const list = new ContainersPage(h.page);
      const run = new RunDialog(h.page);
      const name = h.name('limits');
      await run.open();
      await run.fill({ image: 'busybox:latest', name, command: 'sleep 3600' });
      await run.slideTo('memory', '128 MB');
      await run.slideTo('cpu-shares', '512 shares');
      await h.shot('02-run-dialog');
      await run.submit();

      // The dialog opens the new container's detail; go back to the list.
      await h.page.waitForSelector(`[data-testid=detail-name]:text("${name}")`);
      await new DetailPage(h.page).back();
      await list.waitState(name, 'running');
      await h.shot('01-containers');

      const ins = await h.api<Inspect>('GET', `/containers/${name}/json`);
      assert.equal(ins.status, 200);
      assert.equal(ins.json.HostConfig.Memory, 134217728);
      assert.equal(ins.json.HostConfig.CpuShares, 512);
      const id = ins.json.Id;
      assert.equal(cgroupFile('memory', id, 'memory.limit_in_bytes'), '134217728');
      assert.equal(cgroupFile('cpu', id, 'cpu.shares'), '512');

      // 5: the Resources tab's memory slider to 256 MB, applied live.
      await list.openDetail(name);
      const detail = new DetailPage(h.page);
      await detail.tab('Resources');
      await h.page.waitForSelector('[data-testid=cgroup-files] [data-file="memory.limit_in_bytes"]');
      await slideTo(h.page, 'memory', '256 MB');
      await h.page.click('[data-testid=apply-resources]');
      await waitFor(
        () => cgroupFile('memory', id, 'memory.limit_in_bytes') === '268435456' || undefined,
        'memory.limit_in_bytes = 268435456',
      );
      await h.page.waitForSelector('[data-file="memory.limit_in_bytes"] td:text("268435456")');
      await h.shot('05-resources');
      const after = await h.api<Inspect>('GET', `/containers/${id}/json`);
      assert.equal(after.json.HostConfig.Memory, 268435456);
      assert.equal(after.json.State.Pid, ins.json.State.Pid, 'not restarted');
      assert.equal(after.json.State.StartedAt, ins.json.State.StartedAt, 'not restarted');
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  test('a run that cannot work says why, in the dialog', async () => {
    try {
      const run = new RunDialog(h.page);
      await run.open();
      await run.fill({ image: 'nosuchimage-e2e:1', name: h.name('bad') });
      const msg = await run.submitForError();
      assert.match(msg, /no such image|not found|pull/i);
      await h.shot('02-run-error');
      await run.cancel();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
