// Test fixture for the API: a temp data and exec root holding a busybox
// image (stored through the real layer and image stores), a `wharf daemon`
// child process serving it on a temp socket, and helpers to run the real
// docker CLI against it. cleanup() removes every container through the API,
// stops the daemon and checks nothing is left mounted.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileContentStore } from '../images/content-store.js';
import { FsImageStore } from '../images/image-store.js';
import { OverlayLayerStore } from '../storage/layers/layer-store.js';
import { tarDirectory } from '../storage/layers/untar.js';
import { isRoot, haveBusybox, makeBusyboxRootfs } from '../testing/busybox.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WHARF_BIN = join(repo, 'bin/wharf.js');
const NATIVE = join(repo, 'native/build/Release');

export function skipReason(): string | undefined {
  if (!isRoot()) return 'needs root (namespaces, cgroups, overlay mounts)';
  if (!haveBusybox()) return 'needs /bin/busybox (apt-get install busybox-static)';
  for (const b of ['wharf-runtime', 'wharf-shim', 'wharf-untar']) {
    if (!existsSync(join(NATIVE, b))) return `needs native/build/Release/${b} (npm run build:native)`;
  }
  if (spawnSync('docker', ['--version']).status !== 0) return 'needs the docker CLI on PATH';
  return undefined;
}

export function uniqueName(prefix = 'wa'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Stores a busybox image tagged `tag` in the data root, the way a load would. */
export async function addBusyboxImage(dataRoot: string, tag = 'busybox:latest'): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'wharf-api-img-'));
  try {
    const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
    const content = await FileContentStore.open(dataRoot);
    const layers = new OverlayLayerStore({ dataRoot });
    const images = await FsImageStore.open({ dataRoot, content, layers });
    const info = await layers.extract(tarDirectory(rootfs, { whiteouts: false }), { parentChainID: null });
    const config = {
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: [info.diffID] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD busybox /' }],
    };
    const rec = await images.add(Buffer.from(JSON.stringify(config)), [null]);
    await images.tag(rec.id, tag);
    return rec.id;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface TestDaemon {
  dir: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  /** With `serve`: the web UI's URL with its token, as `wharf serve` printed it. */
  uiUrl: string;
  /** stderr of the daemon so far. */
  logs(): string;
  /** docker CLI, synchronous. */
  docker(args: string[], opts?: { input?: string; timeout?: number }): SpawnSyncReturns<string>;
  /** docker CLI; throws with stderr when it fails. */
  dockerOk(args: string[], opts?: { input?: string; timeout?: number }): string;
  /** `docker run -d --name NAME busybox sh -c SCRIPT`. */
  runShDetached(name: string, script: string): void;
  /** Plain HTTP against the socket. */
  http(
    method: string,
    path: string,
    body?: string | Buffer,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>;
  /** SIGTERM and wait; containers keep running. */
  stop(): Promise<void>;
  /** Starts the daemon again on the same roots. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

function waitForSocket(
  socket: string,
  child: ChildProcess,
  logs: () => string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`daemon exited (${child.exitCode}): ${logs()}`));
      if (Date.now() > deadline) return reject(new Error(`daemon did not come up: ${logs()}`));
      const req = request({ socketPath: socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolvePromise();
        else setTimeout(attempt, 50);
      });
      req.on('error', () => setTimeout(attempt, 50));
      req.end();
    };
    attempt();
  });
}

/** Resolves with the UI URL `wharf serve` prints on stdout. */
function waitForUiUrl(child: ChildProcess, logs: () => string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`wharf serve printed no URL: ${logs()}`)), timeoutMs);
    const onData = (s: string): void => {
      out += s;
      const m = /^Wharf UI: (\S+)$/m.exec(out);
      if (m) done(undefined, m[1]);
    };
    const onExit = (code: number | null): void => done(new Error(`wharf serve exited (${code}): ${logs()}`));
    function done(err: Error | undefined, url?: string): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolvePromise(url!);
    }
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

const live = new Set<TestDaemon>();
let signalHandlers = false;

/**
 * A bench or test stopped with Ctrl-C or `timeout` would skip its finally
 * blocks and leave its daemon's containers running with their roots gone:
 * remove them first, then exit as the signal would have.
 */
function cleanUpOnSignal(): void {
  if (signalHandlers) return;
  signalHandlers = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void Promise.allSettled([...live].map((d) => d.cleanup())).then(() => process.kill(process.pid, sig));
    });
  }
}

