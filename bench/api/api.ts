// Times the docker CLI against a throwaway `wharf daemon` (issue 4, "Speed
// and memory"): `docker run --rm IMAGE true` end to end, `docker exec C
// true`, `docker stop` of a cooperative container, N detached `docker run
// -d … sleep` one after another, and the daemon's RSS idle and with those N
// containers running. When another engine answers at $DOCKER_COMPARE_HOST
// (e.g. unix:///var/run/docker.sock), the same commands run against it and
// the ratios are printed. The daemon runs as shipped: the bundle
// dist/wharf.mjs, rebuilt first (scripts/build-engine.mjs); --source runs it
// through tsx instead. Run as root:
//   npx tsx bench/api/api.ts [--runs 10] [--many 200] [--source]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTestDaemon } from '../../engine/api/testing.js';

if (process.argv.includes('--source')) process.env.WHARF_FROM_SOURCE = '1';
else {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const b = spawnSync(process.execPath, ['scripts/build-engine.mjs'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('building dist/wharf.mjs failed');
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (other work on the machine skews these numbers)`,
);
console.log(`daemon from ${process.env.WHARF_FROM_SOURCE === '1' ? 'sources (tsx)' : 'dist/wharf.mjs'}`);

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const RUNS = arg('runs', 10);
const MANY = arg('many', 200);

function docker(env: NodeJS.ProcessEnv, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('docker', args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

interface Result {
  runRm: number;
  exec: number;
  stop: number;
  many: number;
}

function measure(env: NodeJS.ProcessEnv, image: string, label: string): Result {
  docker(env, ['run', '--rm', image, 'true']); // warm up
  const runRm = median(
    Array.from({ length: RUNS }, () => docker(env, ['run', '--rm', '--network', 'none', image, 'true'])),
  );
  const name = `bench-exec-${process.pid}`;
  docker(env, ['run', '-d', '--name', name, image, 'sleep', '100000']);
  docker(env, ['exec', name, 'true']);
  const exec = median(Array.from({ length: RUNS }, () => docker(env, ['exec', name, 'true'])));
  docker(env, ['rm', '-f', name]);
  const stops: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const n = `bench-stop-${process.pid}-${i}`;
    docker(env, [
      'run',
      '-d',
      '--name',
      n,
      image,
      'sh',
      '-c',
      "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ]);
    stops.push(docker(env, ['stop', n]));
    docker(env, ['rm', n]);
  }
  const t0 = Date.now();
  for (let i = 0; i < MANY; i++)
    docker(env, ['run', '-d', '--network', 'none', '--label', 'wharf.bench=1', image, 'sleep', '100000']);
  const many = Date.now() - t0;
  console.log(
    `${label}: run --rm true ${runRm.toFixed(0)} ms | exec true ${exec.toFixed(0)} ms | stop ${median(stops).toFixed(0)} ms | ${MANY} × run -d ${(many / 1000).toFixed(1)} s`,
  );
  return { runRm, exec, stop: median(stops), many };
}

function cleanup(env: NodeJS.ProcessEnv): void {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', 'label=wharf.bench=1'], { env, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { env });
}

const d = await startTestDaemon('bench');
try {
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssMiB(d.child.pid ?? 0);
  const ours = measure(d.env, 'busybox', 'wharf');
  console.log(
    `wharf daemon RSS: idle ${idle.toFixed(1)} MiB, with ${MANY} running containers ${rssMiB(d.child.pid ?? 0).toFixed(1)} MiB`,
  );
  cleanup(d.env);
  const other = process.env.DOCKER_COMPARE_HOST;
  if (other) {
    const env = { ...process.env, DOCKER_HOST: other };
    if (spawnSync('docker', ['version'], { env }).status === 0) {
      const theirs = measure(env, 'busybox', 'compare');
      cleanup(env);
      console.log(
        `ratios (compare / wharf): run --rm ${(theirs.runRm / ours.runRm).toFixed(1)}×, exec ${(theirs.exec / ours.exec).toFixed(1)}×, stop ${(theirs.stop / ours.stop).toFixed(1)}×, many ${(theirs.many / ours.many).toFixed(1)}×`,
      );
    } else console.log(`no engine answers at ${other}; no comparison`);
  } else console.log('set DOCKER_COMPARE_HOST to compare with another engine in the same run');
} finally {
  await d.cleanup();
}
