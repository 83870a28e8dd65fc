// `wharf daemon`: composes the engine's services and serves the Docker API.
//
// Start:  resolve the data and exec roots (engine/paths.ts) -> take the data
//         root's lock (a second daemon is refused) -> pidfile -> open the
//         container runtime (re-adopts running containers, cleans up what a
//         crash left half-done) -> open the content, layer and image stores
//         -> restart policies -> listen on every -H address.
// Stop:   SIGTERM/SIGINT close the listeners and let go of the containers,
//         which keep running under their shims (live restore); the next
//         start re-adopts them.
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { assertExecRootFits, resolveEnginePaths, type EnginePaths } from '../paths.js';
import { ContainerRuntime, createSpecBuilder } from '../runtime/index.js';
import { LocalVolumeStore } from '../volumes/index.js';
import { ApiServer, Engine, buildRouter } from '../api/index.js';
import { cleanExecDirs } from '../api/exec-runner.js';
import { FileContentStore } from '../images/content-store.js';
import { FsImageStore } from '../images/image-store.js';
import { reconcileStores } from '../images/reconcile.js';
import type { Digest } from '../images/index.js';
import { OverlayLayerStore } from '../storage/layers/layer-store.js';
import { FileAuthStore } from '../registry/auth.js';
import { acquireLock, type DaemonLock } from './lock.js';
import { RestartManager } from './restart.js';
import type { DaemonOptions } from './config.js';

export type LogLevel = DaemonOptions['logLevel'];
const LEVELS: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

let stderrGuarded = false;

export function makeLogger(level: LogLevel): (l: 'debug' | 'info' | 'warn' | 'error', msg: string) => void {
  const min = LEVELS[level] ?? 1;
  // Once whoever reads our stderr is gone (a closed terminal, a parent that
  // died), writes fail with EPIPE. Unhandled, that error would reach the
  // uncaught-exception handler, which logs it, which fails again: a busy loop.
  // The daemon goes on serving; its log lines are lost.
  if (!stderrGuarded) {
    stderrGuarded = true;
    process.stderr.on('error', () => {});
  }
  return (l, msg) => {
    if ((LEVELS[l] ?? 1) >= min)
      process.stderr.write(`${new Date().toISOString()} ${l.toUpperCase()} ${msg}\n`);
  };
}

export interface RunningDaemon {
  readonly engine: Engine;
  readonly paths: EnginePaths;
  readonly sockets: string[];
  /** Stops serving; containers keep running. */
  close(): Promise<void>;
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  if (!line) throw new Error(`group ${group} not found; create it or pass --group with an existing group`);
  return Number(line.split(':')[2]);
}

function daemonId(dataRoot: string): string {
  const file = join(dataRoot, 'engine-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    writeFileSync(file, id, { mode: 0o600 });
    return id;
  }
}

