// wharf-runtime: hostile bundles are refused with one clear line, and the
// known container-escape routes stay closed: mount targets escaping
// through symlinks, cwd through a leaked fd (CVE-2024-21626), overwriting
// the runtime binary from inside (CVE-2019-5736), a dumpable init.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Bundle, type Json, linuxOf, makeBundle, processOf, randomId } from './bundle.js';
import { runtimeSkip, runtimeSuite } from './runtime-suite.js';

const skip = runtimeSkip('runtime-security');

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('wharf-runtime against hostile bundles and escapes', { skip }, () => {
  const s = runtimeSuite('wharf-rt-sec-');
  const { bundle, id } = s;

  function refused(b: Bundle, pattern: RegExp): void {
    const cid = id();
    const res = s.rt.run(['run', '--bundle', b.dir, cid]);
    assert.equal(res.status, 1, `expected a refusal, got ${res.status}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, /^wharf-runtime: [^\n]+\n$/, 'one line on stderr');
    assert.match(res.stderr, pattern);
    assert.equal(s.rt.run(['state', cid]).status, 1, 'nothing left behind');
    assert.ok(!existsSync(join(s.rt.root, cid)));
  }

  it('refuses a missing rootfs', () => {
    refused(
      bundle((c) => ((c.root as Json).path = join(s.work, 'no-such-rootfs'))),
      /rootfs .*no-such-rootfs.*No such file or directory/,
    );
  });

  it('refuses an unknown namespace type', () => {
    refused(
      bundle((c) => (linuxOf(c).namespaces as Json[]).push({ type: 'bogus' })),
      /unknown namespace type `bogus`/,
    );
  });

  it('refuses malformed JSON', () => {
    const b = bundle();
    writeFileSync(join(b.dir, 'config.json'), '{"ociVersion": "1.0.2", "process": {');
    refused(b, /config\.json: malformed JSON/);
  });

  it('refuses a config whose process has no args, and a mount with no destination', () => {
    refused(
      bundle((c) => (processOf(c).args = [])),
      /process\.args must not be empty/,
    );
    refused(
      bundle((c) => (c.mounts as Json[]).push({ type: 'tmpfs', source: 'tmpfs' })),
      /mount has no destination/,
    );
  });

  it('refuses a mount target that escapes the rootfs through a symlink; absolute links stay inside', () => {
    const own = join(s.work, randomId('rootfs'));
    makeBundle(join(s.work, randomId('seed')), undefined, own);
    const hostDir = join(s.work, randomId('host'));
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'canary'), 'untouched');
    symlinkSync(`${'../'.repeat(12)}${hostDir.slice(1)}`, join(own, 'escape'));
    symlinkSync(hostDir, join(own, 'absolute'));
    refused(
      bundle(
        (c) => (c.mounts as Json[]).push({ destination: '/escape/sub', type: 'tmpfs', source: 'tmpfs' }),
        own,
      ),
      /mount destination `\/escape\/sub`.*escapes the rootfs/,
    );
    refused(
      bundle(
        (c) => (c.mounts as Json[]).push({ destination: '/../../etc/wharf', type: 'tmpfs', source: 'tmpfs' }),
        own,
      ),
      /escapes the rootfs/,
    );
    // An absolute link is the container's own path: resolved inside the rootfs.
    const b = bundle((c) => {
      (c.mounts as Json[]).push({ destination: '/absolute/sub', type: 'tmpfs', source: 'tmpfs' });
      processOf(c).args = [
        'sh',
        '-c',
        'grep -c " /absolute/sub \\| .*/sub tmpfs" /proc/mounts; ls /absolute/',
      ];
    }, own);
    const res = s.rt.run(['run', '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(readdirSync(hostDir), ['canary'], 'nothing was created in the host directory');
    assert.equal(readFileSync(join(hostDir, 'canary'), 'utf8'), 'untouched');
    assert.ok(existsSync(join(own, hostDir.slice(1), 'sub')), 'the target was created inside the rootfs');
  });

  it('a rootfs whose /dev/null is a symlink to a host file gets a real device and masks stay masked', () => {
    const own = join(s.work, randomId('rootfs'));
    makeBundle(join(s.work, randomId('seed')), undefined, own);
    const secret = join(s.work, randomId('secret'));
    writeFileSync(secret, 'host secret');
    symlinkSync(secret, join(own, 'dev/null'));
    const b = bundle((c) => {
      // No /dev tmpfs: the image's own /dev is used.
      c.mounts = (c.mounts as Json[]).filter((m) => !String(m.destination).startsWith('/dev'));
      (c.root as Json).readonly = false;
      processOf(c).args = ['sh', '-c', 'ls -l /dev/null | cut -c1; wc -c < /proc/timer_list'];
    }, own);
    const res = s.rt.run(['run', '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'c\n0\n');
    assert.equal(readFileSync(secret, 'utf8'), 'host secret');
  });

  for (const fd of [3, 4, 5, 6, 7, 8]) {
    it(`CVE-2024-21626: cwd /proc/self/fd/${fd} is refused`, () => {
      // The runtime itself gets an extra directory fd, as the CVE's leaked
      // cgroup fd was; none may reach the container.
      const b = bundle((c) => {
        processOf(c).cwd = `/proc/self/fd/${fd}`;
        processOf(c).args = ['sh', '-c', 'pwd; ls ../../../..'];
      });
      const cid = id();
      const dirFd = openSync('/sys/fs/cgroup', 'r');
      const res = spawnSync(s.rt.bin, ['--root', s.rt.root, 'run', '--bundle', b.dir, cid], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe', dirFd, dirFd, dirFd, dirFd, dirFd, dirFd],
        timeout: 30000,
      });
      closeSync(dirFd);
      assert.equal(res.status, 1, `${res.stdout}${res.stderr}`);
      assert.match(res.stderr, /^wharf-runtime: [^\n]*cwd[^\n]*\n$/);
      assert.equal(res.stdout, '');
    });
  }

  it('fds the runtime inherits do not reach the container', () => {
    const b = bundle((c) => (processOf(c).args = ['ls', '/proc/self/fd']));
    const dirFd = openSync('/sys/fs/cgroup', 'r');
    const res = spawnSync(s.rt.bin, ['--root', s.rt.root, 'run', '--bundle', b.dir, id()], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', dirFd, dirFd, 'pipe'],
      timeout: 30000,
    });
    closeSync(dirFd);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, '0\n1\n2\n3\n');
  });

  it('the init is non-dumpable until execve and holds no host directory', () => {
    const b = bundle((c) => {
      const l = linuxOf(c);
      (l.namespaces as Json[]).push({ type: 'user' });
      l.uidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
      l.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
      processOf(c).args = ['sleep', '1000'];
    });
    const cid = id();
    const create = s.rt.run(['create', '--bundle', b.dir, cid]);
    assert.equal(create.status, 0, create.stderr);
    const pid = (JSON.parse(s.rt.run(['state', cid]).stdout) as { pid: number }).pid;
    // The kernel gives /proc/PID/mem of a non-dumpable process to root; a
    // dumpable one's belongs to its own uid (here the mapped 400000).
    const owner = (): number => statSync(`/proc/${pid}/mem`).uid;
    assert.equal(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], '400000');
    assert.equal(owner(), 0, 'the init is not dumpable while created');
    for (const f of readdirSync(`/proc/${pid}/fd`)) {
      const fdPath = `/proc/${pid}/fd/${f}`;
      assert.ok(!statSync(fdPath).isDirectory(), `fd ${f} -> ${readlinkSync(fdPath)} is a directory`);
    }
    assert.equal(s.rt.run(['start', cid]).status, 0);
    assert.equal(owner(), 400000, 'dumpable again after execve');
    assert.equal(s.rt.run(['delete', '--force', cid]).status, 0);
  });

  it('PID 1 has an empty inheritable set by default', () => {
    const b = bundle((c) => (processOf(c).args = ['grep', 'CapInh', '/proc/1/status']));
    const res = s.rt.run(['run', '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /CapInh:\s+0000000000000000/);
  });

  it('CVE-2019-5736: the runtime runs from a sealed copy; the host binary cannot be overwritten from inside', () => {
    const before = sha256(s.rt.bin);
    // A container that keeps trying to write through every /proc/PID/exe it
    // can see, and through /proc/self/exe of whatever runs it.
    const attack =
      'while true; do for p in /proc/[0-9]*; do (echo pwned > $p/exe) 2>/dev/null; ' +
      '(exec 3<>$p/exe && echo OPENED-$p) 2>/dev/null; done; done';
    const b = bundle((c) => {
      processOf(c).args = ['sh', '-c', attack];
      processOf(c).capabilities = {
        bounding: ['CAP_SYS_PTRACE', 'CAP_DAC_OVERRIDE', 'CAP_KILL'],
        effective: ['CAP_SYS_PTRACE', 'CAP_DAC_OVERRIDE', 'CAP_KILL'],
        permitted: ['CAP_SYS_PTRACE', 'CAP_DAC_OVERRIDE', 'CAP_KILL'],
      };
      processOf(c).noNewPrivileges = false;
    });
    const cid = id();
    const create = s.rt.run(['create', '--bundle', b.dir, cid]);
    assert.equal(create.status, 0, create.stderr);
    const pid = (JSON.parse(s.rt.run(['state', cid]).stdout) as { pid: number }).pid;
    assert.match(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:wharf-runtime/);
    // Even host root cannot write the sealed copy the init runs.
    assert.throws(() => writeFileSync(`/proc/${pid}/exe`, 'pwned'));
    assert.equal(s.rt.run(['start', cid]).status, 0);
    for (let i = 0; i < 20; i++) {
      // Each exec puts a runtime process into the container's namespaces.
      const res = s.rt.run([
        'exec',
        cid,
        'sh',
        '-c',
        '(exec 3<>/proc/self/exe) 2>/dev/null && echo self-opened; true',
      ]);
      assert.equal(res.status, 0, res.stderr);
    }
    // An entrypoint whose interpreter is /proc/self/exe runs the runtime
    // itself inside the container: it must be the sealed copy.
    const own = join(s.work, randomId('rootfs'));
    makeBundle(join(s.work, randomId('seed')), undefined, own);
    writeFileSync(join(own, 'evil'), '#!/proc/self/exe\n');
    chmodSync(join(own, 'evil'), 0o755);
    const evil = bundle((c) => {
      processOf(c).args = ['/evil'];
      (c.root as Json).readonly = false;
    }, own);
    const res = s.rt.run(['run', '--bundle', evil.dir, id()]);
    assert.notEqual(res.status, 0);
    assert.equal(s.rt.run(['delete', '--force', cid]).status, 0);
    assert.equal(sha256(s.rt.bin), before, 'host runtime binary unchanged');
    rmSync(join(own, 'evil'));
  });

  it('--no-pivot (MS_MOVE + chroot) still runs the container', () => {
    const b = bundle((c) => (processOf(c).args = ['sh', '-c', 'cat /proc/1/cmdline >/dev/null && echo ok']));
    const res = s.rt.run(['run', '--no-pivot', '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'ok\n');
  });
});
