import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { CLONE_NAMESPACE_FLAGS, compileSeccomp, defaultSeccompProfile } from './seccomp.js';
import type { OciSeccomp } from './oci-types.js';

function rulesFor(p: OciSeccomp, name: string) {
  return (p.syscalls ?? []).filter((s) => s.names.includes(name));
}

function allowedUnconditionally(p: OciSeccomp, name: string): boolean {
  return rulesFor(p, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);
}

describe('default seccomp profile', () => {
  const p = defaultSeccompProfile(DEFAULT_CAPABILITIES, 'x64');

  test('EPERM by default, on x86-64 and its compat ABIs', () => {
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  test('allows about 440 syscalls', () => {
    const names = new Set(
      (p.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW').flatMap((s) => s.names),
    );
    assert.ok(names.size > 350 && names.size < 480, `${names.size} allowed`);
    for (const n of [
      'read',
      'write',
      'execve',
      'openat',
      'clone',
      'socket',
      'arch_prctl',
      'chroot',
      'ptrace',
    ]) {
      assert.ok(names.has(n), n);
    }
  });

  test('blocks the dangerous calls without capabilities', () => {
    for (const n of [
      'mount',
      'umount2',
      'setns',
      'reboot',
      'kexec_load',
      'init_module',
      'bpf',
      'keyctl',
      'add_key',
      'open_by_handle_at',
      'swapon',
      'pivot_root',
      'io_uring_setup',
    ]) {
      assert.equal(rulesFor(p, n).length, 0, `${n} must fall to the default EPERM`);
    }
  });

  test('clone3 answers ENOSYS; clone and unshare lose namespace flags', () => {
    assert.deepEqual(rulesFor(p, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    for (const n of ['clone', 'unshare']) {
      const [rule] = rulesFor(p, n);
      assert.deepEqual(rule?.args, [
        { index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
      ]);
    }
    assert.equal(CLONE_NAMESPACE_FLAGS, 2114060288);
  });

  test('personality and socket are filtered by argument', () => {
    const values = rulesFor(p, 'personality').map((r) => r.args?.[0]?.value);
    assert.deepEqual(values, [0, 8, 0x20000, 0x20008, 0xffffffff]);
    assert.deepEqual(rulesFor(p, 'socket')[0]?.args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
  });

  test('capabilities unlock their syscalls', () => {
    const admin = defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64');
    for (const n of ['mount', 'umount2', 'setns', 'unshare', 'clone', 'clone3'])
      assert.ok(allowedUnconditionally(admin, n), n);
    assert.equal(rulesFor(admin, 'clone3').filter((r) => r.action === 'SCMP_ACT_ERRNO').length, 0);
    const noChroot = defaultSeccompProfile(
      DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'),
      'x64',
    );
    assert.equal(rulesFor(noChroot, 'chroot').length, 0);
    assert.ok(allowedUnconditionally(defaultSeccompProfile(['CAP_SYS_TIME'], 'x64'), 'settimeofday'));
    assert.ok(allowedUnconditionally(defaultSeccompProfile(['CAP_SYS_MODULE'], 'x64'), 'init_module'));
  });

  test('architecture-specific groups', () => {
    const arm = defaultSeccompProfile(DEFAULT_CAPABILITIES, 'arm64');
    assert.ok(allowedUnconditionally(arm, 'set_tls'));
    assert.equal(rulesFor(arm, 'arch_prctl').length, 0);
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  test('custom Docker-format profiles compile with includes/excludes', () => {
    const out = compileSeccomp(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
          { name: 'chmod', action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_FOWNER'] } },
          { names: ['uname'], action: 'SCMP_ACT_ERRNO', includes: { arches: ['amd64'] } },
        ],
      },
      ['CAP_FOWNER'],
      'x64',
    );
    assert.deepEqual(out.syscalls, [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['uname'], action: 'SCMP_ACT_ERRNO' },
    ]);
  });
});
