// Lifecycle, isolation, exit codes, copy-on-write, exec, attach and logs of
// the container runtime on the real kernel (busybox rootfs as the one layer).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, existsSync, lstatSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readToEnd } from './attach.js';
import { readJsonLog, readLogText } from './json-log.js';
import { createOverlayStorage } from '../storage/index.js';
import { alive, leaks, useFixture, skipReason, sleep, type Fixture } from './test-helpers.js';
import type { ContainerEvent } from './types.js';

const skip = skipReason();
if (skip) console.log(`# skipping container runtime tests: ${skip}`);

describe('container runtime', { skip }, () => {
  let fx: Fixture;
  useFixture('life', (f) => (fx = f));

  test('PID 1 is the command, ps sees only the container, the host sees another pid', async () => {
    const id = await fx.create({ Cmd: ['sh', '-c', 'echo pid=$$; ps -o pid,comm; exec sleep 1000'] });
    await fx.rt.start(id);
    const rec = fx.rt.inspect(id);
    assert.equal(rec.state.status, 'running');
    const hostPid = rec.state.pid;
    assert.ok(hostPid > 1);
    fx.pids.add(hostPid);
    // Wait for the exec of sleep, then look from the host.
    let cmdline = '';
    for (let i = 0; i < 100 && !cmdline.startsWith('sleep'); i++) {
      await sleep(50);
      cmdline = readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    }
    assert.match(cmdline, /^sleep 1000/);
    const nspid = /NSpid:\s+(.*)/
      .exec(readFileSync(`/proc/${hostPid}/status`, 'utf8'))?.[1]
      ?.trim()
      .split(/\s+/);
    assert.deepEqual(nspid?.slice(1), ['1']);
    const { stdout } = await readLogText(rec.logPath);
    assert.match(stdout, /^pid=1\n/);
    const psLines = stdout.split('\n').slice(2).filter(Boolean);
    assert.deepEqual(
      psLines.map((l) => l.trim().split(/\s+/)[1]),
      ['sh', 'ps'],
      `ps inside saw: ${stdout}`,
    );
    const status = await fx.rt.stop(id, { timeout: 0 });
    assert.equal(status?.exitCode, 137);
    await fx.rt.remove(id);
  });

  test('hostname, IPC, mount and network namespaces are isolated', async () => {
    const marker = `wharfmnt-${process.pid}-${Date.now()}`;
    const { exitCode, stdout, stderr } = await fx.run(
      {
        Hostname: 'wharf-isolated',
        Cmd: [
          'sh',
          '-c',
          [
            'hostname',
            'for n in ipc mnt net uts pid; do echo "$n $(readlink /proc/self/ns/$n)"; done',
            'mkdir -p /tmp/m',
            `mount -t tmpfs ${marker} /tmp/m`,
            `grep -c ${marker} /proc/self/mounts`,
            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
          ].join('; '),
        ],
      },
      { CapAdd: ['SYS_ADMIN'] },
    );
    assert.equal(exitCode, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'wharf-isolated');
    assert.notEqual(hostname(), 'wharf-isolated');
    for (const line of lines.slice(1, 6)) {
      const [ns, inside] = line.split(' ');
      assert.notEqual(inside, readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace is shared with the host`);
    }
    assert.equal(lines[6], '1', 'the mount is visible inside');
    assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(marker), 'the mount leaked to the host');
    assert.deepEqual(lines.slice(7), ['lo']);
  });

  test('exit codes: normal exit, SIGKILL, and the stop signal then SIGKILL after the timeout', async () => {
    const normal = await fx.run({ Cmd: ['sh', '-c', 'exit 3'] });
    assert.equal(normal.exitCode, 3);

    const killed = await fx.create({ Cmd: ['sleep', '1000'] });
    await fx.rt.start(killed);
    await fx.rt.kill(killed, 'SIGKILL');
    const k = await fx.rt.wait(killed);
    assert.equal(k.exitCode, 137);
    assert.equal(k.signal, 9);

    const events: string[] = [];
    const onEvent = (name: string) => (e: ContainerEvent) => events.push(`${name}:${e.id}`);
    const handlers = (['kill', 'die', 'stop'] as const).map((n) => [n, onEvent(n)] as const);
    for (const [n, h] of handlers) fx.rt.on(n, h);

    const traps = await fx.create({
      Cmd: ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.1; done'],
    });
    await fx.rt.start(traps);
    await waitForLog(fx, traps, 'up');
    const t = await fx.rt.stop(traps, { timeout: 30 });
    assert.equal(t?.exitCode, 0);
    assert.match((await readLogText(fx.rt.inspect(traps).logPath)).stdout, /got-term/);
    assert.deepEqual(events, [`kill:${traps}`, `die:${traps}`, `stop:${traps}`]);

    const ignores = await fx.create({ Cmd: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'] });
    await fx.rt.start(ignores);
    const began = Date.now();
    const i = await fx.rt.stop(ignores, { timeout: 1 });
    assert.equal(i?.exitCode, 137);
    assert.ok(Date.now() - began >= 900, 'SIGKILL came before the timeout');
    for (const [n, h] of handlers) fx.rt.off(n, h);

    for (const id of [killed, traps, ignores]) await fx.rt.remove(id);
  });

  test('copy-on-write: writes and deletes land in the upper dir, the lower dir is unchanged', async () => {
    const before = snapshot(fx.lower);
    const { id, exitCode, stderr } = await fx.run({
      Cmd: ['sh', '-c', 'echo new > /created; echo changed >> /etc/group; rm /etc/passwd; rm -r /var'],
    });
    assert.equal(exitCode, 0, stderr);
    const rootfs = await createOverlayStorage().open(join(fx.dataRoot, 'containers', id));
    const upper = rootfs.upperDir;
    assert.equal(readFileSync(join(upper, 'created'), 'utf8'), 'new\n');
    assert.match(readFileSync(join(upper, 'etc/group'), 'utf8'), /changed\n$/);
    for (const gone of ['etc/passwd', 'var']) {
      const st = lstatSync(join(upper, gone));
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${gone} is not a whiteout`);
    }
    assert.deepEqual(snapshot(fx.lower), before);
    assert.ok(existsSync(join(fx.lower, 'etc/passwd')));
    await fx.rt.remove(id);
    assert.ok(!existsSync(join(fx.dataRoot, 'containers', id)));
  });

  test('exec runs in the container and reports output and exit code', async () => {
    const id = await fx.create({ Cmd: ['sleep', '1000'], Env: ['FROM_CONTAINER=yes'] });
    await fx.rt.start(id);
    const ex = await fx.rt.exec(id, {
      cmd: ['sh', '-c', 'echo "$FROM_CONTAINER $EXTRA $(cat /proc/1/comm)"; echo oops >&2; exit 5'],
      env: ['EXTRA=extra'],
    });
    fx.pids.add(ex.pid);
    const status = await ex.exited;
    assert.equal(status.exitCode, 5);
    const out = await ex.output();
    assert.equal(out.stdout, 'yes extra sleep\n');
    assert.equal(out.stderr, 'oops\n');
    const asNobody = await fx.rt.exec(id, { cmd: ['id', '-u'], user: 'nobody' });
    fx.pids.add(asNobody.pid);
    assert.equal((await asNobody.exited).exitCode, 0);
    assert.equal((await asNobody.output()).stdout, '65534\n');
    await fx.rt.remove(id, { force: true });
  });

  test('attach with a TTY: input, resize, output, exit code', async () => {
    const id = await fx.create({ Cmd: ['sh'], Tty: true, OpenStdin: true });
    const client = await fx.rt.attach(id);
    const output = readToEnd(client.stdout);
    await fx.rt.start(id);
    client.resize(33, 101);
    await sleep(200);
    client.stdin.write('stty size; echo done-$((6*7))\n');
    client.stdin.write('exit 7\n');
    const status = await fx.rt.wait(id);
    assert.equal(status.exitCode, 7);
    const text = (await output).toString('utf8');
    assert.match(text, /33 101/);
    assert.match(text, /done-42/);
    client.close();
    await fx.rt.remove(id);
  });

  test('attach without a TTY separates stdout and stderr and passes stdin', async () => {
    const id = await fx.create({
      Cmd: ['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2'],
      OpenStdin: true,
    });
    const client = await fx.rt.attach(id);
    const out = readToEnd(client.stdout);
    const err = readToEnd(client.stderr);
    await fx.rt.start(id);
    client.stdin.end('hello\n');
    assert.equal((await fx.rt.wait(id)).exitCode, 0);
    assert.equal((await out).toString(), 'out:hello\n');
    assert.equal((await err).toString(), 'err:hello\n');
    await fx.rt.remove(id);
  });

  test('logs go to <data-root>/containers/<id>/<id>-json.log in json-file format', async () => {
    const { id } = await fx.run({ Cmd: ['sh', '-c', 'echo one; echo two >&2'] });
    const path = join(fx.dataRoot, 'containers', id, `${id}-json.log`);
    assert.equal(fx.rt.inspect(id).logPath, path);
    const entries = await readJsonLog(path);
    // The two streams are read separately, so only the order within one is fixed.
    assert.deepEqual(entries.map((e) => `${e.stream}:${e.log}`).sort(), ['stderr:two\n', 'stdout:one\n']);
    for (const e of entries) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    await fx.rt.remove(id);
  });

  test('an exited container starts again with a new task and keeps its filesystem', async () => {
    const { id, exitCode } = await fx.run({
      Cmd: ['sh', '-c', 'echo run >> /runs; cat /runs | wc -l; exit 2'],
    });
    assert.equal(exitCode, 2);
    assert.equal(fx.rt.inspect(id).state.status, 'exited');
    assert.equal(await fx.rt.start(id), true);
    assert.equal((await fx.rt.wait(id)).exitCode, 2);
    assert.equal((await readLogText(fx.rt.inspect(id).logPath)).stdout, '1\n2\n');
    await fx.rt.remove(id);
  });

  test('the record survives in config.v2.json and a removed container is gone', async () => {
    const id = await fx.create({ Cmd: ['true'] });
    const path = join(fx.dataRoot, 'containers', id, 'config.v2.json');
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { id: string; state: { status: string } };
    assert.equal(saved.id, id);
    assert.equal(saved.state.status, 'created');
    await fx.rt.remove(id);
    assert.ok(!existsSync(path));
    assert.throws(() => fx.rt.inspect(id), { code: 'CONTAINER_NOT_FOUND' });
  });

  test('leaves no mounts, cgroups, processes or namespaces behind', async () => {
    for (const rec of fx.rt.list()) await fx.rt.remove(rec.id, { force: true });
    await sleep(100);
    assert.deepEqual(await leaks(fx), []);
    for (const pid of fx.pids) assert.ok(!alive(pid));
  });
});

async function waitForLog(fx: Fixture, id: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await readLogText(fx.rt.inspect(id).logPath)).stdout.includes(text)) return;
    await sleep(25);
  }
  throw new Error(`container ${id} never logged ${text}`);
}

/** name -> size/mode/link of every entry below dir. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = join(prefix, name);
    const st = lstatSync(join(dir, rel));
    out[rel] = `${st.mode}:${st.size}:${st.isSymbolicLink() ? readlinkSync(join(dir, rel)) : ''}`;
    if (st.isDirectory()) Object.assign(out, snapshot(dir, rel));
  }
  return out;
}
