// Proves buildOciSpec() output is a valid, working OCI config: runs a busybox
// container on a real overlay rootfs with an OCI runtime (Debian's runc by
// default; more with WHARF_SPEC_RUNTIMES=/path/a:/path/b, e.g. wharf-runtime)
// and checks Docker's default security from inside.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { createOverlayStorage } from '../../storage/overlay.js';
import { haveBusybox, isRoot, makeBusyboxRootfs } from '../../testing/busybox.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.js';
import type { HostConfig } from './docker-types.js';
import { buildOciSpec } from './index.js';

const RUNC = '/usr/sbin/runc';
const runtimes = [RUNC, ...(process.env.WHARF_SPEC_RUNTIMES ?? '').split(':').filter(Boolean)].filter((r) =>
  existsSync(r),
);

function skipReason(): string | false {
  if (!isRoot()) return 'needs root (namespaces, cgroups, overlay)';
  if (!haveBusybox()) return 'needs /bin/busybox (busybox-static)';
  if (runtimes.length === 0) return `needs an OCI runtime (${RUNC})`;
  return false;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** CapEff as /proc/<pid>/status prints it for a set of capability names. */
function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) mask |= 1n << BigInt(ALL_CAPABILITIES.indexOf(c));
  return mask.toString(16).padStart(16, '0');
}

const SCRIPT = [
  'echo ok',
  'ls /',
  'id',
  'grep -E "^(CapEff|CapBnd|CapInh|Seccomp|NoNewPrivs):" /proc/self/status',
  'unshare -U true 2>&1; echo "unshare=$?"',
  'mount -t tmpfs none /mnt 2>&1; echo "mount=$?"',
  'cat /etc/hostname',
  'echo "HOSTNAME=$HOSTNAME"',
  'echo "interrupts=$(wc -c < /proc/interrupts) firmware=$(ls /sys/firmware | wc -l)"',
  'echo x > /proc/sys/kernel/hostname 2>&1; echo "procsys=$?"',
].join('; ');

async function runContainer(
  t: TestContext,
  runtime: string,
  hostConfig: HostConfig,
): Promise<{ code: number | null; out: string; err: string }> {
  const id = `wharf-spec-${randomBytes(6).toString('hex')}`;
  const base = await mkdtemp(join(tmpdir(), 'wharf-spec-run-'));
  const cgroupParent = `wharf-spec-test-${randomBytes(4).toString('hex')}`;
  const storage = createOverlayStorage();
  const stateRoot = join(base, 'runtime-root');
  const containerDir = join(base, 'containers', id);
  t.after(async () => {
    await run(runtime, ['--root', stateRoot, 'delete', '--force', id]).catch(() => undefined);
    await storage.remove(containerDir).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
    // The runtime removes the container's cgroup; remove our test parent.
    for (const root of [
      '/sys/fs/cgroup',
      ...(await readdir('/sys/fs/cgroup')).map((c) => `/sys/fs/cgroup/${c}`),
    ]) {
      await rmdir(join(root, cgroupParent)).catch(() => undefined);
    }
  });

  const layer = join(base, 'layers', 'busybox', 'diff');
  await mkdir(layer, { recursive: true });
  makeBusyboxRootfs(layer);
  await mkdir(join(layer, 'mnt'));
  const rootfs = await storage.prepare({
    id,
    dir: containerDir,
    layers: [layer],
    init: { hostname: id.slice(0, 12) },
  });
  const merged = await storage.mount(rootfs);

  const spec = await buildOciSpec({
    id,
    config: { Cmd: ['sh', '-c', SCRIPT] },
    hostConfig,
    imageConfig: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: merged,
    cgroupsPath: `/${cgroupParent}/${id}`,
  });
  const bundle = join(base, 'bundle');
  await mkdir(bundle);
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return run(runtime, ['--root', stateRoot, 'run', '--bundle', bundle, id]);
}

function field(out: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(out)?.[1];
}

describe('buildOciSpec output runs under an OCI runtime', { skip: skipReason() }, () => {
  for (const runtime of runtimes) {
    test(`${runtime}: Docker's default security`, async (t) => {
      const { code, out, err } = await runContainer(t, runtime, {});
      assert.equal(code, 0, `runtime failed: ${err}\n${out}`);
      assert.match(out, /^ok$/m);
      assert.match(out, /^bin$/m, 'ls / lists the rootfs');
      assert.match(out, /uid=0\(root\) gid=0\(root\)/);
      assert.equal(field(out, 'CapEff'), capMask(DEFAULT_CAPABILITIES));
      assert.equal(field(out, 'CapBnd'), capMask(DEFAULT_CAPABILITIES));
      assert.equal(field(out, 'CapInh'), '0000000000000000');
      assert.equal(field(out, 'Seccomp'), '2', 'seccomp filter installed');
      assert.equal(field(out, 'NoNewPrivs'), '0');
      assert.match(out, /unshare: unshare\(0x10000000\): Operation not permitted/);
      assert.match(out, /^unshare=1$/m);
      assert.match(out, /^mount=(1|255)$/m);
      assert.match(out, /^wharf-spec-/m, '/etc/hostname from the init layer');
      assert.match(out, /^HOSTNAME=wharf-spec-/m);
      // Masked paths read as empty (the host's /proc/interrupts and /sys/firmware are not).
      assert.match(out, /^interrupts=0 firmware=0$/m, 'masked paths are hidden');
      assert.doesNotMatch(out, /^procsys=0$/m, '/proc/sys is read-only');
    });

    test(`${runtime}: seccomp=unconfined lets unshare -U through, no-new-privileges sets the bit`, async (t) => {
      const { code, out, err } = await runContainer(t, runtime, {
        SecurityOpt: ['seccomp=unconfined', 'no-new-privileges'],
      });
      assert.equal(code, 0, `runtime failed: ${err}\n${out}`);
      assert.equal(field(out, 'Seccomp'), '0');
      assert.equal(field(out, 'NoNewPrivs'), '1');
      assert.match(
        out,
        /^unshare=0$/m,
        'without the filter the same call succeeds, so EPERM above came from seccomp',
      );
    });
  }
});
