// wharf-runtime: the verbs and the container lifecycle (create, start,
// state, kill, delete, run, pause, resume, ps, list, update, spec) on a real
// kernel. A few of the same checks also run against runc to test the tests.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Json, linuxOf, processOf, randomId } from './bundle.js';
import { type ContainerState, runtimeSkip, runtimeSuite, waitUntil } from './runtime-suite.js';

const skip = runtimeSkip('runtime-lifecycle');

// Marks /dev/shm/ready once the traps are set: a signal before that would
// hit a pid-namespace init with no handler, which ignores it.
const TRAP_LOOP =
  'trap "exit 7" TERM; trap "exit 8" USR1; touch /dev/shm/ready; while true; do sleep 0.05; done';

describe('wharf-runtime lifecycle', { skip }, () => {
  const s = runtimeSuite('wharf-rt-life-');
  const { bundle, id, ok, state } = s;

  for (const [name, args, code] of [
    ['true', ['true'], 0],
    ['exit 3', ['sh', '-c', 'exit 3'], 3],
    ['SIGKILL', ['sh', '-c', 'kill -9 $$'], 137],
  ] as const) {
    it(`run exits with the container's status (${name} -> ${code})`, () => {
      const b = bundle((c) => {
        processOf(c).args = [...args];
        // A pid namespace's init ignores its own SIGKILL: share the host's.
        if (code === 137) linuxOf(c).namespaces = [{ type: 'mount' }, { type: 'uts' }];
      });
      const cid = id();
      const res = s.rt.run(['run', '--bundle', b.dir, cid]);
      assert.equal(res.status, code, res.stderr);
      assert.equal(s.rt.run(['state', cid]).status, 1, 'run removes the container');
    });
  }

  it('run passes stdout and stderr through', () => {
    const b = bundle((c) => (processOf(c).args = ['sh', '-c', 'echo out; echo err >&2']));
    const res = s.rt.run(['run', '--bundle', b.dir, id()]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'out\n');
    assert.equal(res.stderr, 'err\n');
  });

  it('create -> created, start -> running, kill -> stopped, delete', async () => {
    const b = bundle((c) => {
      processOf(c).args = ['sh', '-c', TRAP_LOOP];
      c.annotations = { 'org.test': 'yes' };
    });
    const cid = id();
    const pidFile = join(s.work, `${cid}.pid`);
    ok(['create', '--bundle', b.dir, '--pid-file', pidFile, cid]);
    let st = state(cid);
    assert.equal(st.status, 'created');
    assert.equal(st.id, cid);
    assert.equal(st.bundle, b.dir);
    assert.match(st.ociVersion, /^1\./);
    assert.deepEqual(st.annotations, { 'org.test': 'yes' });
    assert.equal(Number(readFileSync(pidFile, 'utf8')), st.pid);
    assert.ok(existsSync(join(s.rt.root, cid, 'exec.fifo')), 'created waits on exec.fifo');
    // The init has not run the user's process yet.
    assert.match(readFileSync(`/proc/${st.pid}/cmdline`, 'utf8'), /wharf-runtime/);

    ok(['start', cid]);
    st = state(cid);
    assert.equal(st.status, 'running');
    await waitUntil(() => existsSync(`/proc/${st.pid}/root/dev/shm/ready`));
    assert.equal(s.rt.run(['start', cid]).status, 1, 'a running container cannot be started again');

    const del = s.rt.run(['delete', cid]);
    assert.equal(del.status, 1, 'delete of a running container fails without --force');
    assert.match(del.stderr, /^wharf-runtime: .*running/);
    assert.equal(state(cid).status, 'running');

    ok(['kill', cid, 'TERM']);
    await waitUntil(() => state(cid).status === 'stopped');
    assert.equal(state(cid).pid, 0);
    ok(['delete', cid]);
    assert.equal(s.rt.run(['state', cid]).status, 1);
    assert.ok(!existsSync(join(s.rt.root, cid)));
  });

  for (const sig of ['TERM', 'SIGTERM', '15', 'USR1', 'sigusr1']) {
    it(`kill accepts signal ${sig}`, async () => {
      const b = bundle((c) => (processOf(c).args = ['sh', '-c', TRAP_LOOP]));
      const cid = id();
      ok(['run', '-d', '--bundle', b.dir, cid]);
      const pid = state(cid).pid;
      await waitUntil(() => existsSync(`/proc/${pid}/root/dev/shm/ready`));
      ok(['kill', cid, sig]);
      await waitUntil(() => state(cid).status === 'stopped');
      // The init is the shim's child in real use; here it was reparented to
      // init, which reaped it. Its status is gone, but it stopped by the trap.
      assert.ok(!existsSync(`/proc/${pid}/cmdline`) || state(cid).status === 'stopped');
      ok(['delete', cid]);
    });
  }

  it('kill refuses unknown signals and stopped containers', async () => {
    const b = bundle((c) => (processOf(c).args = ['sleep', '1000']));
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    const bad = s.rt.run(['kill', cid, 'NOPE']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid signal/);
    ok(['kill', cid, 'KILL']);
    await waitUntil(() => state(cid).status === 'stopped');
    assert.equal(s.rt.run(['kill', cid, 'KILL']).status, 1);
    ok(['delete', cid]);
  });

  it('kill --all signals every process in the container cgroup', async () => {
    const b = bundle((c) => {
      processOf(c).args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
      // Without a pid namespace only --all reaches the children.
      linuxOf(c).namespaces = [{ type: 'mount' }, { type: 'uts' }];
    });
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    await waitUntil(() => (JSON.parse(ok(['ps', '--format', 'json', cid])) as number[]).length === 3);
    const pids = JSON.parse(ok(['ps', '--format', 'json', cid])) as number[];
    ok(['kill', '--all', cid, 'KILL']);
    await waitUntil(() =>
      pids.every((p) => !existsSync(`/proc/${p}/cmdline`) || readFileSync(`/proc/${p}/cmdline`).length === 0),
    );
    ok(['delete', cid]);
  });

  it('state reports stopped when the init dies on its own; delete --force cleans a running one', async () => {
    const b = bundle((c) => (processOf(c).args = ['sh', '-c', 'sleep 0.2']));
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    await waitUntil(() => state(cid).status === 'stopped');
    ok(['delete', cid]);

    const b2 = bundle((c) => (processOf(c).args = ['sleep', '1000']));
    const c2 = id();
    ok(['run', '-d', '--bundle', b2.dir, c2]);
    ok(['delete', '--force', c2]);
    assert.equal(s.rt.run(['state', c2]).status, 1);
    const cg = linuxOf(b2.config).cgroupsPath as string;
    assert.ok(!existsSync(`/sys/fs/cgroup/memory${cg}`), 'cgroup removed');
  });

  it('delete of a created container kills its init', () => {
    const b = bundle((c) => (processOf(c).args = ['true']));
    const cid = id();
    ok(['create', '--bundle', b.dir, cid]);
    const pid = state(cid).pid;
    ok(['delete', cid]);
    assert.ok(
      !existsSync(`/proc/${pid}/status`) || /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')),
    );
  });

  it('pause and resume freeze the container; ps and list see it', () => {
    const b = bundle((c) => (processOf(c).args = ['sleep', '1000']));
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    const pid = state(cid).pid;
    ok(['pause', cid]);
    assert.equal(state(cid).status, 'paused');
    assert.equal(s.rt.run(['pause', cid]).status, 1);
    ok(['resume', cid]);
    assert.equal(state(cid).status, 'running');
    assert.deepEqual(JSON.parse(ok(['ps', '--format', 'json', cid])), [pid]);
    assert.match(ok(['ps', cid]), new RegExp(`${pid}\\s+sleep 1000`));
    const list = JSON.parse(ok(['list', '--format', 'json'])) as ContainerState[];
    assert.ok(list.some((s) => s.id === cid && s.status === 'running'));
    assert.match(ok(['list']), new RegExp(`${cid}\\s+${pid}\\s+running`));
    ok(['delete', '--force', cid]);
  });

  it('update writes new limits to the cgroup', () => {
    const b = bundle((c) => (processOf(c).args = ['sleep', '1000']));
    const cid = id();
    ok(['run', '-d', '--bundle', b.dir, cid]);
    const file = join(s.work, `${cid}-res.json`);
    const cg = linuxOf(b.config).cgroupsPath as string;
    const res = s.rt.run(['update', '--resources', '-', cid], {
      input: JSON.stringify({ pids: { limit: 42 }, memory: { limit: 64 * 1024 * 1024 } }),
    });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(readFileSync(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8').trim(), '42');
    assert.equal(
      readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(),
      `${64 << 20}`,
    );
    assert.ok(!existsSync(file));
    ok(['delete', '--force', cid]);
  });

  it('create refuses an id that exists and any ociVersion but 1.x', () => {
    const b = bundle((c) => (processOf(c).args = ['true']));
    const cid = id();
    ok(['create', '--bundle', b.dir, cid]);
    const dup = s.rt.run(['create', '--bundle', b.dir, cid]);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /already exists/);
    ok(['delete', cid]);
    for (const v of ['1.0.0', '1.1.0', '1.2.1']) {
      const ob = bundle((c) => {
        c.ociVersion = v;
        processOf(c).args = ['true'];
      });
      assert.equal(s.rt.run(['run', '--bundle', ob.dir, id()]).status, 0, v);
    }
    const nb = bundle((c) => (c.ociVersion = '2.0.0'));
    const res = s.rt.run(['run', '--bundle', nb.dir, id()]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /^wharf-runtime: .*ociVersion.*\n$/);
  });

  it('spec writes a default config.json; --log records errors as JSON', () => {
    ok(['spec', '--bundle', s.work]);
    const cfg = JSON.parse(readFileSync(join(s.work, 'config.json'), 'utf8')) as Json;
    assert.match(cfg.ociVersion as string, /^1\./);
    assert.deepEqual(processOf(cfg).args, ['sh']);
    assert.ok(Array.isArray(linuxOf(cfg).namespaces));
    assert.equal(s.rt.run(['spec', '--bundle', s.work]).status, 1, 'spec does not overwrite');

    const log = join(s.work, `${randomId('log')}.json`);
    const res = s.rt.run(['--log', log, '--log-format', 'json', 'state', 'no-such-container']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, 'wharf-runtime: container `no-such-container` does not exist\n');
    const entry = JSON.parse(readFileSync(log, 'utf8').trim()) as Json;
    assert.equal(entry.level, 'error');
    assert.equal(entry.msg, 'container `no-such-container` does not exist');
  });
});
describe(
  'the same lifecycle checks against runc (testing the tests)',
  { skip: skip || !existsSync('/usr/sbin/runc') },
  () => {
    const s = runtimeSuite('wharf-rt-runc-', '/usr/sbin/runc');

    for (const [args, code] of [
      [['true'], 0],
      [['sh', '-c', 'exit 3'], 3],
      [['sh', '-c', 'kill -9 $$'], 137],
    ] as const) {
      it(`runc run exits ${code}`, () => {
        const b = s.bundle((c) => {
          processOf(c).args = [...args];
          if (code === 137) linuxOf(c).namespaces = [{ type: 'mount' }, { type: 'uts' }];
        });
        assert.equal(s.rt.run(['run', '--bundle', b.dir, s.id()]).status, code);
      });
    }
  },
);
