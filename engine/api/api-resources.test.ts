// Resource limits through the docker CLI, checked in the kernel's cgroup
// files (issue 4, "What must be shown" 5): -m/--memory-swap OOM, and live
// `docker update -m` / `--cpu-shares`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaks, skipReason, startTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const CG = '/sys/fs/cgroup';
const v1 = existsSync(join(CG, 'memory', 'memory.limit_in_bytes'));
const skip = skipReason() ?? (v1 ? undefined : 'these assertions read cgroup v1 files; this host has none');
if (skip) console.log(`# skipping API resource tests: ${skip}`);

const MiB = 1024 * 1024;
const cg = (controller: string, id: string, file: string): string =>
  readFileSync(join(CG, controller, 'wharf', id, file), 'utf8').trim();

describe('resource limits through the API', { skip }, () => {
  let d: TestDaemon;
  const ids: string[] = [];
  before(async () => {
    d = await startTestDaemon('res');
  });
  after(async () => {
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, ids), []);
  });

  test('docker run -m 64m --memory-swap 64m: the hog is OOM-killed', () => {
    const name = uniqueName('oom');
    const r = d.docker([
      'run',
      '--name',
      name,
      '-m',
      '64m',
      '--memory-swap',
      '64m',
      'busybox',
      'dd',
      'if=/dev/zero',
      'of=/dev/null',
      'bs=200M',
      'count=1',
    ]);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim());
    assert.equal(r.status, 137, r.stderr);
    assert.equal(
      d
        .dockerOk(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', name])
        .trim(),
      `true 137 ${64 * MiB}`,
    );
    d.dockerOk(['rm', name]);
  });

  test("docker update -m and --cpu-shares change the running container's cgroup", () => {
    const name = uniqueName('upd');
    d.dockerOk(['run', '-d', '--name', name, '-m', '64m', '--cpu-shares', '256', 'busybox', 'sleep', '1000']);
    const id = d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim();
    ids.push(id);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cg('cpu', id, 'cpu.shares'), '256');
    d.dockerOk(['update', '-m', '128m', '--memory-swap', '256m', '--cpu-shares', '512', name]);
    assert.equal(cg('memory', id, 'memory.limit_in_bytes'), String(128 * MiB));
    assert.equal(cg('cpu', id, 'cpu.shares'), '512');
    assert.equal(
      d
        .dockerOk([
          'inspect',
          '-f',
          '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}}',
          name,
        ])
        .trim(),
      `${128 * MiB} ${256 * MiB} 512`,
    );
    d.dockerOk(['update', '--restart', 'unless-stopped', name]);
    assert.equal(
      d.dockerOk(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', name]).trim(),
      'unless-stopped',
    );
    d.dockerOk(['rm', '-f', name]);
  });
});
