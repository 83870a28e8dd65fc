// wharf-runtime: what the container sees (namespaces, user namespace,
// capabilities, rlimits, masked and read-only paths, fds, seccomp, pty,
// hooks) and `exec` joining a running container.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
import { after, before, describe, it } from 'node:test';
import { haveBusybox, isRoot } from '../../engine/testing/busybox.js';
import {
  type Bundle,
  type Json,
  type Runtime,
  WHARF_RUNTIME,
  linuxOf,
  makeBundle,
  processOf,
  randomId,
  removeCgroup,
  rmrf,
  runtime,
  tempDir,
} from './bundle.js';

const skip = !isRoot()
  ? 'needs root'
  : !haveBusybox()
    ? 'needs busybox-static'
    : !existsSync(WHARF_RUNTIME)
      ? 'wharf-runtime not built'
      : false;
if (skip) console.log(`# skipping runtime-isolation tests: ${skip}`);

// Receives the pty master over the console socket (SCM_RIGHTS) and prints
// what the container wrote to it. node:net cannot receive fds; python3 is
// there wherever node-gyp builds.
const CONSOLE_PY = `
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("READY", flush=True)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
out = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write("FD-RECEIVED\\n" + out.decode(errors="replace"))
`;

function capMask(names: string[]): bigint {
  const table = [
    'CHOWN',
    'DAC_OVERRIDE',
    'DAC_READ_SEARCH',
    'FOWNER',
    'FSETID',
    'KILL',
    'SETGID',
    'SETUID',
    'SETPCAP',
    'LINUX_IMMUTABLE',
    'NET_BIND_SERVICE',
    'NET_BROADCAST',
    'NET_ADMIN',
    'NET_RAW',
    'IPC_LOCK',
    'IPC_OWNER',
    'SYS_MODULE',
    'SYS_RAWIO',
    'SYS_CHROOT',
    'SYS_PTRACE',
    'SYS_PACCT',
    'SYS_ADMIN',
    'SYS_BOOT',
    'SYS_NICE',
    'SYS_RESOURCE',
    'SYS_TIME',
    'SYS_TTY_CONFIG',
    'MKNOD',
    'LEASE',
    'AUDIT_WRITE',
  ];
  return names.reduce((m, n) => m | (1n << BigInt(table.indexOf(n.replace(/^CAP_/, '')))), 0n);
}

function statusField(text: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  return m?.[1]?.trim() ?? '';
}

