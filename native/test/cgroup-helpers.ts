// Shared by the cgroup-*.test.ts files: a busybox bundle whose config.json
// carries linux.resources and a unique cgroupsPath, and a small driver for
// the runtime's command line (native/README.md). Set WHARF_TEST_RUNTIME to
// run the same tests against another OCI runtime (e.g. /usr/sbin/runc) to
// test the tests; the fake-tree tests need wharf-runtime's
// $WHARF_CGROUP_ROOT and are skipped then.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBusyboxRootfs } from '../../engine/testing/busybox.js';

export const RUNTIME =
  process.env.WHARF_TEST_RUNTIME ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'wharf-runtime');
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

  constructor(private readonly opts: ContainerOptions) {
    this.env = { ...opts.env };
    makeBusyboxRootfs(join(this.bundle, 'rootfs'));
    writeFileSync(join(this.bundle, 'config.json'), JSON.stringify(this.config(), null, 2));
  }

  private config() {
    const caps = [
      'CAP_CHOWN',
      'CAP_DAC_OVERRIDE',
      'CAP_FOWNER',
      'CAP_KILL',
      'CAP_MKNOD',
      'CAP_SETGID',
      'CAP_SETUID',
    ];
    return {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: this.opts.args,
        env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
        cwd: '/',
        capabilities: { bounding: caps, effective: caps, permitted: caps },
        noNewPrivileges: true,
      },
      root: { path: 'rootfs', readonly: false },
      hostname: this.id,
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        {
          destination: '/dev',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
        },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ],
      linux: {
        cgroupsPath: this.cgroupsPath,
        resources: this.opts.resources,
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      },
    };
  }

  /** Runs the runtime; stdout/stderr go to files so a detached container cannot hold a pipe open. */
  rt(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const out = join(this.dir, 'rt.out');
    const err = join(this.dir, 'rt.err');
    const outFd = openSync(out, 'w');
    const errFd = openSync(err, 'w');
    try {
      const r = spawnSync(RUNTIME, ['--root', this.root, ...args], {
        stdio: ['pipe', outFd, errFd],
        input,
        env: { ...process.env, ...this.env },
        timeout: 60_000,
      });
      return { status: r.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
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
