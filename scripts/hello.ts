// Runs one container through Wharf's engine and prints what it saw: a first
// look until `wharf daemon` and the app land. Run as root after `npm run build`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRuntime, readLogText } from '../engine/runtime/index.js';
import { makeBusyboxRootfs } from '../engine/testing/busybox.js';

const work = mkdtempSync(join(tmpdir(), 'wharf-hello-'));
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const engine = await ContainerRuntime.open({
  paths: { dataRoot: join(work, 'data'), execRoot: join(work, 'exec') },
});
try {
  const script =
    'echo "hello from $(hostname)"; echo "processes:"; ps -o pid,comm; ' +
    'echo "interfaces: $(ls /sys/class/net)"; echo "memory limit: $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"';
  const rec = await engine.create({
    name: 'hello',
    config: { Cmd: ['sh', '-c', script], Hostname: 'wharf-hello' },
    hostConfig: { Memory: 64 * 1024 * 1024 },
    rootfs: { layers: [rootfs] },
  });
  await engine.start(rec.id);
  const exit = await engine.wait(rec.id);
  const logs = await readLogText(rec.logPath);
  process.stdout.write(logs.stdout + logs.stderr);
  console.log(`container ${rec.id.slice(0, 12)} exited with ${exit.exitCode}`);
  await engine.remove(rec.id, { force: true });
} finally {
  await engine[Symbol.asyncDispose]();
  rmSync(work, { recursive: true, force: true });
}
