// The fixture the runtime-*.test.ts suites share: one work dir with a shared
// busybox rootfs and a runtime state root, bundles and container ids that
// the suite tears down (containers, cgroups, temp dirs) after its tests.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
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
  waitFor,
} from './bundle.js';

/** Why the wharf-runtime suites cannot run here (printed once), or false. */
export function runtimeSkip(suite: string): string | false {
  const skip = !isRoot()
    ? 'needs root'
    : !haveBusybox()
      ? 'needs busybox-static'
      : !existsSync(WHARF_RUNTIME)
        ? 'wharf-runtime not built'
        : false;
  if (skip) console.log(`# skipping ${suite} tests: ${skip}`);
  return skip;
}

export interface ContainerState {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface RuntimeSuite {
  /** The suite's temp dir (removed afterwards); set once the suite's before() ran. */
  readonly work: string;
  /** The busybox rootfs every bundle() shares unless given its own. */
  readonly rootfs: string;
  readonly rt: Runtime;
  /** A bundle in the work dir whose cgroup is removed after the suite. */
  bundle(edit?: (c: Json) => void, ownRootfs?: string): Bundle;
  /** A fresh container id, deleted (--force) after the suite. */
  id(): string;
  /** Runs the runtime, asserts success, returns stdout. */
  ok(args: string[], r?: Runtime): string;
  state(cid: string, r?: Runtime): ContainerState;
  /** `run` of a one-shot command; asserts its exit status and returns its stdout. */
  runOut(args: string[], edit?: (c: Json) => void, expectStatus?: number): string;
  /** A detached `sleep 1000` container. */
  startSleeper(edit?: (c: Json) => void): { cid: string; pid: number; bundle: Bundle };
}

/**
 * Sets up a RuntimeSuite for the enclosing describe(): call it in the
 * describe body (it registers the before/after hooks there).
 */
export function runtimeSuite(prefix: string, bin = WHARF_RUNTIME): RuntimeSuite {
  const ids: string[] = [];
  const cgroups: string[] = [];
  let work = '';
  let rootfs = '';
  let rt: Runtime | undefined;
  const theRuntime = (): Runtime => {
    assert.ok(rt, 'runtime suite used before its before() hook');
    return rt;
  };

  const suite: RuntimeSuite = {
    get work() {
      return work;
    },
    get rootfs() {
      return rootfs;
    },
    get rt() {
      return theRuntime();
    },
    bundle(edit, ownRootfs) {
      const b = makeBundle(join(work, randomId('b')), edit, ownRootfs ?? rootfs);
      cgroups.push(linuxOf(b.config).cgroupsPath as string);
      return b;
    },
    id() {
      const x = randomId();
      ids.push(x);
      return x;
    },
    ok(args, r = theRuntime()) {
      const res = r.run(args);
      assert.equal(res.status, 0, `${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    },
    state(cid, r = theRuntime()) {
      const res = r.run(['state', cid]);
      assert.equal(res.status, 0, res.stderr);
      return JSON.parse(res.stdout) as ContainerState;
    },
    runOut(args, edit, expectStatus = 0) {
      const b = suite.bundle((c) => {
        processOf(c).args = args;
        edit?.(c);
      });
      const res = theRuntime().run(['run', '--bundle', b.dir, suite.id()]);
      assert.equal(res.status, expectStatus, res.stderr);
      return res.stdout;
    },
    startSleeper(edit) {
      const b = suite.bundle((c) => {
        processOf(c).args = ['sleep', '1000'];
        edit?.(c);
      });
      const cid = suite.id();
      suite.ok(['run', '-d', '--bundle', b.dir, cid]);
      return { cid, pid: suite.state(cid).pid, bundle: b };
    },
  };

  before(() => {
    work = tempDir(prefix);
    rootfs = join(work, 'rootfs');
    makeBundle(join(work, 'seed'), undefined, rootfs);
    rt = runtime(join(work, 'state'), bin);
  });
  after(() => {
    if (rt) for (const x of ids) rt.cleanup(x);
    for (const c of cgroups) removeCgroup(c);
    if (work) rmrf(work);
  });
  return suite;
}

/** Polls `pred` every 25 ms for up to 5 s. */
export async function waitUntil(pred: () => boolean): Promise<void> {
  await waitFor('the condition', () => (pred() ? true : undefined), 5000);
}

/** A field of /proc/<pid>/status text ("CapEff", "NoNewPrivs", ...). */
export function statusField(text: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  return m?.[1]?.trim() ?? '';
}

const CAP_NAMES = [
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

/** The capability bit mask of `names` ("CAP_KILL" or "KILL"). */
export function capMask(names: string[]): bigint {
  return names.reduce((m, n) => m | (1n << BigInt(CAP_NAMES.indexOf(n.replace(/^CAP_/, '')))), 0n);
}

// Receives the pty master over the console socket (SCM_RIGHTS) and prints
// what the container wrote to it. node:net cannot receive fds; python3 is
// there wherever node-gyp builds.
export const CONSOLE_PY = `
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
