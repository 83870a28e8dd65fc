// Times the engine's whole container path for `true`: create (overlay mount,
// bundle, shim, runtime create) + start + wait + remove, median over N runs.
//
// There is no peer engine for this exact path in the same run: dockerd and
// podman add image resolution and networking, so comparing them would
// mislead. `runc run` on a plain bundle is timed by bench/runtime/runtime.ts.
//
//   tsx bench/runtime/engine.ts [N]        (root; WHARF_BENCH_RUNTIME=/usr/sbin/runc to compare runtimes)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxRootfs, isRoot } from '../../engine/testing/busybox.js';
import { ContainerRuntime, DEFAULT_NATIVE_DIR } from '../../engine/runtime/index.js';

export interface EngineBenchResult {
  runs: number;
  runtime: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export async function benchEngine(
  runs = 20,
  runtimePath = process.env.WHARF_BENCH_RUNTIME ?? join(DEFAULT_NATIVE_DIR, 'wharf-runtime'),
): Promise<EngineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-engine-'));
  const lower = makeBusyboxRootfs(join(dir, 'lower'));
  await using rt = await ContainerRuntime.open({
    paths: { dataRoot: join(dir, 'data'), execRoot: join(dir, 'exec') },
    runtimePath,
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < runs + 1; i++) {
      const id = `bench-${randomBytes(8).toString('hex')}`;
      const t0 = process.hrtime.bigint();
      await rt.create({ id, config: { Cmd: ['true'] }, rootfs: { layers: [lower] } });
      await rt.start(id);
      const status = await rt.wait(id);
      await rt.remove(id);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (status.exitCode !== 0) throw new Error(`\`true\` exited with ${status.exitCode}`);
      if (i > 0) times.push(ms); // the first run warms caches
    }
  } finally {
    for (const rec of rt.list()) await rt.remove(rec.id, { force: true }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    runs,
    runtime: runtimePath,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!isRoot()) {
    console.log('skipping: the engine benchmark needs root');
  } else {
    const n = Number(process.argv[2] ?? 20);
    const r = await benchEngine(n);
    console.log(
      `engine create+start+wait+remove of \`true\` (${r.runtime}): median ${r.medianMs.toFixed(1)} ms ` +
        `(min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}, n=${r.runs})`,
    );
    console.log('peer: none for this exact path (runc run is timed by bench/runtime/runtime.ts)');
  }
}
