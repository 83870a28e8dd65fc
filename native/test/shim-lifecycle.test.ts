// wharf-shim lifecycle on a real kernel: detaching, the sync line, exit.json
// for codes, signals and the OOM killer, and surviving the death of the
// process that started it. Runs against each runtime from testRuntimes().
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SHIM, ShimContainer, procStatusField, shimArgs, testRuntimes, waitFor } from './shim-harness.js';

function hasCap(cap: number): boolean {
  const m = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)$/m);
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 1n;
}

for (const rt of testRuntimes('shim-lifecycle')) {
  describe(`wharf-shim lifecycle (${rt.path})`, { skip: rt.skip }, () => {
    it('reports the container pid on the sync fd and is not our child', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sleep', '1000'] });
      t.after(() => c.dispose());
      const pid = await c.create();
      assert.ok(pid > 0);
      assert.equal(Number.parseInt(readFileSync(join(c.stateDir, 'container.pid'), 'utf8'), 10), pid);
      const shim = c.shimPid;
      assert.ok(shim > 0, 'shim.pid written');
      // The container init is reparented to the shim (child subreaper).
      assert.equal(procStatusField(pid, 'PPid'), String(shim));
      // The shim is owned by no process of ours and lives in its own session.
      const ppid = Number(procStatusField(shim, 'PPid'));
      assert.notEqual(ppid, process.pid);
      const stat = readFileSync(`/proc/${shim}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const sid = Number(fields[3]);
      const ourStat = readFileSync('/proc/self/stat', 'utf8');
      const ourSid = Number(ourStat.slice(ourStat.lastIndexOf(')') + 2).split(' ')[3]);
      assert.notEqual(sid, ourSid, 'own session');
      assert.notEqual(sid, shim, 'not a session leader (cannot get a controlling tty)');
      // Lowering oom_score_adj needs CAP_SYS_RESOURCE, which CI may not have.
      if (hasCap(24)) assert.equal(readFileSync(`/proc/${shim}/oom_score_adj`, 'utf8').trim(), '-1000');
      // The container must not inherit the shim's OOM immunity.
      assert.equal(
        readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(),
        readFileSync('/proc/self/oom_score_adj', 'utf8').trim(),
      );
      // Inherited fds are closed: only its own (epoll, signalfd, sockets, pipes, log).
      assert.equal(readFileSync(`/proc/${shim}/cmdline`, 'utf8').split('\0')[0], SHIM);
      assert.ok(existsSync(join(c.stateDir, 'attach.sock')));
      c.kill('KILL');
      const exit = await c.waitExit();
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.signal, 9);
      assert.equal(exit.oomKilled, false);
      await c.waitShimGone();
      assert.ok(!existsSync(join(c.stateDir, 'attach.sock')), 'attach.sock removed on exit');
    });

    it('reports the runtime error on the sync fd', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['/does-not-exist'] });
      t.after(() => c.dispose());
      // A bundle without config.json fails in create for every runtime.
      const { rmSync } = await import('node:fs');
      rmSync(join(c.bundle, 'config.json'));
      await assert.rejects(c.create(), (err: Error) => err.message.length > 0);
      assert.ok(!existsSync(join(c.stateDir, 'exit.json')));
    });

    for (const [name, args, code, signal] of [
      ['exit 0', ['true'], 0, null],
      ['exit 3', ['sh', '-c', 'exit 3'], 3, null],
      // The pid namespace's init ignores signals sent from inside, so kill from outside.
      ['SIGKILL', ['sleep', '1000'], 137, 9],
    ] as const) {
      it(`writes exit.json for ${name}`, async (t) => {
        const c = ShimContainer.forBundle(rt.path, { args: [...args] });
        t.after(() => c.dispose());
        await c.create();
        const before = Date.now();
        c.start();
        if (signal !== null) c.kill(String(signal));
        const exit = await c.waitExit();
        assert.equal(exit.exitCode, code);
        assert.equal(exit.signal, signal);
        assert.equal(exit.oomKilled, false);
        assert.match(exit.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        assert.ok(Date.parse(exit.finishedAt) >= before - 1000);
        await c.waitShimGone();
      });
    }

    it('reports oomKilled when the memory limit is hit', async (t) => {
      const c = ShimContainer.forBundle(rt.path, {
        args: ['dd', 'if=/dev/zero', 'of=/dev/shm/x', 'bs=1M', 'count=100'],
        memoryLimit: 32 * 1024 * 1024,
      });
      t.after(() => c.dispose());
      await c.create();
      c.start();
      const exit = await c.waitExit();
      assert.equal(exit.oomKilled, true);
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.signal, 9);
    });

    it('keeps the container when its starter dies; a new attach works and exit.json follows', async (t) => {
      const c = ShimContainer.forBundle(rt.path, {
        args: ['sh', '-c', 'while read l; do echo "got $l"; done'],
      });
      t.after(() => c.dispose());
      // A small node process starts the shim and reports the sync line, then we SIGKILL it.
      const script = `
        const { spawn } = require('node:child_process');
        const c = spawn(process.argv[1], JSON.parse(process.argv[2]), { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
        c.stdio[3].on('data', (d) => process.stdout.write(d));
        setInterval(() => {}, 1000);`;
      const starter = spawn(
        process.execPath,
        [
          '-e',
          script,
          SHIM,
          JSON.stringify(
            shimArgs({
              runtime: rt.path,
              runtimeRoot: c.runtimeRoot,
              id: c.id,
              bundle: c.bundle,
              stateDir: c.stateDir,
              logPath: c.logPath,
              stdin: true,
            }),
          ),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      t.after(() => {
        if (starter.exitCode === null && starter.signalCode === null) starter.kill('SIGKILL');
      });
      let line = '';
      starter.stdout.on('data', (d: Buffer) => (line += d.toString()));
      await waitFor('sync line', () => (line.includes('\n') ? true : undefined));
      const pid = (JSON.parse(line) as { pid: number }).pid;
      c.recordShim();
      starter.kill('SIGKILL');
      await new Promise((r) => starter.once('exit', r));

      c.start();
      assert.ok(existsSync(`/proc/${pid}`), 'container alive after its starter died');
      const a = await c.attach();
      a.stdin('one\n');
      await a.waitStdout('got one\n');
      a.close();
      // The engine comes back: a second connection still works.
      const b = await c.attach();
      b.stdin('two\n');
      await b.waitStdout('got two\n');
      c.kill('KILL');
      const exit = await c.waitExit();
      assert.equal(exit.exitCode, 137);
      await b.waitClosed();
      assert.deepEqual(
        c.logRecords().map((r) => r.log),
        ['got one\n', 'got two\n'],
      );
    });
  });
}
