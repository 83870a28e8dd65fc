// The real docker CLI (28.2) against `wharf daemon` (issue 4, "What must be
// shown" 1, 3 and 6): version/info, run --rm, a detached ticker with ps,
// logs -f, top, stats, inspect's pid; stop/kill/restart/pause/rm -f/rename/wait.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipReason, useTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason();
if (skip) console.log(`# skipping docker CLI tests: ${skip}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('docker CLI against wharf daemon', { skip }, () => {
  const fixture = useTestDaemon('cli');
  let d: TestDaemon;
  before(() => {
    d = fixture.daemon();
  });
  const id = fixture.idOf;

  test('docker version and docker info show the Wharf server with API 1.50', () => {
    const v = d.dockerOk([
      'version',
      '--format',
      '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}',
    ]);
    assert.equal(v.trim(), '0.1.0 1.50 1.24 linux');
    const info = d.dockerOk(['info', '--format', '{{json .}}']);
    const doc = JSON.parse(info) as {
      ServerVersion: string;
      Driver: string;
      Images: number;
      Swarm: { LocalNodeState: string };
    };
    assert.equal(doc.ServerVersion, '0.1.0');
    assert.equal(doc.Driver, 'overlay2');
    assert.equal(doc.Images, 1);
    assert.equal(doc.Swarm.LocalNodeState, 'inactive');
  });

  test('docker run --rm prints hi and leaves no container', () => {
    const name = uniqueName('rm');
    assert.equal(d.dockerOk(['run', '--rm', '--name', name, 'busybox', 'echo', 'hi']), 'hi\n');
    assert.equal(d.dockerOk(['ps', '-aq', '--filter', `name=${name}`]).trim(), '');
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
    assert.equal(r.status, 3);
    const info = JSON.parse(d.dockerOk(['info', '--format', '{{json .}}'])) as { Containers: number };
    assert.equal(info.Containers, 0);
  });

  test('a detached ticker: ps, logs -f, top, stats, inspect pid', async () => {
    const name = uniqueName('tick');
    d.runShDetached(name, 'while true; do echo tick; sleep 1; done');
    const cid = id(name);
    const ps = d.dockerOk(['ps', '--format', '{{.Names}}|{{.Status}}|{{.Command}}']);
    assert.match(ps, new RegExp(`${name}\\|Up (Less than a second|\\d+ seconds?)\\|"sh -c`));
    // logs -f, interrupted after a couple of ticks
    const follow = spawn('docker', ['logs', '-f', name], { env: d.env });
    let out = '';
    follow.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await sleep(2500);
    follow.kill('SIGINT');
    await new Promise((r) => follow.once('exit', r));
    assert.ok((out.match(/tick/g) ?? []).length >= 2, out);
    assert.match(d.dockerOk(['logs', '--tail', '1', name]), /^tick\n$/);
    assert.match(
      d.dockerOk(['logs', '-t', '--since', '1h', name]),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick$/m,
    );
    assert.equal(d.dockerOk(['logs', '--until', '2000-01-01T00:00:00Z', name]), '');
    const top = d.dockerOk(['top', name]);
    assert.match(top, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    assert.match(top, /sh -c while true/);
    const stats = d.dockerOk([
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}',
      name,
    ]);
    assert.match(stats, new RegExp(`^${name} \\d+\\.\\d+% [\\d.]+[KMG]iB / [\\d.]+[KMG]iB [12]\\n`));
    const pid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    assert.ok(pid > 1);
    for (const ns of ['pid', 'mnt', 'uts', 'ipc']) {
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), ns);
    }
    const inspect = JSON.parse(d.dockerOk(['inspect', name])) as Array<{
      Id: string;
      Name: string;
      GraphDriver: { Name: string; Data: Record<string, string> };
    }>;
    assert.equal(inspect[0]?.Id, cid);
    assert.equal(inspect[0]?.Name, `/${name}`);
    assert.equal(inspect[0]?.GraphDriver.Name, 'overlay2');
    assert.ok(inspect[0]?.GraphDriver.Data.MergedDir?.endsWith('/merged'));
    d.dockerOk(['rm', '-f', name]);
  });

  /** The container's shell has installed its trap once it said so. */
  const untilLogs = async (name: string, re: RegExp): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!re.test(d.dockerOk(['logs', name])) && Date.now() < deadline) await sleep(50);
  };

  test('stop sends SIGTERM, then SIGKILL after -t', async () => {
    const trap = uniqueName('trap');
    d.runShDetached(trap, "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done");
    id(trap);
    await untilLogs(trap, /ready/);
    d.dockerOk(['stop', trap]);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.ExitCode}}', trap]).trim(), '0');
    assert.match(d.dockerOk(['logs', trap]), /got-term/);
    const stubborn = uniqueName('stubborn');
    d.runShDetached(stubborn, "trap '' TERM; while true; do sleep 0.1; done");
    id(stubborn);
    d.dockerOk(['stop', '-t', '1', stubborn]);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.ExitCode}}', stubborn]).trim(), '137');
    assert.match(
      d.dockerOk(['ps', '-a', '--filter', `name=${stubborn}`, '--format', '{{.Status}}']),
      /^Exited \(137\) /,
    );
    assert.equal(d.docker(['stop', stubborn]).status, 0, 'stopping a stopped container is fine (304)');
  });

  test('kill, restart, pause/unpause, rename, wait, rm and rm -f', () => {
    const name = uniqueName('life');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    const cid = id(name);
    d.dockerOk(['pause', name]);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Status}}', name]).trim(), 'paused');
    assert.match(d.dockerOk(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']), /\(Paused\)/);
    d.dockerOk(['unpause', name]);
    const pid1 = d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim();
    d.dockerOk(['restart', '-t', '0', name]);
    const pid2 = d.dockerOk(['inspect', '-f', '{{.State.Pid}}', name]).trim();
    assert.notEqual(pid1, pid2);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.State.Running}}', name]).trim(), 'true');
    const rm = d.docker(['rm', name]);
    assert.notEqual(rm.status, 0);
    assert.match(
      rm.stderr,
      new RegExp(
        `cannot remove container "/${name}": container is running: stop the container before removing or force remove`,
      ),
    );
    const renamed = uniqueName('renamed');
    d.dockerOk(['rename', name, renamed]);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.Name}}', cid]).trim(), `/${renamed}`);
    const waiter = spawn('docker', ['wait', renamed], { env: d.env });
    let waited = '';
    waiter.stdout.on('data', (b: Buffer) => (waited += b.toString()));
    d.dockerOk(['kill', '-s', 'KILL', renamed]);
    return new Promise<void>((resolve, reject) => {
      waiter.once('exit', () => {
        try {
          assert.equal(waited.trim(), '137');
          const again = d.docker(['kill', renamed]);
          assert.match(again.stderr, /is not running/);
          const conflictName = uniqueName('dup');
          d.dockerOk(['create', '--name', conflictName, 'busybox', 'true']);
          id(conflictName);
          const dup = d.docker(['create', '--name', conflictName, 'busybox', 'true']);
          assert.match(
            dup.stderr,
            new RegExp(
              `Conflict. The container name "/${conflictName}" is already in use by container "[0-9a-f]{64}". You have to remove \\(or rename\\) that container to be able to reuse that name.`,
            ),
          );
          d.dockerOk(['rm', '-f', renamed, conflictName]);
          assert.equal(d.dockerOk(['ps', '-aq', '--filter', `id=${cid}`]).trim(), '');
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
  });

  test('binds, tmpfs, exec with user, env, workdir and exit code', () => {
    const bind = join(d.dir, 'bind');
    mkdirSync(bind);
    writeFileSync(join(bind, 'h.txt'), 'from-host');
    const out = d.dockerOk([
      'run',
      '--rm',
      '-v',
      `${bind}:/b`,
      '--tmpfs',
      '/t',
      'busybox',
      'sh',
      '-c',
      'cat /b/h.txt; echo back > /b/c.txt; grep " /t " /proc/mounts',
    ]);
    assert.match(out, /^from-host/);
    assert.match(out, /tmpfs \/t tmpfs/);
    assert.equal(readFileSync(join(bind, 'c.txt'), 'utf8'), 'back\n');
    const name = uniqueName('ex');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    id(name);
    assert.equal(
      d.dockerOk([
        'exec',
        '-u',
        'nobody',
        '-w',
        '/tmp',
        '-e',
        'X=y',
        name,
        'sh',
        '-c',
        'id -u; pwd; echo $X',
      ]),
      '65534\n/tmp\ny\n',
    );
    assert.equal(d.docker(['exec', name, 'sh', '-c', 'exit 4']).status, 4);
    assert.equal(d.dockerOk(['exec', '-i', name, 'cat'], { input: 'piped stdin\n' }), 'piped stdin\n');
    d.dockerOk(['exec', '-d', name, 'sh', '-c', 'echo detached > /tmp/d']);
    d.dockerOk(['rm', '-f', name]);
    const stopped = d.docker(['exec', name, 'true']);
    assert.notEqual(stopped.status, 0);
  });

  test("unknown image and unknown container answer Docker's messages", () => {
    const r = d.docker(['create', 'nosuchimage-xyz']);
    assert.notEqual(r.status, 0);
    const missing = d.docker(['inspect', 'nosuch-container-xyz']);
    assert.match(missing.stderr, /No such (object|container): nosuch-container-xyz/);
  });

  test('published ports and unknown networks are refused, not silently dropped', () => {
    const before = d.dockerOk(['ps', '-aq']);
    const published = d.docker(['run', '--rm', '-p', '8080:80', 'busybox', 'true']);
    assert.notEqual(published.status, 0);
    assert.match(published.stderr, /publishing ports \(-p\/-P\) needs a bridge network/);
    const named = d.docker(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.notEqual(named.status, 0);
    assert.match(named.stderr, /network nosuchnet not found/);
    assert.equal(d.dockerOk(['ps', '-aq']), before, 'nothing was created');
    assert.equal(d.dockerOk(['run', '--rm', '--network', 'host', '-p', '8080:80', 'busybox', 'true']), '');
  });
});
