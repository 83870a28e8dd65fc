// wharf-runtime: the console socket (pty over SCM_RIGHTS), OCI hooks, and
// `exec` joining a running container.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Json, linuxOf, processOf, randomId } from './bundle.js';
import { CONSOLE_PY, capMask, runtimeSkip, runtimeSuite, statusField } from './runtime-suite.js';

const skip = runtimeSkip('runtime-exec');

describe('wharf-runtime console socket, hooks and exec', { skip }, () => {
  const s = runtimeSuite('wharf-rt-exec-');
  const { bundle, id, ok, startSleeper } = s;

  it('console socket: the pty master arrives over SCM_RIGHTS and the process has a tty', async () => {
    const sock = join(s.work, `${randomId('cs')}.sock`);
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
    const res = s.rt.run(['run', '--console-socket', sock, '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    await new Promise((resolve) => py.on('exit', resolve));
    assert.match(out, /FD-RECEIVED/);
    assert.match(out, /\/dev\/pts\/0/);
    assert.match(out, /stdin-tty/);
    assert.match(out, /30 100/);
    assert.match(out, /0\s+1\s+2\s+3\s*$/);
  });

  it('hooks run in order with the state on stdin; a hook past its timeout fails create', () => {
    const logs = join(s.work, randomId('hooks'));
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
    const res = s.rt.run(['run', '--bundle', b.dir, cid]);
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
    const t = s.rt.run(['create', '--bundle', slow.dir, sid]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /createRuntime hook .*timed out/);
    assert.equal(s.rt.run(['state', sid]).status, 1, 'a failed create leaves nothing behind');
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
    assert.equal(s.rt.run(['exec', cid, 'sh', '-c', 'exit 5']).status, 5);
    const missing = s.rt.run(['exec', cid, 'no-such-binary']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^wharf-runtime: .*no-such-binary.*not found/);

    const pfile = join(s.work, `${cid}-process.json`);
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

    const pidFile = join(s.work, `${cid}-exec.pid`);
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
    const sock = join(s.work, `${randomId('cs')}.sock`);
    const py = spawn('python3', ['-c', CONSOLE_PY, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => py.stdout.once('data', () => resolve()));
    const res = s.rt.run(['exec', '-t', '--console-socket', sock, cid, 'tty']);
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
