// mountsUnder() against the real mount table: names mountinfo escapes, and
// a sibling that merely shares a prefix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isRoot } from '../testing/busybox.js';
import { mountsUnder, parseMountInfo } from './mountinfo.js';

describe('mountinfo', () => {
  it('parses escaped mount points', () => {
    const line = '36 35 98:0 / /mnt/a\\040b\\134c rw,noatime master:1 - tmpfs tmp\\040fs rw,size=1k';
    assert.deepEqual(parseMountInfo(line), [
      { mountPoint: '/mnt/a b\\c', fsType: 'tmpfs', source: 'tmp fs', superOptions: 'rw,size=1k' },
    ]);
  });

  it(
    'mountsUnder finds mounts below a dir, deepest first, and not in a sibling',
    { skip: !isRoot() && 'needs root' },
    async () => {
      const base = mkdtempSync(join(tmpdir(), 'wharf-mi-'));
      const dir = join(base, 'a dir');
      const inner = join(dir, 'x\ty');
      const sibling = join(base, 'a dir2');
      const mounted: string[] = [];
      after(() => {
        for (const m of mounted.reverse()) spawnSync('umount', ['-l', m]);
        rmSync(base, { recursive: true, force: true });
      });
      mkdirSync(dir);
      mkdirSync(sibling);
      for (const m of [dir, sibling]) {
        assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'wharf-mi', m]).status, 0);
        mounted.push(m);
      }
      mkdirSync(inner);
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'wharf-mi', inner]).status, 0);
      mounted.push(inner);
      assert.deepEqual(await mountsUnder(dir), [inner, dir]);
      assert.deepEqual(await mountsUnder(join(base, 'nothing')), []);
    },
  );
});