/**
 * A `wharf daemon` on temp roots; with `serve`, a `wharf serve` (the same
 * engine plus the web UI, its URL in `uiUrl`).
 */
export async function startTestDaemon(
  name: string,
  opts: { image?: boolean; serve?: boolean } = {},
): Promise<TestDaemon> {
  // Short: the shim's sockets live under the exec root and sun_path holds 107 bytes.
  void name;
  const dir = mkdtempSync('/tmp/wa-');
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'e');
  const socket = join(dir, 'wharf.sock');
  writeFileSync(join(dir, 'daemon.json'), '{"log-level":"debug"}');
  try {
    if (opts.image !== false) await addBusyboxImage(dataRoot);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let log = '';
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const d: TestDaemon = {
    dir,
    dataRoot,
    execRoot,
    socket,
    env,
    child: undefined as unknown as ChildProcess,
    uiUrl: '',
    logs: () => log,
    docker(args, o = {}) {
      return spawnSync('docker', args, {
        env,
        encoding: 'utf8',
        input: o.input,
        timeout: o.timeout ?? 60_000,
      });
    },
    dockerOk(args, o = {}) {
      const r = d.docker(args, o);
      if (r.status !== 0) {
        throw new Error(
          `docker ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ? String(r.error) : ''}`,
        );
      }
      return r.stdout;
    },
    runShDetached(name, script) {
      d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sh', '-c', script]);
    },
    http(method, path, body, headers = {}) {
      return new Promise((res, rej) => {
        const req = request({ socketPath: socket, path, method, headers }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () =>
            res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }),
          );
          r.on('error', rej);
        });
        req.on('error', rej);
        req.end(body);
      });
    },
    async start() {
      log = '';
      const child = spawn(
        process.execPath,
        [
          WHARF_BIN,
          opts.serve ? 'serve' : 'daemon',
          '--data-root',
          dataRoot,
          '--exec-root',
          execRoot,
          '-H',
          `unix://${socket}`,
          '--config-file',
          join(dir, 'daemon.json'),
        ],
        { stdio: ['ignore', opts.serve ? 'pipe' : 'ignore', 'pipe'] },
      );
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => {
        log += s;
        if (process.env.WHARF_TEST_DAEMON_LOG) process.stderr.write(s);
      });
      d.child = child;
      const url = opts.serve ? waitForUiUrl(child, () => log) : undefined;
      url?.catch(() => {}); // reported by the await below, or by waitForSocket first
      await waitForSocket(socket, child, () => log);
      if (url) d.uiUrl = await url;
    },
    async stop() {
      const child = d.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async cleanup() {
      try {
        // A test that failed while the daemon was down: bring it back to remove what runs.
        if (d.child && (d.child.exitCode !== null || d.child.signalCode !== null))
          await d.start().catch(() => {});
        if (d.child && d.child.exitCode === null) {
          const ids = d.docker(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
          if (ids.length) d.docker(['rm', '-f', ...ids], { timeout: 60_000 });
        }
      } finally {
        live.delete(d);
        await d.stop();
        for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  live.add(d);
  cleanUpOnSignal();
  try {
    await d.start();
  } catch (err) {
    await d.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return d;
}

/** Processes whose command line mentions `dir` (shims and containers of this daemon). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** What a finished test must not leave: mounts, processes, cgroups of `ids`. */
export function leaks(dir: string, ids: string[]): string[] {
  const problems = mountsUnder(dir).map((m) => `mount ${m}`);
  for (const p of processesUnder(dir)) problems.push(`process ${p}`);
  for (const id of ids) {
    for (const c of readdirSync('/sys/fs/cgroup')) {
      const d = join('/sys/fs/cgroup', c, 'wharf', id);
      if (existsSync(d)) problems.push(`cgroup ${d}`);
    }
  }
  return problems;
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * A test daemon for the enclosing describe(): started before its tests,
 * cleaned up after them, with a check that the containers whose ids went
 * through idOf() left nothing behind.
 */
export function useTestDaemon(name: string): { daemon(): TestDaemon; idOf(container: string): string } {
  let d: TestDaemon | undefined;
  const ids: string[] = [];
  const daemon = (): TestDaemon => {
    if (!d) throw new Error('the test daemon did not start');
    return d;
  };
  before(async () => {
    d = await startTestDaemon(name);
  });
  after(async () => {
    if (!d) return;
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, ids), []);
  });
  return {
    daemon,
    idOf: (container) => {
      const full = daemon().dockerOk(['inspect', '-f', '{{.Id}}', container]).trim();
      ids.push(full);
      return full;
    },
  };
}
