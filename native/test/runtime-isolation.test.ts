// wharf-runtime: what the container sees (namespaces, user namespace,
// capabilities, rlimits, masked and read-only paths, mounts, the device
// cgroup, fds, seccomp). The console socket, hooks and exec are in
// runtime-exec.test.ts.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Json, linuxOf, processOf, randomId } from './bundle.js';
import { capMask, runtimeSkip, runtimeSuite, statusField } from './runtime-suite.js';

const skip = runtimeSkip('runtime-isolation');

describe('wharf-runtime isolation', { skip }, () => {
  const s = runtimeSuite('wharf-rt-iso-');
  const { ok, runOut, startSleeper } = s;

  it('namespaces: PID 1 is the command, the hostname is set, only lo exists', () => {
    const out = runOut(
      ['sh', '-c', 'echo pid=$$; hostname; ls /sys/class/net; cat /proc/1/cmdline | tr "\\0" " "'],
      (c) => {
        c.hostname = 'wharf-box';
      },
    );
    const lines = out.split('\n');
    assert.equal(lines[0], 'pid=1');
    assert.equal(lines[1], 'wharf-box');
    assert.equal(lines[2], 'lo');
    assert.match(lines[3] ?? '', /^sh -c /);
  });

  it('namespaces: a container sees its own ipc, uts, net, mnt, pid namespaces', () => {
    const { cid, pid } = startSleeper();
    for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt']) {
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), ns);
    }
    assert.equal(readlinkSync(`/proc/${pid}/ns/user`), readlinkSync('/proc/self/ns/user'));
    ok(['delete', '--force', cid]);
  });

  it('namespaces: `path` joins an existing namespace (setns)', () => {
    const { cid, pid } = startSleeper();
    const out = runOut(['sh', '-c', 'hostname; ls /sys/class/net'], (c) => {
      linuxOf(c).namespaces = [
        { type: 'pid' },
        { type: 'mount' },
        { type: 'uts', path: `/proc/${pid}/ns/uts` },
        { type: 'network', path: `/proc/${pid}/ns/net` },
      ];
      delete c.hostname;
    });
    assert.equal(out, 'runc\nlo\n');
    ok(['delete', '--force', cid]);
  });

  it('user namespace: uid/gid mappings apply and root inside is unprivileged outside', () => {
    const out = runOut(
      ['sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /bin/busybox'],
      (c) => {
        const l = linuxOf(c);
        (l.namespaces as Json[]).push({ type: 'user' });
        l.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        l.gidMappings = [{ containerID: 0, hostID: 210000, size: 65536 }];
      },
    );
    const lines = out.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.deepEqual(lines[1]?.trim().split(/\s+/), ['0', '200000', '65536']);
    assert.deepEqual(lines[2]?.trim().split(/\s+/), ['0', '210000', '65536']);
    assert.equal(lines[3], '65534', 'host root files are nobody inside');
  });

  it('capabilities: CapEff/CapPrm/CapBnd/CapInh match the config', () => {
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SYS_CHROOT'];
    const out = runOut(['cat', '/proc/self/status'], (c) => {
      processOf(c).capabilities = { bounding: caps, effective: caps, permitted: caps };
    });
    const want = capMask(caps);
    assert.equal(BigInt(`0x${statusField(out, 'CapEff')}`), want);
    assert.equal(BigInt(`0x${statusField(out, 'CapPrm')}`), want);
    assert.equal(BigInt(`0x${statusField(out, 'CapBnd')}`), want);
    assert.equal(BigInt(`0x${statusField(out, 'CapInh')}`), 0n);
    assert.equal(statusField(out, 'NoNewPrivs'), '1');
  });

  it('user, additional groups, rlimits, oomScoreAdj and noNewPrivileges=false', () => {
    const out = runOut(
      [
        'sh',
        '-c',
        'id; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status',
      ],
      (c) => {
        const p = processOf(c);
        p.user = { uid: 1000, gid: 1001, additionalGids: [5, 7] };
        p.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
        p.oomScoreAdj = 321;
        p.noNewPrivileges = false;
      },
    );
    const lines = out.trim().split('\n');
    assert.match(lines[0] ?? '', /^uid=1000 gid=1001 groups=5,7$/);
    assert.equal(lines[1], '123');
    assert.equal(lines[2], '456');
    assert.equal(lines[3], '321');
    assert.match(lines[4] ?? '', /NoNewPrivs:\s+0/);
  });

  it('masked paths read empty, read-only paths and a read-only root refuse writes', () => {
    const out = runOut(
      [
        'sh',
        '-c',
        'wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo sys-writable; ' +
          'touch /x 2>/dev/null && echo root-writable; touch /dev/shm/ok && echo shm-writable; cat /proc/sys/net/ipv4/ip_forward',
      ],
      (c) => {
        linuxOf(c).sysctl = { 'net.ipv4.ip_forward': '1' };
      },
    );
    const lines = out.trim().split('\n');
    assert.ok(readFileSync('/proc/timer_list').length > 0 && readdirSync('/sys/firmware').length > 0);
    assert.equal(lines[0], '0', '/proc/timer_list (masked file) reads empty');
    assert.equal(lines[1], '0', '/sys/firmware (masked dir) is empty');
    assert.ok(!out.includes('sys-writable'));
    assert.ok(!out.includes('root-writable'));
    assert.ok(out.includes('shm-writable'));
    assert.equal(lines.at(-1), '1', 'sysctl applied in the container netns');
  });

  it('mounts: bind (ro), tmpfs with options, default devices and /dev links', () => {
    const host = join(s.work, randomId('bind'));
    mkdirSync(host);
    writeFileSync(join(host, 'f'), 'from-host\n');
    const out = runOut(
      [
        'sh',
        '-c',
        'cat /data/f; touch /data/g 2>/dev/null || echo data-ro; grep " /scratch " /proc/mounts; ' +
          'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin',
      ],
      (c) => {
        (c.mounts as Json[]).push(
          { destination: '/data', type: 'bind', source: host, options: ['rbind', 'ro'] },
          {
            destination: '/scratch',
            type: 'tmpfs',
            source: 'tmpfs',
            options: ['nosuid', 'nodev', 'noexec', 'size=1m'],
          },
        );
      },
    );
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'from-host');
    assert.equal(lines[1], 'data-ro');
    assert.match(lines[2] ?? '', /tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec/);
    assert.deepEqual(lines.slice(3, 9), ['c', 'c', 'c', 'c', 'c', 'c']);
    assert.deepEqual(lines.slice(9), ['pts/ptmx', '/proc/self/fd', '/proc/self/fd/0']);
    assert.ok(!existsSync(join(host, 'g')));
  });

  it('cgroup namespace: the container sees its cgroup as /', () => {
    const out = runOut(['cat', '/proc/self/cgroup'], (c) =>
      (linuxOf(c).namespaces as Json[]).push({ type: 'cgroup' }),
    );
    const lines = out
      .trim()
      .split('\n')
      .filter((l) => /:(memory|pids|cpu,cpuacct):/.test(l));
    assert.ok(lines.length >= 2, out);
    for (const l of lines) assert.match(l, /:\/$/);
  });

  it('device cgroup: default devices work, others are denied even to CAP_MKNOD', () => {
    const out = runOut(
      [
        'sh',
        '-c',
        'head -c 3 /dev/zero | wc -c; mknod /dev/mem1 c 1 1 && echo made; head -c 1 /dev/mem1 2>&1 | grep -c "not permitted"',
      ],
      (c) => {
        processOf(c).capabilities = {
          bounding: ['CAP_MKNOD'],
          effective: ['CAP_MKNOD'],
          permitted: ['CAP_MKNOD'],
        };
      },
    );
    assert.equal(out, '3\nmade\n1\n');
  });

  it('no fds leak into the container', () => {
    assert.equal(runOut(['ls', '/proc/self/fd']), '0\n1\n2\n3\n');
  });

  it('seccomp: a profile that denies mkdir makes mkdir fail with EPERM', () => {
    const out = runOut(
      [
        'sh',
        '-c',
        'mkdir /dev/shm/x 2>&1; echo rc=$?; touch /dev/shm/y && echo touch-ok; grep Seccomp: /proc/self/status',
      ],
      (c) => {
        linuxOf(c).seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          syscalls: [
            { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
            { names: ['no_such_syscall'], action: 'SCMP_ACT_ERRNO' },
            // Argument filter: personality(0xffffffff) denied only.
            {
              names: ['personality'],
              action: 'SCMP_ACT_ERRNO',
              args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }],
            },
          ],
        };
      },
    );
    assert.match(out, /Operation not permitted/);
    assert.match(out, /rc=1/);
    assert.match(out, /touch-ok/);
    assert.match(out, /Seccomp:\s+2/);
  });

  it('seccomp: compiled programs are cached per profile; a damaged cache entry is recompiled', () => {
    const profile = (errnoRet: number): Json => ({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet }],
    });
    const mkdirResult = (errnoRet: number): string =>
      runOut(['sh', '-c', 'mkdir /dev/shm/x 2>&1; echo rc=$?'], (c) => {
        linuxOf(c).seccomp = profile(errnoRet);
      });
    const cacheDir = join(s.rt.root, 'seccomp');
    const entries = (): string[] => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);
    const before = entries();
    assert.match(mkdirResult(1), /Operation not permitted/);
    const added = entries().filter((e) => !before.includes(e));
    assert.equal(added.length, 1, 'one cache entry for the new profile');
    const entry = join(cacheDir, added[0]!);
    assert.match(added[0]!, /^[0-9a-f]{64}\.bpf$/);
    assert.equal(statSync(entry).size % 8, 0, 'a whole number of BPF instructions');
    // Same profile again: served from the cache, same behaviour.
    assert.match(mkdirResult(1), /Operation not permitted/);
    assert.equal(entries().length, before.length + 1);
    // Another errno is another program.
    assert.match(mkdirResult(13), /Permission denied/);
    assert.equal(entries().length, before.length + 2);
    // A truncated entry is not loaded as a program: it is compiled again.
    writeFileSync(entry, Buffer.alloc(7));
    assert.match(mkdirResult(1), /Operation not permitted/);
    assert.equal(statSync(entry).size % 8, 0);
  });

  it("seccomp: exec applies the container's profile too", () => {
    const { cid } = startSleeper((c) => {
      linuxOf(c).seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    const r = s.rt.run(['exec', cid, 'sh', '-c', 'mkdir /tmp/x 2>&1; echo rc=$?']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Operation not permitted/);
    assert.match(r.stdout, /rc=1/);
  });
});
