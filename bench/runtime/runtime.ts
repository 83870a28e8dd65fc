// Times `wharf-runtime run` of `true` on a busybox bundle against `runc run`
// (and crun when it works), interleaved, and prints medians and ratios.
// Also measures what the sealed-memfd re-exec (CVE-2019-5736) costs.
//
//   npx tsx bench/runtime/runtime.ts [iterations]
//
// crun 1.8 refuses the hybrid cgroup layout (v1 controllers plus an empty
// cgroup2 at /sys/fs/cgroup/unified). When that is the reason it fails, the
// whole benchmark re-runs itself in a private mount namespace where that
// mount is gone, so all three runtimes are timed under the same conditions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WHARF_RUNTIME, makeBundle, processOf, removeCgroup, linuxOf } from '../../native/test/bundle.js';

const N = Number(process.argv[2] ?? 40);
const INNER = process.env.WHARF_BENCH_INNER === '1';

interface Candidate {
  name: string;
  bin: string;
  root: string;
  times: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function timeRun(bin: string, args: string[]): { ms: number; status: number | null; stderr: string } {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: res.status, stderr: res.stderr };
}

function which(name: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function main(): void {
  if (process.getuid?.() !== 0) {
    console.log('runtime bench: skipped (needs root)');
    return;
  }
  if (!existsSync(WHARF_RUNTIME)) {
    console.log(`runtime bench: skipped (${WHARF_RUNTIME} not built; npm run build:native)`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'wharf-bench-rt-'));
  const bundle = makeBundle(work, (c) => (processOf(c).args = ['true']));
  const cgroup = linuxOf(bundle.config).cgroupsPath as string;
  const candidates: Candidate[] = [
    { name: 'wharf-runtime', bin: WHARF_RUNTIME, root: join(work, 'state-wharf'), times: [] },
  ];
  const runc = which('runc');
  if (runc) candidates.push({ name: 'runc', bin: runc, root: join(work, 'state-runc'), times: [] });
  else console.log('runc: not installed, skipped');

  const crun = which('crun');
  let crunNote = '';
  if (crun) {
    const probe = timeRun(crun, ['--root', join(work, 'state-crun'), 'run', '--bundle', work, 'probe']);
    if (probe.status === 0)
      candidates.push({ name: 'crun', bin: crun, root: join(work, 'state-crun'), times: [] });
    else if (!INNER && /hybrid/.test(probe.stderr) && which('unshare')) {
      rmSync(work, { recursive: true, force: true });
      removeCgroup(cgroup);
      console.log(
        'crun refuses the hybrid cgroup layout here; re-running in a mount namespace without /sys/fs/cgroup/unified',
      );
      const self = fileURLToPath(import.meta.url);
      const r = spawnSync(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'umount /sys/fs/cgroup/unified && exec "$@"',
          'sh',
          process.execPath,
          ...process.execArgv,
          self,
          String(N),
        ],
        { stdio: 'inherit', env: { ...process.env, WHARF_BENCH_INNER: '1' } },
      );
      process.exitCode = r.status ?? 1;
      return;
    } else crunNote = `crun skipped: ${probe.stderr.trim() || `exit ${probe.status}`}`;
  } else crunNote = 'crun: not installed, skipped';

  // Warm up caches once per runtime, then interleave.
  for (const c of candidates) timeRun(c.bin, ['--root', c.root, 'run', '--bundle', work, 'warm']);
  for (let i = 0; i < N; i++) {
    for (const c of candidates) {
      const r = timeRun(c.bin, ['--root', c.root, 'run', '--bundle', work, `b${i}`]);
      if (r.status !== 0) throw new Error(`${c.name} run failed: ${r.stderr}`);
      c.times.push(r.ms);
    }
  }

  // The sealed copy: `exec` re-execs from a memfd before it reads any state,
  // `state` does not; both fail on a missing container right away.
  const clone: number[] = [];
  const plain: number[] = [];
  const root = join(work, 'state-wharf');
  for (let i = 0; i < N; i++) {
    clone.push(timeRun(WHARF_RUNTIME, ['--root', root, 'exec', 'missing', 'true']).ms);
    plain.push(timeRun(WHARF_RUNTIME, ['--root', root, 'state', 'missing']).ms);
  }

  const med = new Map(candidates.map((c) => [c.name, median(c.times)]));
  console.log(
    `runtime bench: \`run\` of \`true\` on a busybox bundle, ${N} interleaved iterations${INNER ? ' (private mount ns, no cgroup2 mount)' : ''}`,
  );
  for (const c of candidates) {
    console.log(
      `  ${c.name.padEnd(14)} median ${med.get(c.name)!.toFixed(2)} ms  (min ${Math.min(...c.times).toFixed(2)}, max ${Math.max(...c.times).toFixed(2)})`,
    );
  }
  const w = med.get('wharf-runtime')!;
  if (med.has('runc'))
    console.log(`  wharf/runc ratio: ${(w / med.get('runc')!).toFixed(3)} (target <= 0.5)`);
  if (med.has('crun'))
    console.log(`  wharf/crun ratio: ${(w / med.get('crun')!).toFixed(3)} (target <= 1.3)`);
  if (crunNote) console.log(`  ${crunNote}`);
  console.log(
    `  sealed memfd re-exec (CVE-2019-5736) cost: ${(median(clone) - median(plain)).toFixed(2)} ms per create/run/exec`,
  );
  rmSync(work, { recursive: true, force: true });
  removeCgroup(cgroup);
}

main();
