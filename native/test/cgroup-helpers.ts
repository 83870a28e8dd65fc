// Shared by the cgroup-*.test.ts files: a busybox bundle whose config.json
// carries linux.resources and a unique cgroupsPath, and a small driver for
// the runtime's command line (native/README.md). Set WHARF_TEST_RUNTIME to
// run the same tests against another OCI runtime (e.g. /usr/sbin/runc) to
// test the tests; the fake-tree tests need wharf-runtime's
// $WHARF_CGROUP_ROOT and are skipped then.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Json, type Runtime, WHARF_RUNTIME, runtime, writeBundle } from './bundle.js';

export const RUNTIME = process.env.WHARF_TEST_RUNTIME ?? WHARF_RUNTIME;
export const IS_WHARF_RUNTIME = process.env.WHARF_TEST_RUNTIME === undefined;

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export type Resources = Record<string, unknown>;

interface ContainerOptions {
  args: string[];
  resources: Resources;
  /** Extra environment for every runtime call (WHARF_CGROUP_ROOT). */
  env?: Record<string, string>;
}

const CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_SETGID',
  'CAP_SETUID',
];
/** Only what the cgroup tests need: no cgroupfs inside (a fake WHARF_CGROUP_ROOT tree has none to bind). */
const MOUNTS = ['/proc', '/dev', '/sys'];

/** One container in its own bundle and runtime root; dispose() removes everything. */
export class TestContainer {
  readonly id = uniqueId('cgt');
  readonly cgroupsPath = `/wharf-cgtest/${this.id}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'wharf-cgroup-test-'));
  readonly root = join(this.dir, 'state');
  readonly bundle = join(this.dir, 'bundle');
  readonly stdoutPath = join(this.dir, 'stdout');
  /** Extra environment for every runtime call; may be changed before run(). */
  readonly env: Record<string, string>;
  private readonly runtime: Runtime;

  constructor(opts: ContainerOptions) {
    this.env = { ...opts.env };
    this.runtime = runtime(this.root, RUNTIME);
    writeBundle(this.bundle, {
      args: opts.args,
      caps: CAPS,
      hostname: this.id,
      cgroupsPath: this.cgroupsPath,
      resources: opts.resources,
      namespaces: ['pid', 'ipc', 'uts', 'mount'],
      readonlyRoot: false,
      edit: (c) => (c.mounts = (c.mounts as Json[]).filter((m) => MOUNTS.includes(String(m.destination)))),
    });
  }

  /** Runs the runtime; stdout/stderr go to files so a detached container cannot hold a pipe open. */
  rt(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const r = this.runtime.run(args, { input, env: this.env, timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Like rt() but throws with the runtime's message on failure. */
  must(args: string[], input?: string): string {
    const r = this.rt(args, input);
    if (r.status !== 0)
      throw new Error(`${RUNTIME} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `run -d`; the container's stdout and stderr go to this.stdoutPath (a pipe would stay open). */
  run(): void {
    const fd = openSync(this.stdoutPath, 'w');
    try {
      const r = spawnSync(RUNTIME, ['--root', this.root, 'run', '-d', '--bundle', this.bundle, this.id], {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...this.env },
        timeout: 60_000,
      });
      if (r.status !== 0) {
        throw new Error(`run failed (${r.status}): ${readFileSync(this.stdoutPath, 'utf8').trim()}`);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** `update --resources FILE` (a file: "-" cannot be used with Node's socketpair stdin). */
  updateArgs(resources: Resources): string[] {
    const file = join(this.dir, `resources-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(resources));
    return ['update', '--resources', file, this.id];
  }

  update(resources: Resources): void {
    this.must(this.updateArgs(resources));
  }

  state(): { status: string; pid: number } {
    return JSON.parse(this.must(['state', this.id])) as { status: string; pid: number };
  }

  /** Waits until the container's stdout contains text. */
  async waitOutput(text: string): Promise<string> {
    for (let i = 0; i < 500; i++) {
      const out = existsSync(this.stdoutPath) ? readFileSync(this.stdoutPath, 'utf8') : '';
      if (out.includes(text)) return out;
      await sleep(20);
    }
    throw new Error(`container never printed ${JSON.stringify(text)}`);
  }

  /** Kills and deletes the container (idempotent), then removes the temp dirs. */
  dispose(): void {
    this.rt(['kill', this.id, 'KILL']);
    for (let i = 0; i < 100; i++) {
      const r = this.rt(['delete', '--force', this.id]);
      if (r.status === 0 || /not exist|not found|no such/i.test(r.stderr)) break;
      spawnSync('sleep', ['0.05']);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** rmdir that ignores every error (a shared parent cgroup may still have children). */
export function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // busy or gone
  }
}
