// wharf-shim's attach socket (native/README.md, "Attach protocol"): stdin
// in, output out, close-stdin, resize on a pty, exec sessions, and a slow
// client that must not hold the container back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ShimContainer, testRuntimes, waitFor } from './shim-harness.js';

for (const rt of testRuntimes('shim-attach')) {
  describe(`wharf-shim attach (${rt.path})`, { skip: rt.skip }, () => {
    it('forwards stdin, streams output to every client, close-stdin ends cat', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sh', '-c', 'echo ready; cat; echo done >&2'] });
      t.after(() => c.dispose());
      await c.create({ stdin: true });
      // Attached before start: all output from the start arrives.
      const a = await c.attach();
      const b = await c.attach();
      c.start();
      await a.waitStdout('ready\n');
      a.stdin('hello\n');
      await a.waitStdout('ready\nhello\n');
      await b.waitStdout('ready\nhello\n');
      // Stdin frames split across writes are reassembled.
      a.socket.write(Buffer.from([0, 0, 0, 0, 0, 0, 0, 6]));
      a.socket.write('wor');
      a.socket.write('ld\n');
      await a.waitStdout('hello\nworld\n');
      b.closeStdin();
      const exit = await c.waitExit();
      assert.equal(exit.exitCode, 0);
      await a.waitClosed();
      assert.equal(a.stderr.toString(), 'done\n');
      assert.equal(b.stdout.toString(), 'ready\nhello\nworld\n');
      assert.deepEqual(
        c.logRecords().map((r) => `${r.stream}:${r.log}`),
        ['stdout:ready\n', 'stdout:hello\n', 'stdout:world\n', 'stderr:done\n'],
      );
    });

    it('runs a TTY: resize reaches the pty (stty size)', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sh'], terminal: true });
      t.after(() => c.dispose());
      await c.create({ terminal: true, stdin: true });
      assert.ok(!existsSync(join(c.stateDir, 'console.sock')), 'console socket removed');
      const a = await c.attach();
      a.resize(42, 117);
      c.start();
      a.stdin('stty size\n');
      await a.waitStdout(/42 117\r?\n/);
      a.resize(30, 90);
      a.stdin('stty size; exit 7\n');
      await a.waitStdout(/30 90\r?\n/);
      const exit = await c.waitExit();
      assert.equal(exit.exitCode, 7);
      assert.equal(a.stderr.length, 0, 'a TTY sends everything as stdout');
      assert.ok(c.logRecords().every((r) => r.stream === 'stdout'));
    });

    it('runs an exec session with its own state dir, without the container log', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sleep', '1000'] });
      t.after(() => c.dispose());
      await c.create();
      c.start();
      const ex = await c.exec(['sh', '-c', 'read l; echo "exec got $l"; exit 5'], { stdin: true });
      assert.ok(ex.pid > 0);
      const a = await c.attach(ex.stateDir);
      a.stdin('ping\n');
      await a.waitStdout('exec got ping\n');
      const exit = await c.waitExit(ex.stateDir);
      assert.equal(exit.exitCode, 5);
      await c.waitShimGone(ex.shimPid);
      assert.equal(c.logRecords().length, 0, 'exec output is not in the container log');
      assert.ok(existsSync(`/proc/${c.pid}`), 'container still running');
      assert.equal(c.exitJson(), undefined);
    });

    it('drops a client that does not read, without blocking the container', async (t) => {
      // More than a client may lag behind (socket buffer + 4 MiB queue).
      const total = 16 * 1024 * 1024;
      const c = ShimContainer.forBundle(rt.path, {
        args: ['sh', '-c', `read l; head -c ${total} /dev/zero | tr '\\0' z; echo; echo end`],
      });
      t.after(() => c.dispose());
      await c.create({ stdin: true });
      const slow = await c.attach();
      slow.socket.pause();
      const starter = await c.attach();
      c.start();
      starter.stdin('go\n');
      starter.close();
      // The container finishes although nobody reads its attach output.
      const exit = await c.waitExit(c.stateDir, 60000);
      assert.equal(exit.exitCode, 0);
      slow.socket.resume();
      await slow.waitClosed();
      assert.ok(
        slow.stdout.length < total,
        `slow client got ${slow.stdout.length} bytes before being dropped`,
      );
      // The log has everything regardless.
      const logged = c.logRecords().reduce((n, r) => n + r.log.length, 0);
      assert.equal(logged, total + 5);
    });

    it('delivers a burst within the per-client bound completely', async (t) => {
      const total = 2 * 1024 * 1024;
      const c = ShimContainer.forBundle(rt.path, {
        args: ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' z; echo end`],
      });
      t.after(() => c.dispose());
      await c.create();
      const a = await c.attach();
      c.start();
      await c.waitExit();
      await a.waitClosed();
      assert.equal(a.stdout.length, total + 4);
      assert.ok(a.stdout.subarray(-5).equals(Buffer.from('zend\n')));
    });

    it('queues stdin for a container that reads late, then closes it after the queue drains', async (t) => {
      // 1 MiB is more than the pipe (64 KiB) and the shim's stdin queue (64 KiB)
      // hold: the shim must stop reading the client and resume, losing nothing.
      const c = ShimContainer.forBundle(rt.path, { args: ['sh', '-c', 'sleep 1; md5sum'] });
      t.after(() => c.dispose());
      await c.create({ stdin: true });
      const a = await c.attach();
      c.start();
      const data = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
      for (let off = 0; off < data.length; off += 10000) a.stdin(data.subarray(off, off + 10000));
      a.closeStdin();
      const { createHash } = await import('node:crypto');
      const sum = createHash('md5').update(data).digest('hex');
      await a.waitStdout(`${sum}  -\n`);
      assert.equal((await c.waitExit()).exitCode, 0);
    });

    it('serves clients that connect after the output began', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sh', '-c', 'echo early; read l; echo late'] });
      t.after(() => c.dispose());
      await c.create({ stdin: true });
      c.start();
      await waitFor('early output in the log', () => (c.logRecords().length > 0 ? true : undefined));
      const a = await c.attach();
      a.stdin('x\n');
      await a.waitStdout('late\n');
      assert.equal(a.stdout.toString(), 'late\n');
      await c.waitExit();
    });
  });
}
