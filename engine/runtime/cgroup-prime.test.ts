// findOwnProcsFile(): the cgroup.procs file of the cgroup this process is in.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findOwnProcsFile } from './cgroup-prime.js';

describe('cgroup prime target', () => {
  it('finds our own cgroup.procs in the pids hierarchy or cgroup2', () => {
    const self = readFileSync('/proc/self/cgroup', 'utf8');
    const file = findOwnProcsFile(self);
    if (file === null) return; // no pids hierarchy and no cgroup2 at the usual place
    assert.match(file, /^\/sys\/fs\/cgroup(\/pids)?(\/.*)?\/cgroup\.procs$/);
    assert.ok(existsSync(file), file);
    assert.ok(readFileSync(file, 'utf8').split('\n').includes(String(process.pid)), 'we are listed there');
  });

  it('finds nothing without a pids or unified line', () => {
    assert.equal(findOwnProcsFile('4:memory:/x\n1:name=systemd:/\n'), null);
  });
});
