// The daemon's own behaviour (issue 4, "What must be shown" 8): a running
// container survives a daemon restart and logs/attach/stop work on it;
// --restart always comes back; restart policies on exit; a second daemon on
// the same data root is refused; SIGTERM leaves containers running.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipReason, useTestDaemon, uniqueName, WHARF_BIN, type TestDaemon } from './testing.js';

const skip = skipReason();
if (skip) console.log(`# skipping daemon tests: ${skip}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('wharf daemon', { skip }, () => {
  const fixture = useTestDaemon('daemon');
  let d: TestDaemon;
  before(() => {
    d = fixture.daemon();
  });
  const idOf = fixture.idOf;

  test('a second daemon on the same data root is refused with a clear message', () => {
    const r = spawnSync(
      process.execPath,
      [
        WHARF_BIN,
        'daemon',
        '--data-root',
        d.dataRoot,
        '--exec-root',
        d.execRoot,
        '-H',
        `unix://${join(d.dir, 'other.sock')}`,
        '--config-file',
        join(d.dir, 'daemon.json'),
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `another wharf daemon \\(pid ${d.child.pid}\\) is already running on data root ${d.dataRoot}`,
      ),
    );
  });

  test('containers survive a daemon restart; logs, attach and stop still work', async () => {
    const name = uniqueName('live');
    d.runShDetached(
      name,
      "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.3; done",
    );
    idOf(name);
    while (!/line-/.test(d.dockerOk(['logs', name]))) await sleep(50);
    const pid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    const always = uniqueName('always');
    d.dockerOk(['run', '-d', '--restart', 'always', '--name', always, 'busybox', 'sleep', '1000']);
    idOf(always);
    const alwaysPid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', always]).trim());
    await d.stop();
    assert.ok(alive(pid), 'the container keeps running without the daemon');
    // Killed while the daemon is away: --restart always brings it back on start.
    assert.ok(alwaysPid > 0);
    process.kill(alwaysPid, 'SIGKILL');
    await sleep(500);
    await d.start();
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', name]).trim(),
      `true ${pid}`,
    );
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Running}}', always]).trim(), 'true');
    assert.match(d.dockerOk(['logs', '--tail', '2', name]), /^line-\d+\nline-\d+\n$/);
    // attach sees new output
    const att = spawn('docker', ['attach', '--no-stdin', name], { env: d.env });
    let seen = '';
    att.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    await sleep(1200);
    assert.match(seen, /line-\d+/);
    d.dockerOk(['stop', name]);
    await new Promise((r) => att.once('exit', r));
    assert.equal(att.exitCode, 0);
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).trim(),
      'exited 0',
    );
    assert.ok(!alive(pid));
    d.dockerOk(['rm', '-f', name, always]);
  });

  test('after kill -9 of the daemon, a new one takes over the lock and re-adopts', async () => {
    const name = uniqueName('crash');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    idOf(name);
    const pid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    const exited = new Promise((r) => d.child.once('exit', r));
    d.child.kill('SIGKILL');
    await exited;
    await d.start();
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', name]).trim(),
      `true ${pid}`,
    );
    assert.equal(d.dockerOk(['exec', name, 'echo', 'ok']), 'ok\n');
    const info = JSON.parse(d.dockerOk(['info', '--format', '{{json .}}'])) as { ContainersRunning: number };
    assert.equal(info.ContainersRunning, 1);
    d.dockerOk(['rm', '-f', name]);
    assert.ok(!alive(pid));
  });

  test('restart policies: on-failure:N counts, always restarts, stop ends it', async () => {
    const fail = uniqueName('fail');
    d.dockerOk(['run', '-d', '--restart', 'on-failure:2', '--name', fail, 'busybox', 'sh', '-c', 'exit 4']);
    idOf(fail);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const [count, status] = d
        .dockerOk(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', fail])
        .trim()
        .split(' ');
      if (count === '2' && status === 'exited') break;
      await sleep(200);
    }
    await sleep(1000);
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', fail]).trim(),
      '2 exited 4',
    );
    const ok = uniqueName('ok');
    d.dockerOk(['run', '-d', '--restart', 'on-failure', '--name', ok, 'busybox', 'true']);
    idOf(ok);
    await sleep(1000);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.RestartCount}}', ok]).trim(), '0');
    const always = uniqueName('alw');
    d.dockerOk(['run', '-d', '--restart', 'always', '--name', always, 'busybox', 'sh', '-c', 'sleep 0.2']);
    idOf(always);
    await sleep(2000);
    assert.ok(Number(d.dockerOk(['inspect', '-f', '{{.RestartCount}}', always]).trim()) >= 1);
    d.dockerOk(['stop', '-t', '0', always]);
    await sleep(800);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Running}}', always]).trim(), 'false');
    d.dockerOk(['rm', '-f', fail, ok, always]);
  });
  // Last in this file: the fixture's log is gone afterwards.
  test('with its stderr closed the daemon neither spins nor stops serving', async () => {
    const cpuMs = (): number => {
      const f = readFileSync(`/proc/${d.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 10 ms ticks
    };
    d.child.stderr?.destroy();
    await sleep(100);
    for (let i = 0; i < 5; i++) d.dockerOk(['ps']); // each logs a line (log-level debug)
    const before = cpuMs();
    await sleep(1500);
    const used = cpuMs() - before;
    assert.ok(used < 500, `the idle daemon used ${used} ms of CPU in 1.5 s`);
    assert.match(d.dockerOk(['version', '--format', '{{.Server.Version}}']), /\S/);
  });
});