describe('wharf-runtime isolation', { skip }, () => {
  let work: string;
  let rootfs: string;
  let rt: Runtime;
  const ids: string[] = [];
  const cgroups: string[] = [];

  function bundle(edit?: (c: Json) => void): Bundle {
    const b = makeBundle(join(work, randomId('b')), edit, rootfs);
    cgroups.push(linuxOf(b.config).cgroupsPath as string);
    return b;
  }
  function id(): string {
    const x = randomId();
    ids.push(x);
    return x;
  }
  /** `run` of a one-shot command; returns its stdout. */
  function runOut(args: string[], edit?: (c: Json) => void, expectStatus = 0): string {
    const b = bundle((c) => {
      processOf(c).args = args;
      edit?.(c);
    });
    const res = rt.run(['run', '--bundle', b.dir, id()]);
    assert.equal(res.status, expectStatus, res.stderr);
    return res.stdout;
  }
  function ok(args: string[]): string {
    const res = rt.run(args);
    assert.equal(res.status, 0, `${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  }
  function startSleeper(edit?: (c: Json) => void): { cid: string; pid: number; bundle: Bundle } {
    const b = bundle((c) => {
      processOf(c).args = ['sleep', '1000'];
      edit?.(c);
    });
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    const pid = (JSON.parse(ok(['state', cid])) as { pid: number }).pid;
    return { cid, pid, bundle: b };
  }

  before(() => {
    work = tempDir('wharf-rt-iso-');
    rootfs = join(work, 'rootfs');
    makeBundle(join(work, 'seed'), undefined, rootfs);
    rt = runtime(join(work, 'state'));
  });
  after(() => {
    for (const x of ids) rt.cleanup(x);
    for (const c of cgroups) removeCgroup(c);
    rmrf(work);
  });

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
    const host = join(work, randomId('bind'));
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

  it('console socket: the pty master arrives over SCM_RIGHTS and the process has a tty', async () => {
    const sock = join(work, `${randomId('cs')}.sock`);
    const py = spawn('python3', ['-c', CONSOLE_PY, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => py.stdout.once('data', () => resolve()));
    const b = bundle((c) => {
      const p = processOf(c);
      p.terminal = true;
      p.consoleSize = { height: 30, width: 100 };
      p.args = ['sh', '-c', 'tty; test -t 0 && echo stdin-tty; stty size; ls /proc/self/fd'];
    });
    const res = rt.run(['run', '--console-socket', sock, '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    await new Promise((resolve) => py.on('exit', resolve));
    assert.match(out, /FD-RECEIVED/);
    assert.match(out, /\/dev\/pts\/0/);
    assert.match(out, /stdin-tty/);
    assert.match(out, /30 100/);
    assert.match(out, /0\s+1\s+2\s+3\s*$/);
  });

  it('hooks run in order with the state on stdin; a hook past its timeout fails create', () => {
    const logs = join(work, randomId('hooks'));
    mkdirSync(logs);
    const hook = (name: string): Json => ({
      path: '/bin/sh',
      args: ['sh', '-c', `cat > ${logs}/${name}.json; echo ${name} >> ${logs}/order`],
    });
    const b = bundle((c) => {
      processOf(c).args = ['sh', '-c', 'cat /hooks/startContainer.json >/dev/null && echo start-hook-ran'];
      (c.mounts as Json[]).push({ destination: '/hooks', type: 'bind', source: logs, options: ['bind'] });
      c.annotations = { who: 'hooks-test' };
      c.hooks = {
        prestart: [hook('prestart')],
        createRuntime: [hook('createRuntime')],
        createContainer: [hook('createContainer')],
        startContainer: [
          {
            path: '/bin/sh',
            args: ['sh', '-c', 'cat > /hooks/startContainer.json; echo startContainer >> /hooks/order'],
          },
        ],
        poststart: [hook('poststart')],
        poststop: [hook('poststop')],
      };
    });
    const cid = id();
    const res = rt.run(['run', '--bundle', b.dir, cid]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'start-hook-ran\n');
    const order = readFileSync(join(logs, 'order'), 'utf8').trim().split('\n');
    assert.deepEqual(order.slice(0, 4), ['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    assert.deepEqual(order.slice(4).sort(), ['poststart', 'poststop']);
    for (const name of [
      'prestart',
      'createRuntime',
      'createContainer',
      'startContainer',
      'poststart',
      'poststop',
    ]) {
      const st = JSON.parse(readFileSync(join(logs, `${name}.json`), 'utf8')) as Json;
      assert.equal(st.id, cid, name);
      assert.equal(st.bundle, b.dir, name);
      assert.deepEqual(st.annotations, { who: 'hooks-test' }, name);
    }
    const pre = JSON.parse(readFileSync(join(logs, 'prestart.json'), 'utf8')) as Json;
    assert.ok((pre.pid as number) > 1, 'the host pid of the init');

    const slow = bundle((c) => {
      c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] };
    });
    const sid = id();
    const t = rt.run(['create', '--bundle', slow.dir, sid]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /createRuntime hook .*timed out/);
    assert.equal(rt.run(['state', sid]).status, 1, 'a failed create leaves nothing behind');
  });

  it('exec joins every namespace and the cgroup of the container', () => {
    const { cid, pid, bundle: b } = startSleeper();
    const out = ok([
      'exec',
      cid,
      'sh',
      '-c',
      'cat /proc/self/cgroup; for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done; echo $$',
    ]);
    const cg = linuxOf(b.config).cgroupsPath as string;
    const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    for (const line of own.split('\n').filter((l) => l.includes(cg))) assert.ok(out.includes(line), line);
    for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt'])
      assert.ok(out.includes(readlinkSync(`/proc/${pid}/ns/${ns}`)), ns);
    assert.notEqual(Number(out.trim().split('\n').at(-1)), 1);
    ok(['delete', '--force', cid]);
  });

  it('exec options: --user, --cwd, --env, --cap, exit status, --process, --detach --pid-file', async () => {
    const { cid } = startSleeper();
    assert.equal(
      ok([
        'exec',
        '--user',
        '1000:1000',
        '--cwd',
        '/tmp',
        '--env',
        'FOO=bar',
        cid,
        'sh',
        '-c',
        'id -u; pwd; echo $FOO',
      ]),
      '1000\n/tmp\nbar\n',
    );
    const capOut = ok(['exec', '--cap', 'CAP_SYS_ADMIN', cid, 'grep', 'CapEff', '/proc/self/status']);
    assert.ok((BigInt(`0x${statusField(capOut, 'CapEff')}`) & capMask(['SYS_ADMIN'])) !== 0n);
    assert.equal(rt.run(['exec', cid, 'sh', '-c', 'exit 5']).status, 5);
    const missing = rt.run(['exec', cid, 'no-such-binary']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^wharf-runtime: .*no-such-binary.*not found/);

    const pfile = join(work, `${cid}-process.json`);
    writeFileSync(
      pfile,
      JSON.stringify({
        args: ['sh', '-c', 'echo from-process-file; id -u'],
        cwd: '/',
        user: { uid: 7, gid: 7 },
        env: ['PATH=/bin'],
      }),
    );
    assert.equal(ok(['exec', '--process', pfile, cid]), 'from-process-file\n7\n');

    const pidFile = join(work, `${cid}-exec.pid`);
    ok(['exec', '--detach', '--pid-file', pidFile, cid, 'sleep', '999']);
    const epid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(readFileSync(`/proc/${epid}/cmdline`, 'utf8').startsWith('sleep\x00999'));
    ok(['delete', '--force', cid]);
    assert.ok(
      !existsSync(`/proc/${epid}`) || /State:\s+Z/.test(readFileSync(`/proc/${epid}/status`, 'utf8')),
    );
  });

  it('exec -t hands a pty over the console socket', async () => {
    const { cid } = startSleeper();
    const sock = join(work, `${randomId('cs')}.sock`);
    const py = spawn('python3', ['-c', CONSOLE_PY, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => py.stdout.once('data', () => resolve()));
    const res = rt.run(['exec', '-t', '--console-socket', sock, cid, 'tty']);
    assert.equal(res.status, 0, res.stderr);
    await new Promise((resolve) => py.on('exit', resolve));
    assert.match(out, /FD-RECEIVED\s*\/dev\/pts\/\d+/);
    ok(['delete', '--force', cid]);
  });

  it('user namespace containers can be exec-ed into', () => {
    const { cid, pid } = startSleeper((c) => {
      const l = linuxOf(c);
      (l.namespaces as Json[]).push({ type: 'user' });
      l.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      l.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    });
    assert.equal(statSync(`/proc/${pid}`).uid, 300000);
    assert.equal(
      ok(['exec', cid, 'sh', '-c', 'id -u; readlink /proc/self/ns/user']),
      `0\n${readlinkSync(`/proc/${pid}/ns/user`)}\n`,
    );
    ok(['delete', '--force', cid]);
  });
});