/** chainIDs of the image layers each container's root filesystem stacks. */
function containerLayerRefs(runtime: ContainerRuntime, diffDir: (chainID: Digest) => string): Digest[] {
  const refs: Digest[] = [];
  for (const rec of runtime.list()) {
    if (!('layers' in rec.rootfs)) continue;
    for (const dir of rec.rootfs.layers) {
      const hex = /([0-9a-f]{64})\/diff\/?$/.exec(dir)?.[1];
      if (hex && diffDir(`sha256:${hex}`) === dir) refs.push(`sha256:${hex}`);
    }
  }
  return refs;
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const log = makeLogger(opts.logLevel);
  const paths = resolveEnginePaths({ dataRoot: opts.dataRoot, execRoot: opts.execRoot });
  assertExecRootFits(paths);
  mkdirSync(paths.dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(paths.execRoot, { recursive: true, mode: 0o700 });
  const lock: DaemonLock = acquireLock(paths.dataRoot);
  const cleanups: Array<() => Promise<void> | void> = [() => lock.release()];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    if (opts.pidfile) {
      mkdirSync(dirname(opts.pidfile), { recursive: true });
      writeFileSync(opts.pidfile, `${process.pid}`);
      const pidfile = opts.pidfile;
      cleanups.push(() => rmSync(pidfile, { force: true }));
    }
    const volumes = await LocalVolumeStore.open(paths);
    const runtime = await ContainerRuntime.open({
      paths,
      // A volume removed behind a stopped container's back is made again on start, as Docker does.
      specBuilder: createSpecBuilder({
        resolveVolume: async (name) => (await volumes.create({ name })).volume.Mountpoint,
      }),
      runtimePath: opts.runtimePath,
      shimPath: opts.shimPath,
    });
    cleanups.push(() => runtime[Symbol.asyncDispose]());
    await cleanExecDirs(paths);
    const content = await FileContentStore.open(paths.dataRoot);
    const layers = new OverlayLayerStore({ dataRoot: paths.dataRoot });
    await layers.cleanup();
    const images = await FsImageStore.open({ dataRoot: paths.dataRoot, content, layers });
    // A crash between extracting a layer and recording its image leaves
    // counts off or layers orphaned; containers hold their image's layers too.
    const reconciled = await reconcileStores(
      { content, layers, images },
      { extraRefs: containerLayerRefs(runtime, layers.diffDir.bind(layers)) },
    );
    if (reconciled.brokenImages.length > 0)
      log('warn', `images with missing layers: ${reconciled.brokenImages.map((b) => b.id).join(', ')}`);
    if (reconciled.removalSkipped) log('warn', `unused layers kept: ${reconciled.removalSkipped}`);
    const engine = await Engine.open({
      runtime,
      paths,
      images,
      volumes,
      auth: new FileAuthStore(paths.dataRoot),
      settings: {
        insecureRegistries: opts.insecureRegistries,
        registryMirrors: opts.registryMirrors,
        debug: opts.logLevel === 'debug',
        id: daemonId(paths.dataRoot),
        name: hostname(),
      },
      log,
    });
    cleanups.push(() => engine.dispose());
    const restarts = new RestartManager(engine);
    cleanups.push(() => restarts.dispose());
    await restarts.startup();
    const router = buildRouter(engine);
    const sockets: string[] = [];
    const gid = opts.group ? groupId(opts.group) : undefined;
    for (const host of opts.hosts) {
      const server = new ApiServer({ router, log });
      if (host.startsWith('unix://')) {
        const path = host.slice('unix://'.length);
        mkdirSync(dirname(path), { recursive: true });
        // We hold the data root's lock, so a socket file here is a leftover.
        rmSync(path, { force: true });
        await server.listen(path);
        chmodSync(path, 0o660);
        if (gid !== undefined) chownSync(path, 0, gid);
        sockets.push(path);
        cleanups.push(async () => {
          await server.close();
          rmSync(path, { force: true });
        });
      } else if (host.startsWith('tcp://')) {
        const url = new URL(host);
        log('warn', `listening on ${host} without TLS: anyone who can reach it controls this machine`);
        await new Promise<void>((resolve, reject) => {
          server.http.once('error', reject);
          server.http.listen(Number(url.port || 2375), url.hostname, () => resolve());
        });
        cleanups.push(() => server.close());
      } else {
        throw new Error(`unsupported host ${host}: use unix:///path or tcp://host:port`);
      }
      log('info', `API listening on ${host}`);
    }
    log(
      'info',
      `wharf daemon ready (data root ${paths.dataRoot}, exec root ${paths.execRoot}, ${runtime.list().length} containers)`,
    );
    let closing: Promise<void> | undefined;
    return {
      engine,
      paths,
      sockets,
      close: () => (closing ??= undo()),
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Runs until SIGTERM/SIGINT, then shuts down leaving containers running. */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const log = makeLogger(opts.logLevel);
  // One bad request must never take the daemon (and every client) down.
  process.on('unhandledRejection', (err) =>
    log('error', `unhandled rejection: ${(err as Error)?.stack ?? String(err)}`),
  );
  process.on('uncaughtException', (err) => log('error', `uncaught exception: ${err.stack ?? String(err)}`));
  const d = await startDaemon(opts);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      makeLogger(opts.logLevel)('info', `received ${sig}, shutting down (containers keep running)`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await d.close();
}
