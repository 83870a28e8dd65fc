// wharf-shim: when its state dir is deleted (an exec root removed with the
// engine gone, as a killed test or bench leaves it), nothing can reach the
// container again, so the shim kills it, removes its cgroups and exits.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ShimContainer, testRuntimes, waitFor } from './shim-harness.js';

/** The container's cgroup dirs, from the hierarchies mounted under /sys/fs/cgroup. */
function cgroupDirs(cgroupsPath: string): string[] {
  const roots = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))];
  return roots.map((r) => join(r, cgroupsPath)).filter((d) => existsSync(join(d, 'cgroup.procs')));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

for (const rt of testRuntimes('shim-orphan')) {
  describe(`wharf-shim orphaned (${rt.path})`, { skip: rt.skip }, () => {
    for (const started of [false, true]) {
      it(`kills a ${started ? 'running' : 'created, never started'} container whose state dir is deleted`, async (t) => {
        const c = ShimContainer.forBundle(rt.path, { args: ['sleep', '1000'] });
        t.after(() => c.dispose());
        const pid = await c.create();
        if (started) c.start();
        const config = JSON.parse(readFileSync(join(c.bundle, 'config.json'), 'utf8')) as {
          linux: { cgroupsPath: string };
        };
        const cgroups = cgroupDirs(config.linux.cgroupsPath);
        assert.ok(cgroups.length > 0, 'the container has cgroups');
        const shim = c.shimPid;
        rmSync(c.stateDir, { recursive: true, force: true });
        await waitFor('the container to die', () => (alive(pid) ? undefined : true), 5000);
        await c.waitShimGone(shim, 5000);
        await waitFor(
          'its cgroups to go',
          () => (cgroups.some((d) => existsSync(d)) ? undefined : true),
          5000,
        );
      });
    }
  });
}
